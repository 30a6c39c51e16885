// The access log end to end, in file mode with real backends: one JSON line per request in the
// file every worker appends to — a proxied request (endpoint, timings, request id, client), a
// request retried after its first endpoint refused the connection, and answers of the proxy
// itself (404 no route, 503 no ready endpoint, 503 circuit-breaker overflow) naming their code;
// then stdout with a field selection, and sampling at 0 writing nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, eventually, freePort, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, serviceYaml, type Sluice, sleep, startBackends, startSluice, stopBackends } from './support/harness.js';

const NS = 'al';
let dir: ManifestDir;
let backends: Backend[];
let sluice: Sluice;
let logPath: string;
let deadPort: number;

interface Line {
  readonly [field: string]: unknown;
}

function lines(): Line[] {
  if (!existsSync(logPath)) return [];
  return readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

/** The access-log line whose request carried this x-request-id (waits for the flush). */
function lineFor(id: string): Promise<Line> {
  return eventually(`access-log line for ${id}`, () => lines().find((l) => l['request_id'] === id), 5000);
}

const send = (host: string, id: string, path = '/') => get(sluice.httpPort, host, path, { headers: { 'x-request-id': id, 'user-agent': 'al-test/1' } });

beforeAll(async () => {
  dir = new ManifestDir();
  backends = await startBackends(['web-0', 'slow-0']);
  deadPort = await freePort();
  const [web, slow] = backends as [Backend, Backend];
  logPath = join(dir.path, 'access.log');
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'web', [{ port: web.port }]),
    ingressYaml(NS, 'web', 'web.al.test', [{ path: '/', service: 'web' }]),
    // Its first endpoint refuses connections: a request that lands there is retried on the second.
    serviceYaml(NS, 'flaky', [{ port: deadPort }, { port: web.port }]),
    ingressYaml(NS, 'flaky', 'flaky.al.test', [{ path: '/', service: 'flaky' }]),
    serviceYaml(NS, 'empty', [{ port: web.port, ready: false, serving: false }]),
    ingressYaml(NS, 'empty', 'empty.al.test', [{ path: '/', service: 'empty' }]),
    serviceYaml(NS, 'slow', [{ port: slow.port }]),
    ingressYaml(NS, 'slow', 'slow.al.test', [{ path: '/', service: 'slow' }]),
    `apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: slow, namespace: ${NS} }
spec:
  targetRefs: [{ group: "", kind: Service, name: slow }]
  circuitBreaker: { maxConnections: 100, maxPendingRequests: 100, maxParallelRequests: 1, maxParallelRetries: 3 }`,
  ].join('\n---\n'));
  sluice = await startSluice(dir.path, ['--access-log', logPath, '--workers', '2']);
  await eventually('routes installed', async () => (await get(sluice.httpPort, 'web.al.test', '/')).status === 200);
});

afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
});

