// End-to-end routing in file mode: a real sluice process, real backends, real requests.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, debugRoutes, get, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;
const port = (name: string) => backends.find((b) => b.name === name)!.port;

beforeAll(async () => {
  backends = await startBackends(['web', 'api', 'api-2', 'wild', 'fallback', 'other-class', 'spread-1', 'spread-2', 'spread-3']);
  dir = new ManifestDir();
  dir.write('class.yaml', `${INGRESS_CLASS_YAML}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: nginx }
spec: { controller: k8s.io/ingress-nginx }`);
  dir.write('services.yaml', [
    serviceYaml('shop', 'web', [{ port: port('web') }]),
    // api: one ready endpoint, one not ready, one terminating but still serving.
    serviceYaml('shop', 'api', [{ port: port('api') }, { port: port('api-2'), ready: false }, { port: port('web'), ready: false, serving: true, terminating: true }]),
    serviceYaml('shop', 'wild', [{ port: port('wild') }]),
    serviceYaml('shop', 'fallback', [{ port: port('fallback') }]),
    serviceYaml('shop', 'other', [{ port: port('other-class') }]),
    serviceYaml('shop', 'spread', [{ port: port('spread-1') }, { port: port('spread-2') }, { port: port('spread-3') }]),
    serviceYaml('shop', 'draining', [{ port: port('api-2'), ready: false, serving: true, terminating: true }, { port: port('web'), ready: false, serving: false }]),
    serviceYaml('shop', 'empty', []),
  ].join('\n---\n'));
  dir.write('ingress.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z" }
spec:
  ingressClassName: sluice
  defaultBackend: { service: { name: fallback, port: { number: 80 } } }
  rules:
    - host: shop.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: web, port: { name: http } } } }
          - { path: /api, pathType: Prefix, backend: { service: { name: api, port: { number: 80 } } } }
          - { path: /api/exact, pathType: Exact, backend: { service: { name: web, port: { number: 80 } } } }
          - { path: /spread, pathType: Prefix, backend: { service: { name: spread, port: { number: 80 } } } }
          - { path: /draining, pathType: Prefix, backend: { service: { name: draining, port: { number: 80 } } } }
          - { path: /empty, pathType: Prefix, backend: { service: { name: empty, port: { number: 80 } } } }
          - { path: /missing, pathType: Prefix, backend: { service: { name: does-not-exist, port: { number: 80 } } } }
    - host: "*.wild.example.com"
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: wild, port: { number: 80 } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: not-ours, namespace: shop }
spec:
  ingressClassName: nginx
  rules:
    - host: other.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: other, port: { number: 80 } } } }
