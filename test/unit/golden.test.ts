// Golden tests of the pure translator: every src/translate/testdata/<case>.in.yaml (objects as a
// cluster would hold them) translates to exactly <case>.out.yaml. UPDATE_GOLDEN=1 rewrites the
// outputs; review the diff before committing it.
//
// An input may start with a document `kind: TranslateOptions` (not a Kubernetes object) to set
// the options; the default is { ingressClass: sluice }.
//
// Inputs are read strictly: a field the translator's types do not declare (support/
// declared-fields.ts), a kind or apiVersion Sluice does not watch, or a duplicate key fails the
// case, so a typo cannot quietly turn a case into one that tests nothing.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { parseManifest } from '../../src/file/provider.js';
import { translate } from '../../src/translate/translate.js';
import type { TranslateOptions } from '../../src/translate/types.js';
import { validateTable } from '../../src/table/validate.js';
import { snapshotFromObjects } from './support/objects.js';
import { undeclaredFields, undeclaredOptionFields } from './support/declared-fields.js';
import type { Snapshot } from '../../src/store/snapshot.js';

const dir = join(process.cwd(), 'src', 'translate', 'testdata');
const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();

interface Case {
  readonly options: TranslateOptions;
  readonly snapshot: () => Snapshot;
  /** Why the input is not what it seems: undeclared fields, skipped objects. Empty when sound. */
  readonly problems: readonly string[];
}

function readCase(file: string, text: string): Case {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const problems = list.flatMap((d) => d.errors.map((e) => e.message));
  if (problems.length > 0) return { options: { ingressClass: 'sluice' }, snapshot: () => snapshotFromObjects([]), problems };
  let options: TranslateOptions = { ingressClass: 'sluice' };
  const rest: string[] = [];
  list.forEach((d, i) => {
    const v = d.toJS() as { kind?: string; spec?: Partial<TranslateOptions> } | null;
    const where = `document ${i}: `;
    if (v?.kind === 'TranslateOptions') {
      const extra = Object.keys(v).filter((k) => k !== 'kind' && k !== 'spec');
      problems.push(...extra.map((k) => `${where}TranslateOptions.${k}: not a field (only kind and spec)`), ...undeclaredOptionFields(v.spec, where));
      options = { ...options, ...v.spec };
    } else {
      if (v !== null) problems.push(...undeclaredFields(v, where));
      rest.push(d.toString());
    }
  });
  const manifest = parseManifest(file, rest.join('\n---\n'));
  problems.push(...manifest.problems.map((p) => p.message), ...manifest.skipped.map((s) => `${s}: not a kind and apiVersion Sluice watches`));
  return { options, snapshot: () => snapshotFromObjects(manifest.objects), problems };
}

function render(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

describe('translate golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const file of cases) {
    it(file.replace('.in.yaml', ''), () => {
      const { options, snapshot, problems } = readCase(file, readFileSync(join(dir, file), 'utf8'));
      expect(problems).toEqual([]);
      const result = translate(snapshot(), options);
      expect(validateTable(result.table)).toEqual([]);
      const actual = render(result);
      const outPath = join(dir, file.replace('.in.yaml', '.out.yaml'));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(outPath)) {
        writeFileSync(outPath, actual);
        if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`wrote missing golden ${outPath}; review it and run again`);
      }
      expect(actual).toBe(readFileSync(outPath, 'utf8'));
      // Determinism: translating the same snapshot again gives byte-equal output.
      expect(render(translate(snapshot(), options))).toBe(actual);
    });
  }
});

describe('golden inputs are read strictly', () => {
  const ingress = (path: string) => `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: i, namespace: ns, labels: { any-label: x } }
spec:
  ingressClassName: sluice
  rules: [{ host: a.example.com, http: { paths: [${path}] } }]
status: { loadBalancer: { anything: goes } }
`;
  const route = (rule: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: ns }
spec: { parentRefs: [{ name: gw }], rules: [${rule}] }
`;

  it('accepts the declared fields, any labels and any status', () => {
    expect(readCase('t', ingress('{ path: /, pathType: Prefix, backend: { service: { name: s, port: { number: 80 } } } }')).problems).toEqual([]);
    expect(readCase('t', route('{ backendRefs: [{ name: s, port: 80 }], filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: a, value: b }] } }] }')).problems).toEqual([]);
  });

  it('fails on a misspelt field, naming where it is', () => {
    expect(readCase('t', ingress('{ path: /, pathtype: Prefix, backend: { service: { name: s, port: { number: 80 } } } }')).problems).toEqual([
      'document 0: Ingress.spec.rules[0].http.paths[0].pathtype: not a field of HTTPIngressPath',
    ]);
    expect(readCase('t', route('{ backendRef: [{ name: s, port: 80 }] }')).problems).toEqual(['document 0: HTTPRoute.spec.rules[0].backendRef: not a field of HTTPRouteRule']);
    expect(readCase('t', route('{ filters: [{ type: RequestHeaderModifier, requestHeaderModifer: {} }] }')).problems).toEqual([
      'document 0: HTTPRoute.spec.rules[0].filters[0].requestHeaderModifer: not a field of HTTPRouteFilter',
    ]);
    expect(readCase('t', 'kind: TranslateOptions\nspec: { watchNamspace: web }\n').problems).toEqual(['document 0: TranslateOptions.spec.watchNamspace: not a field of TranslateOptions']);
  });

  it('fails on an object Sluice would skip and on a duplicate key', () => {
    expect(readCase('t', route('{}').replace('gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1')).problems).toEqual([
      'gateway.networking.k8s.io/v1beta1/HTTPRoute ns/r: not a kind and apiVersion Sluice watches',
    ]);
    expect(readCase('t', 'apiVersion: v1\nkind: Pod\nmetadata: { name: c }\n').problems).toEqual([
      'document 0: kind "Pod" is not a kind Sluice reads',
      'v1/Pod default/c: not a kind and apiVersion Sluice watches',
    ]);
    expect(readCase('t', route('{ matches: [{ path: { value: /a, value: /b } }] }')).problems).toEqual([expect.stringContaining('Map keys must be unique')]);
  });
});