describe('access log to a file (--workers 2)', () => {
  it('writes a proxied request with its route, cluster, endpoint, timings and client', async () => {
    const r = await send('web.al.test', 'al-proxied', '/hello/world?secret=1');
    expect(r.status).toBe(200);
    const line = await lineFor('al-proxied');
    expect(line).toMatchObject({
      client: '127.0.0.1',
      method: 'GET',
      host: 'web.al.test',
      path: '/hello/world',
      protocol: 'HTTP/1.1',
      status: 200,
      bytes_out: Buffer.byteLength(r.body),
      upstream: `127.0.0.1:${backends[0]!.port}`,
      cluster: 'al/web:80',
      user_agent: 'al-test/1',
      retries: 0,
      reason: null,
    });
    expect(line).not.toHaveProperty('query');
    expect(String(line['route'])).toContain('al/web');
    expect(line['bytes_in']).toBeGreaterThan(50);
    expect(line['duration_ms']).toBeGreaterThan(0);
    expect(line['upstream_ms']).toBeGreaterThan(0);
    expect(line['upstream_ms']).toBeLessThanOrEqual(line['duration_ms'] as number);
    expect(Date.now() - Date.parse(String(line['time']))).toBeLessThan(10_000);
  });

  it('writes a retried request once, with the endpoint that answered and the retry count', async () => {
    // Round robin over two endpoints: of two requests one is sent to the dead endpoint first.
    for (const id of ['al-retry-1', 'al-retry-2']) expect((await send('flaky.al.test', id)).status).toBe(200);
    const both = [await lineFor('al-retry-1'), await lineFor('al-retry-2')];
    const retried = both.filter((l) => l['retries'] === 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    for (const l of both) expect(l).toMatchObject({ status: 200, upstream: `127.0.0.1:${backends[0]!.port}`, cluster: 'al/flaky:80' });
    expect(lines().filter((l) => String(l['request_id']).startsWith('al-retry-'))).toHaveLength(2);
  });

  it('writes answers of the proxy itself with the reason: no route, no ready endpoint, overflow', async () => {
    expect((await send('nowhere.al.test', 'al-404')).status).toBe(404);
    expect(await lineFor('al-404')).toMatchObject({ status: 404, route: '-', cluster: '-', upstream: null, reason: 'SLUICE_NO_ROUTE', host: 'nowhere.al.test' });
    expect((await send('empty.al.test', 'al-503')).status).toBe(503);
    expect(await lineFor('al-503')).toMatchObject({ status: 503, cluster: 'al/empty:80', upstream: null, reason: 'SLUICE_NO_READY_ENDPOINT' });
    // One request at a time on "slow": while one is held 600 ms, the next overflows. Each
    // worker counts its own requests, so hold requests until one overflows.
    expect((await get(backends[1]!.port, 'fault', '/_fault/delay/600')).status).toBe(200);
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => sleep(i * 20).then(() => send('slow.al.test', `al-slow-${i}`))));
    const overflowed = replies.map((r, i) => [r.status, i] as const).filter(([status]) => status === 503);
    expect(overflowed.length).toBeGreaterThan(0);
    const line = await lineFor(`al-slow-${overflowed[0]![1]}`);
    expect(line).toMatchObject({ status: 503, cluster: 'al/slow:80', upstream: null, reason: 'SLUICE_CIRCUIT_BREAKER_OVERFLOW' });
    await get(backends[1]!.port, 'fault', '/_fault/delay/0');
  });
});

describe('access log on stdout', () => {
  it('writes the selected fields only, the client as the trusted-proxy rules derive it; sampling 0 writes nothing', async () => {
    const out = await startSluice(dir.path, ['--access-log', 'stdout', '--access-log-fields', 'status,host,request_id,client', '--trusted-proxies', '127.0.0.1/32']);
    const quiet = await startSluice(dir.path, ['--access-log', 'stdout', '--access-log-sample', '0']);
    try {
      for (const s of [out, quiet]) await eventually('routes installed', async () => (await get(s.httpPort, 'web.al.test', '/')).status === 200);
      await get(out.httpPort, 'web.al.test', '/', { headers: { 'x-request-id': 'al-stdout', 'x-forwarded-for': '203.0.113.5' } });
      await get(out.httpPort, 'nowhere.al.test', '/', { headers: { 'x-request-id': 'al-stdout-404', 'x-forwarded-for': '203.0.113.6' } });
      await get(quiet.httpPort, 'web.al.test', '/', { headers: { 'x-request-id': 'al-quiet' } });
      const line = await eventually('stdout line', () => out.output().split('\n').find((l) => l.includes('"al-stdout"')), 5000);
      expect(JSON.parse(line)).toEqual({ client: '203.0.113.5', host: 'web.al.test', status: 200, request_id: 'al-stdout' });
      const refused = await eventually('stdout line of the 404', () => out.output().split('\n').find((l) => l.includes('"al-stdout-404"')), 5000);
      expect(JSON.parse(refused)).toEqual({ client: '203.0.113.6', host: 'nowhere.al.test', status: 404, request_id: 'al-stdout-404' });
      await sleep(500);
      expect(quiet.output()).not.toContain('al-quiet');
      expect(quiet.output()).not.toContain('"status":200');
    } finally {
      await out.stop();
      await quiet.stop();
    }
  });
});
