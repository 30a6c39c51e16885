import { describe, expect, it } from '@jest/globals';
import { canonicalPrefix, dnsNameProblem, invalidHeaderNames, isCanonicalPrefix, isHeaderName } from '../../../src/table/canonical.js';
import { validateTable } from '../../../src/table/validate.js';
import { translate } from '../../../src/translate/translate.js';
import { snapshotFromYaml } from '../support/objects.js';

describe('canonical table values', () => {
  it('drops trailing slashes from prefixes and keeps the root', () => {
    expect(canonicalPrefix('/')).toBe('/');
    expect(canonicalPrefix('//')).toBe('/');
    expect(canonicalPrefix('/api/')).toBe('/api');
    expect(canonicalPrefix('/api///')).toBe('/api');
    expect(canonicalPrefix('/a//b')).toBe('/a//b');
    expect(isCanonicalPrefix('/api')).toBe(true);
    expect(isCanonicalPrefix('/api/')).toBe(false);
  });

  it('accepts lower-case tokens as header names and lists the others in order', () => {
    expect(isHeaderName('x-request-id')).toBe(true);
    expect(isHeaderName('X-Request-Id')).toBe(false);
    expect(isHeaderName('bad name')).toBe(false);
    expect(isHeaderName('')).toBe(false);
    expect(invalidHeaderNames({ set: [{ name: 'ok', value: '' }, { name: 'b c', value: '' }], add: [{ name: 'd:e', value: '' }], remove: ['Up'] })).toEqual(['b c', 'd:e', 'Up']);
  });

  it('is the form both translators give a prefix, and the form validate() requires', () => {
    const result = translate(
      snapshotFromYaml(`
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
spec: { controller: sluice.dev/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: i, namespace: ns }
spec:
  ingressClassName: sluice
  rules: [{ host: a.example.com, http: { paths: [{ path: /ing///, pathType: Prefix, backend: { service: { name: s, port: { number: 80 } } } }] } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: c }
spec: { controllerName: sluice.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: g, namespace: ns }
spec: { gatewayClassName: c, listeners: [{ name: h, port: 8081, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: ns }
spec:
  parentRefs: [{ name: g }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /gw// } }] }]
`),
      { ingressClass: 'sluice' },
    );
    expect(validateTable(result.table)).toEqual([]);
    const prefixes = result.table.listeners.flatMap((l) => l.virtualHosts.flatMap((vh) => vh.routes.map((r) => r.match.path.value)));
    expect(prefixes.sort()).toEqual(['/gw', '/ing']);
  });
});

describe('dnsNameProblem', () => {
  it.each(['example.com', '*.example.com', 'a-b.c1.test', 'x'])('accepts %s', (name) => expect(dnsNameProblem(name)).toBeUndefined());
  it.each(['', 'Example.com', 'a..b', '-a.test', 'a-.test', '*.*.test', 'a.*.test', 'a_b.test', `${'a'.repeat(250)}.com`])('refuses %j', (name) => expect(dnsNameProblem(name)).toMatch(/DNS name/));
});
