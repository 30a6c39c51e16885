// HTTPRoute filters and Gateway isolation end to end: a real Sluice process and real backends.
// Redirects, rewrites, header modifiers, mirrors, the 500 of a rule without valid backends, and
// two Gateways on the same port kept apart by their own spec.addresses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { request } from 'undici';
import { startEchoBackend } from '../../src/demo/backend.js';
import { closeServers, eventually, freePort, ManifestDir, serviceYaml, type Sluice, startSluice, GATEWAY_CLASS_YAML, httpGatewayYaml } from './support/harness.js';

const GATEWAYS = `${GATEWAY_CLASS_YAML}
---
${httpGatewayYaml('app', 'main')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: blue, namespace: app }
spec:
  gatewayClassName: sluice
  addresses: [{ value: 127.0.0.11 }]
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: green, namespace: app }
spec:
  gatewayClassName: sluice
  addresses: [{ value: 127.0.0.12 }]
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: filters, namespace: app }
spec:
  parentRefs: [{ name: main }]
  hostnames: [f.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters: [{ type: RequestRedirect, requestRedirect: { scheme: https, hostname: new.example.com, path: { type: ReplacePrefixMatch, replacePrefixMatch: /new }, statusCode: 301 } }]
    - matches: [{ path: { type: PathPrefix, value: /v1 } }]
      filters:
        - { type: URLRewrite, urlRewrite: { hostname: internal.example.com, path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } } }
        - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: X-Env, value: test }], remove: [X-Drop] } }
        - { type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: X-Served-By, value: sluice }] } }
        - { type: RequestMirror, requestMirror: { backendRef: { name: shadow, port: 80 } } }
      backendRefs: [{ name: echo, port: 80 }]
    - matches: [{ path: { type: Exact, value: /broken } }]
      backendRefs: [{ name: does-not-exist, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: blue, namespace: app }
spec:
  parentRefs: [{ name: blue }]
  rules: [{ backendRefs: [{ name: blue, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: green, namespace: app }
spec:
  parentRefs: [{ name: green }]
  rules: [{ backendRefs: [{ name: green, port: 80 }] }]
`;

describe('Gateway API filters and isolation (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  const mirrored: { path: string; host: string; env: string | undefined }[] = [];

  async function get(address: string, path: string, headers: Record<string, string>) {
    const r = await request(`http://${address}:${sluice.httpPort}${path}`, { headers, reset: true });
    const body = await r.body.text();
    return { status: r.statusCode, headers: r.headers, body };
  }

  beforeAll(async () => {
    const ports = { echo: await freePort(), shadow: await freePort(), blue: await freePort(), green: await freePort() };
    const shadow = createServer((req, res) => {
      mirrored.push({ path: req.url ?? '', host: req.headers.host ?? '', env: req.headers['x-env'] as string | undefined });
      res.writeHead(418).end('mirror answers are dropped');
    });
    await new Promise<void>((r) => shadow.listen(ports.shadow, '127.0.0.1', () => r()));
    servers = [shadow, await startEchoBackend('echo', ports.echo), await startEchoBackend('blue', ports.blue), await startEchoBackend('green', ports.green)];
    dir.write('gateways.yaml', GATEWAYS);
    dir.write('services.yaml', Object.entries(ports).map(([name, port]) => serviceYaml('app', name, [{ port }])).join('\n---\n'));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('redirects with scheme, hostname, prefix replacement and status code', async () => {
    const r = await get('127.0.0.1', '/old/page?x=1', { host: 'f.example.com' });
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('https://new.example.com/new/page?x=1');
  });

  it('rewrites host and path, edits headers both ways, and mirrors the request', async () => {
    const r = await get('127.0.0.1', '/v1/items', { host: 'f.example.com', 'x-drop': 'gone' });
    expect(r.status).toBe(200);
    expect(r.headers['x-served-by']).toBe('sluice');
    const echo = JSON.parse(r.body) as { path: string; host: string; headers: Record<string, string> };
    expect(echo.path).toBe('/v2/items');
    expect(echo.host).toBe('internal.example.com');
    expect(echo.headers['x-env']).toBe('test');
    expect(echo.headers['x-drop']).toBeUndefined();
    const copy = await eventually('the mirrored request', async () => mirrored.find((m) => m.path === '/v2/items'), 5000);
    expect(copy).toEqual({ path: '/v2/items', host: 'internal.example.com', env: 'test' });
  });

  it('answers 500 for a rule whose backends are all invalid', async () => {
    const r = await get('127.0.0.1', '/broken', { host: 'f.example.com' });
    expect(r.status).toBe(500);
  });

  it('keeps Gateways on the same port apart by their addresses', async () => {
    expect(JSON.parse((await get('127.0.0.11', '/', { host: 'any.example.com' })).body).backend).toBe('blue');
    expect(JSON.parse((await get('127.0.0.12', '/', { host: 'any.example.com' })).body).backend).toBe('green');
    // The address-less Gateway has no route for this host: neither blue nor green leaks into it.
    expect((await get('127.0.0.1', '/', { host: 'any.example.com' })).status).toBe(404);
  });
});
