// Reading one of Sluice's CRDs (crds/sluice/) for the tests that keep its schema and the
// translator in step: the parsed CRD, its first version, the spec schema, lookups by field path,
// every property path, and an object with every field set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
  description?: string;
  default?: unknown;
}

/** Every property path of a schema ("loadBalancer.consistentHash.tableSize"). */
export function schemaPaths(s: Schema, prefix = ''): string[] {
  const props = (s.type === 'array' ? s.items! : s).properties ?? {};
  return Object.entries(props).flatMap(([name, child]) => [`${prefix}${name}`, ...schemaPaths(child, `${prefix}${name}.`)]);
}

/** An object with every property of the schema set (leaves get a placeholder of their type). */
export function everyField(s: Schema): unknown {
  if (s.type === 'array') return [everyField(s.items!)];
  if (s.type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, everyField(v)]));
  return s.type === 'string' ? 'x' : s.type === 'boolean' ? true : 1;
}

export function loadCrd(file: string) {
  const crd = parse(readFileSync(join(process.cwd(), 'crds', 'sluice', file), 'utf8'));
  const version = crd.spec.versions[0];
  const root: Schema = version.schema.openAPIV3Schema;
  const spec = root.properties!['spec']!;
  /** The schema of a spec field by path; throws naming the missing part. */
  const at = (path: string): Schema => {
    let s: Schema = spec;
    for (const part of path.split('.')) {
      const next = (s.type === 'array' ? s.items! : s).properties?.[part];
      if (!next) throw new Error(`${path}: no ${part} in the CRD schema`);
      s = next;
    }
    return s;
  };
  return { crd, version, root, spec, at };
}
