// ReDoS regression (issue 8 finding 1): RegularExpression matches run on a linear-time engine.
// `/(a+)+$` against "/" + 40 × "a" + "!" backtracks for hours on V8's default engine, freezing
// every host; here it is answered at once while a request to another route is served normally.
// Run in one process and with --workers 2, since every process that compiles patterns must have
// the engine enabled. A pattern the engine refuses rejects only its own HTTPRoute.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, debugRoutes, eventually, get, ManifestDir, serviceYaml, type Sluice, startBackends, startSluice, stopBackends, GATEWAY_CLASS_YAML, httpGatewayYaml } from './support/harness.js';

const EVIL = `/${'a'.repeat(40)}!`;

const routes = `${GATEWAY_CLASS_YAML}
---
${httpGatewayYaml('rx', 'gw')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: evil, namespace: rx }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [evil.example.com]
  rules:
    - matches: [{ path: { type: RegularExpression, value: "/(a+)+$" } }]
      backendRefs: [{ name: evil, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /h }, headers: [{ type: RegularExpression, name: X-Probe, value: "(a+)+$" }] }]
      backendRefs: [{ name: evil, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: backreference, namespace: rx }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [backref.example.com]
  rules: [{ matches: [{ path: { type: RegularExpression, value: "/(a)\\\\1" } }], backendRefs: [{ name: evil, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: plain, namespace: rx }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [plain.example.com]
  rules: [{ backendRefs: [{ name: plain, port: 80 }] }]
`;

describe.each([
  ['one process', [] as string[]],
  ['--workers 2', ['--workers', '2']],
])('linear-time regular expressions (%s)', (_mode, args) => {
  let backends: Backend[];
  let dir: ManifestDir;
  let sluice: Sluice;

  beforeAll(async () => {
    backends = await startBackends(['evil', 'plain']);
    dir = new ManifestDir();
    dir.write('services.yaml', [serviceYaml('rx', 'evil', [{ port: backends[0]!.port }]), serviceYaml('rx', 'plain', [{ port: backends[1]!.port }])].join('\n---\n'));
    dir.write('routes.yaml', routes);
    sluice = await startSluice(dir.path, args);
    await eventually('plain route', async () => (await get(sluice.httpPort, 'plain.example.com', '/')).status === 200, 10_000);
  });
  afterAll(async () => {
    await sluice?.stop();
    await stopBackends(backends ?? []);
    dir?.remove();
  });

  it('answers a path that would make a backtracking engine run for hours, while other routes keep serving', async () => {
    const [evil, plain] = await Promise.all([get(sluice.httpPort, 'evil.example.com', EVIL), get(sluice.httpPort, 'plain.example.com', '/other')]);
    expect(evil.status).toBe(404);
    expect(plain.status).toBe(200);
    expect(plain.json().backend).toBe('plain');
    // The pattern is live, not rejected: a matching path reaches its backend.
    const hit = await get(sluice.httpPort, 'evil.example.com', '/aaaa');
    expect(hit.status).toBe(200);
    expect(hit.json().backend).toBe('evil');
  });

  it('answers a header value that would make a backtracking engine run for hours', async () => {
    const [evil, plain] = await Promise.all([
      get(sluice.httpPort, 'evil.example.com', '/h', { headers: { 'x-probe': `${'a'.repeat(40)}!` } }),
      get(sluice.httpPort, 'plain.example.com', '/'),
    ]);
    expect(evil.status).toBe(404);
    expect(plain.status).toBe(200);
    expect((await get(sluice.httpPort, 'evil.example.com', '/h', { headers: { 'x-probe': 'aaa' } })).status).toBe(200);
  });

  it('rejects a pattern the engine cannot run in linear time on its own route only', async () => {
    expect((await get(sluice.httpPort, 'backref.example.com', '/aa')).status).toBe(404);
    const status = (await debugRoutes(sluice)).statuses.find((s) => s.kind === 'HTTPRoute' && s.name === 'backreference');
    expect(JSON.stringify(status)).toMatch(/"reason":"UnsupportedValue".*backreferences are not supported/);
  });
});