`);
  sluice = await startSluice(dir.path);
});

afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
});

const backendOf = async (host: string, path: string) => {
  const r = await get(sluice.httpPort, host, path);
  expect(r.status).toBe(200);
  return r.json().backend;
};

describe('routing', () => {
  it('routes by host and path with Exact before Prefix and longest prefix first', async () => {
    expect(await backendOf('shop.example.com', '/')).toBe('web');
    expect(await backendOf('shop.example.com', '/api')).toBe('api');
    expect(await backendOf('shop.example.com', '/api/users?id=3')).toBe('api');
    expect(await backendOf('shop.example.com', '/api/exact')).toBe('web');
    expect(await backendOf('shop.example.com', '/apix')).toBe('web');
    expect(await backendOf('SHOP.example.com:8080', '/api/')).toBe('api');
  });

  it('matches a wildcard host on exactly one label', async () => {
    expect(await backendOf('a.wild.example.com', '/')).toBe('wild');
    // Two labels do not match the wildcard: the default backend answers.
    expect(await backendOf('a.b.wild.example.com', '/')).toBe('fallback');
  });

  it('ignores Ingresses of another IngressClass', async () => {
    expect(await backendOf('other.example.com', '/')).toBe('fallback');
  });

  it('serves spec.defaultBackend for requests no rule matches', async () => {
    expect(await backendOf('unknown.example.com', '/anything')).toBe('fallback');
  });

  it('answers 503 with a plain body for a missing Service while other routes work', async () => {
    const r = await get(sluice.httpPort, 'shop.example.com', '/missing');
    expect(r.status).toBe(503);
    expect(r.body).toBe('no ready endpoint\n');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(await backendOf('shop.example.com', '/')).toBe('web');
    const diag = (await debugRoutes(sluice)).diagnostics;
    expect(diag.some((d) => d.code === 'SLUICE_SERVICE_NOT_FOUND' && d.source.name === 'shop')).toBe(true);
  });

  it('answers 503 when a Service has no endpoints', async () => {
    expect((await get(sluice.httpPort, 'shop.example.com', '/empty')).status).toBe(503);
  });

  it('never sends traffic to a not-ready endpoint while a ready one exists', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(await backendOf('shop.example.com', '/api/x'));
    expect([...seen]).toEqual(['api']);
  });

  it('falls back to serving terminating endpoints when none is ready', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await backendOf('shop.example.com', '/draining'));
    expect([...seen]).toEqual(['api-2']);
  });

  it('spreads requests evenly over ready endpoints', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const b = await backendOf('shop.example.com', '/spread');
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    expect(counts).toEqual(new Map([['spread-1', 20], ['spread-2', 20], ['spread-3', 20]]));
  });

  it('sets forwarded headers and keeps the Host', async () => {
    const r = await get(sluice.httpPort, 'shop.example.com', '/headers', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-42', connection: 'keep-alive, x-drop-me', 'x-drop-me': '1' } });
    const h = r.json().headers;
    expect(r.json().host).toBe('shop.example.com');
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('shop.example.com');
    expect(h['x-forwarded-port']).toBe(String(sluice.httpPort));
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-request-id']).toBe('req-42');
    expect(h['x-drop-me']).toBeUndefined();
    const generated = (await get(sluice.httpPort, 'shop.example.com', '/')).json().headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams request bodies to the upstream', async () => {
    const body = 'x'.repeat(256 * 1024);
    const r = await get(sluice.httpPort, 'shop.example.com', '/api/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(r.json().bodyBytes).toBe(body.length);
    expect(r.json().method).toBe('POST');
  });

  it('moves the /metrics counters', async () => {
    const before = await metricValue(sluice, 'sluice_requests_total', { backend: 'shop/web:80', code: '200' });
    await backendOf('shop.example.com', '/');
    await backendOf('shop.example.com', '/');
    expect(await metricValue(sluice, 'sluice_requests_total', { backend: 'shop/web:80', code: '200' })).toBe(before + 2);
    expect(await metricValue(sluice, 'sluice_table_swaps_total')).toBeGreaterThanOrEqual(1);
    expect(await metricValue(sluice, 'sluice_translate_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(await metricValue(sluice, 'sluice_endpoints', { backend: 'shop/api:80', state: 'ready' })).toBe(1);
    expect(await metricValue(sluice, 'sluice_endpoints', { backend: 'shop/api:80', state: 'not_ready' })).toBe(1);
    expect(await metricValue(sluice, 'sluice_request_duration_seconds_count')).toBeGreaterThan(0);
  });
});

describe('404', () => {
  let bare: Sluice;
  let bareDir: ManifestDir;
  beforeAll(async () => {
    bareDir = new ManifestDir();
    bareDir.write('all.yaml', `${INGRESS_CLASS_YAML}
---
${serviceYaml('x', 'web', [{ port: port('web') }])}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: only, namespace: x }
spec:
  ingressClassName: sluice
  rules: [{ host: only.example.com, http: { paths: [{ path: /app, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]
`);
    bare = await startSluice(bareDir.path);
  });
  afterAll(async () => {
    await bare?.stop();
    bareDir?.remove();
  });

  it('answers 404 with a plain body for an unknown host or path', async () => {
    for (const [host, path] of [['nowhere.example.com', '/'], ['only.example.com', '/other']] as const) {
      const r = await get(bare.httpPort, host, path);
      expect(r.status).toBe(404);
      expect(r.body).toBe('no route\n');
    }
    expect((await get(bare.httpPort, 'only.example.com', '/app/x')).status).toBe(200);
  });
});
