// Junk in every field of a policy: for each field path translate reads, each junk value set
// there alone (beside a target that exists), translated with an Ingress web.test → Service web
// in namespace app. Shared by the BackendTrafficPolicy and RoutePolicy validator tests.
import type { KubeObject } from '../../../src/api/core.js';
import { translate } from '../../../src/translate/translate.js';
import type { TranslateResult } from '../../../src/translate/types.js';
import { implementedFieldPaths } from '../../../src/translate/unimplemented.js';
import { objectsFromYaml, snapshotFromObjects } from './objects.js';

export const JUNK: readonly unknown[] = [null, 'x', '', -1, 0, 1.5, 1e12, true, [], [1, 'a'], {}, { a: 1 }];

const BASE = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: app }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
spec: { controller: sluice.dev/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web, namespace: app }
spec:
  ingressClassName: sluice
  rules: [{ host: web.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]
`;

/** Calls `check` once per (field path, junk value) with the translation of a policy holding only that. */
export function forEachJunkField(kind: 'BackendTrafficPolicy' | 'RoutePolicy', targetRef: Readonly<Record<string, string>>, check: (path: string, value: unknown, result: TranslateResult) => void): number {
  const paths = implementedFieldPaths(kind);
  for (const path of paths) {
    for (const value of JUNK) {
      const spec: Record<string, unknown> = { targetRefs: [targetRef] };
      let at = spec;
      const parts = path.split('.');
      parts.slice(0, -1).forEach((p) => (at = (at[p] ??= {}) as Record<string, unknown>));
      at[parts.at(-1)!] = value;
      const policy = { apiVersion: 'sluice.dev/v1alpha1', kind, metadata: { name: 'p', namespace: 'app' }, spec };
      check(path, value, translate(snapshotFromObjects([...objectsFromYaml(BASE), policy as KubeObject]), { ingressClass: 'sluice' }));
    }
  }
  return paths.length;
}
