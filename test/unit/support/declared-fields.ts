// Strict reading of test inputs: every field of an object must be one the translator's own types
// declare (src/api/*.ts for Kubernetes objects, TranslateOptions for the options document). The
// types are read with the TypeScript checker, so they are the one schema and cannot drift from a
// copy. A field they do not declare is a typo (`pathtype:`, `backendRef:`) or one the translator
// never reads; either way the input does not test what it seems to, so the test fails. Where a
// type says `unknown` (status, IngressClass parameters) or has a string index (labels) anything
// goes. Only field names are checked; values, and shapes such as an object where a list belongs,
// are the translator's to judge (gateway-malformed tests exactly that).
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SOURCES = { kinds: join(ROOT, 'src', 'api', 'kinds.ts'), options: join(ROOT, 'src', 'translate', 'types.ts') };

interface Schema {
  readonly checker: ts.TypeChecker;
  readonly objectTypes: ts.Type;
  readonly optionsType: ts.Type;
}

let schema: Schema | undefined;

function interfaceType(checker: ts.TypeChecker, program: ts.Program, path: string, name: string): ts.Type {
  const decl = program.getSourceFile(path)?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!decl) throw new Error(`interface ${name} not found in ${path}`);
  return checker.getTypeAtLocation(decl);
}

function load(): Schema {
  if (schema) return schema;
  const program = ts.createProgram([SOURCES.kinds, SOURCES.options], {
    strict: true,
    noEmit: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  schema = {
    checker,
    objectTypes: interfaceType(checker, program, SOURCES.kinds, 'KindToObject'),
    optionsType: interfaceType(checker, program, SOURCES.options, 'TranslateOptions'),
  };
  return schema;
}

function isOpen(t: ts.Type): boolean {
  return (t.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0;
}

/** The object-like members of a (possibly optional, possibly union) type. */
function objectMembers(checker: ts.TypeChecker, t: ts.Type): ts.Type[] {
  const nonNull = checker.getNonNullableType(t);
  const members = nonNull.isUnion() ? nonNull.types : [nonNull];
  return members.filter((m) => (m.flags & ts.TypeFlags.Object) !== 0 || m.isIntersection());
}

function walk(checker: ts.TypeChecker, value: unknown, t: ts.Type, path: string, out: string[]): void {
  if (isOpen(t) || value === null || typeof value !== 'object') return;
  const members = objectMembers(checker, t);
  const isList = (m: ts.Type) => checker.isArrayType(m) || checker.isTupleType(m);
  if (Array.isArray(value)) {
    const list = members.find(isList);
    const element = list && checker.getTypeArguments(list as ts.TypeReference)[0];
    if (element) value.forEach((v, i) => walk(checker, v, element, `${path}[${i}]`, out));
    return; // a list where none is declared is a value for the translator to refuse, not a name
  }
  const records = members.filter((m) => !isList(m));
  if (records.length === 0) return; // likewise an object where a list or a scalar is declared
  for (const [key, v] of Object.entries(value)) {
    const property = records.map((m) => m.getProperty(key)).find((p) => p !== undefined);
    const declared = property ? checker.getTypeOfSymbol(property) : records.map((m) => checker.getIndexTypeOfType(m, ts.IndexKind.String)).find((x) => x !== undefined);
    if (declared) walk(checker, v, declared, `${path}.${key}`, out);
    else out.push(`${path}.${key}: not a field of ${checker.typeToString(records[0]!)}`);
  }
}

/** Fields of a Kubernetes object (`kind` one of src/api/kinds.ts) its type does not declare. */
export function undeclaredFields(object: { kind?: unknown }, where = ''): string[] {
  const { checker, objectTypes } = load();
  const kind = typeof object.kind === 'string' ? objectTypes.getProperty(object.kind) : undefined;
  if (!kind) return [`${where}kind ${JSON.stringify(object.kind)} is not a kind Sluice reads`];
  const out: string[] = [];
  walk(checker, object, checker.getTypeOfSymbol(kind), `${where}${object.kind}`, out);
  return out;
}

/** Fields of a TranslateOptions document's `spec` that TranslateOptions does not declare. */
export function undeclaredOptionFields(spec: unknown, where = ''): string[] {
  const { checker, optionsType } = load();
  const out: string[] = [];
  walk(checker, spec, optionsType, `${where}TranslateOptions.spec`, out);
  return out;
}
