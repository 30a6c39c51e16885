// RoutePolicy cache and coalescing end to end, in file mode with a real backend that counts what
// reaches it: hits and misses with Age, revalidation with 304, Vary, the Authorization and
// no-store rules, invalidation by an unsafe method, and a stampede of identical requests that the
// backend sees once — also when a waiter or the leader hangs up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { closeServers, eventually, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, type Sluice, sleep, startSluice } from './support/harness.js';

const NS = 'cache';
const HOST = 'app.cache.test';
const ONLY_COALESCING = 'flights.cache.test';
const SHORT_WAIT = 'impatient.cache.test';

/** What the backend saw, per path (the query string included). */
const seen = new Map<string, number>();
const conditional = new Map<string, number>();

function count(req: IncomingMessage): number {
  const n = (seen.get(req.url!) ?? 0) + 1;
  seen.set(req.url!, n);
  return n;
}

function backend(req: IncomingMessage, res: ServerResponse): void {
  const n = count(req);
  const url = new URL(req.url!, 'http://x');
  const path = url.pathname;
  if (path.startsWith('/fresh')) {
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' });
    return void res.end(`fresh ${n}`);
  }
  if (path.startsWith('/etag')) {
    if (req.headers['if-none-match'] === '"v1"') {
      conditional.set(req.url!, (conditional.get(req.url!) ?? 0) + 1);
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'no-cache', 'x-refreshed': String(n) });
      return void res.end();
    }
    res.writeHead(200, { etag: '"v1"', 'cache-control': 'no-cache', 'content-type': 'text/plain' });
    return void res.end(`etag body ${n}`);
  }
  if (path.startsWith('/vary')) {
    res.writeHead(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' });
    return void res.end(`lang ${req.headers['accept-language'] ?? '-'} ${n}`);
  }
  if (path.startsWith('/private-by-auth')) {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    return void res.end(`auth ${n}`);
  }
  if (path.startsWith('/public-auth')) {
    res.writeHead(200, { 'cache-control': 'public, max-age=60' });
    return void res.end(`public ${n}`);
  }
  if (path.startsWith('/nostore')) {
    res.writeHead(200, { 'cache-control': 'no-store' });
    return void res.end(`nostore ${n}`);
  }
  if (path.startsWith('/cookie')) {
    setTimeout(() => {
      res.writeHead(200, { 'set-cookie': `s=${n}`, 'cache-control': 'max-age=60' });
      res.end(`cookie ${n}`);
    }, Number(url.searchParams.get('ms') ?? 200));
    return;
  }
  if (path.startsWith('/slow')) {
    // 200 ms (or ?ms=) to the status line, then the body in two parts.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('slow ');
      setTimeout(() => res.end(`answer ${n}`), 50);
    }, Number(url.searchParams.get('ms') ?? 200));
    return;
  }
  if (path.startsWith('/broken')) {
    setTimeout(() => req.socket.destroy(), 800);
    return;
  }
  res.writeHead(200);
  res.end(`${req.method} ${n}`);
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** One request on its own connection (many at once really are concurrent). */
function fetchOnce(port: number, host: string, path: string, headers: Record<string, string> = {}, abortAfterMs?: number): Promise<Answer | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve('aborted'));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', (err) => (abortAfterMs === undefined ? reject(err) : resolve('aborted')));
    req.end();
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs);
  });
}

/**
 * `n` identical GETs sent at the same moment: every connection is open before any request is
 * written, so they are in flight together however loaded the machine is. Resolves with each raw
 * answer (Connection: close, read to the end).
 */
async function simultaneous(port: number, host: string, path: string, n: number): Promise<string[]> {
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    })),
  );
  const answers = sockets.map((s) => new Promise<string>((resolve) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (text += c));
    s.on('close', () => resolve(text));
  }));
  for (const s of sockets) s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  return Promise.all(answers);
}

/** Status and body of a raw HTTP/1.1 answer (chunked or not). */
function parseRaw(raw: string): { status: number; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  let rest = raw.slice(split + 4);
  if (!/\r\ntransfer-encoding: chunked/i.test(head)) return { status: Number(head.split(' ')[1]), body: rest };
  let body = '';
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) break;
    body += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
  return { status: Number(head.split(' ')[1]), body };
}

describe('RoutePolicy cache and coalescing', () => {
  let dir: ManifestDir;
  let sluice: Sluice;
  let server: Server;
  let logPath: string;
  const logLines = (): Record<string, unknown>[] => readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    server = createServer(backend);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    dir = new ManifestDir();
    dir.write('all.yaml', [
      INGRESS_CLASS_YAML,
      serviceYaml(NS, 'app', [{ port }]),
      ingressYaml(NS, 'app', HOST, [{ path: '/', service: 'app' }]),
      ingressYaml(NS, 'flights', ONLY_COALESCING, [{ path: '/', service: 'app' }]),
      ingressYaml(NS, 'impatient', SHORT_WAIT, [{ path: '/', service: 'app' }]),
      `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: impatient, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: impatient }]
  coalescing: { timeout: 300ms }`,
      `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: app, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: app }]
  coalescing: { enabled: true, maxWaiters: 1000, timeout: 5s }
  cache: { enabled: true, maxSize: 1Mi, maxObjectSize: 64Ki, defaultTTL: 0s }`,
      `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: flights, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: flights }]
  coalescing: { maxWaiters: 3, timeout: 5s }`,
    ].join('\n---\n'));
    logPath = join(dir.path, '..', `cache-access-${process.pid}.log`);
    sluice = await startSluice(dir.path, ['--access-log', logPath]);
    await eventually('the routes in force', async () => (await get(sluice.httpPort, HOST, '/ready')).status === 200);
  });
  afterAll(async () => {
    await sluice?.stop();
    if (server) await closeServers([server]);
    dir?.remove();
    if (logPath) rmSync(logPath, { force: true });
  });

  it('answers a fresh response from the cache with Age and X-Cache: HIT', async () => {
    const first = await get(sluice.httpPort, HOST, '/fresh');
    expect(first).toMatchObject({ status: 200, body: 'fresh 1' });
    expect(first.headers['x-cache']).toBe('MISS');
    await sleep(1100);
    const second = await get(sluice.httpPort, HOST, '/fresh');
    expect(second).toMatchObject({ status: 200, body: 'fresh 1' });
    expect(second.headers['x-cache']).toBe('HIT');
    expect(Number(second.headers.age)).toBeGreaterThanOrEqual(1);
    // A hit is in the access log like any answer, with its request id.
    const hitId = 'cache-hit-1';
    await get(sluice.httpPort, HOST, '/fresh', { headers: { 'x-request-id': hitId } });
    await eventually('the hit in the access log', () => logLines().find((l) => l['request_id'] === hitId && l['reason'] === 'cache-hit' && l['status'] === 200), 5000);
    expect(seen.get('/fresh')).toBe(1);
    // Another query string is another resource.
    expect((await get(sluice.httpPort, HOST, '/fresh?x=1')).body).toBe('fresh 1');
    expect(seen.get('/fresh?x=1')).toBe(1);
    // The client's no-cache asks the origin again.
    const reload = await get(sluice.httpPort, HOST, '/fresh', { headers: { 'cache-control': 'no-cache' } });
    expect(reload.body).toBe('fresh 2');
    expect(reload.headers['x-cache']).toBe('EXPIRED');
    expect((await get(sluice.httpPort, HOST, '/fresh', { method: 'HEAD' })).headers['x-cache']).toBe('HIT');
    expect(seen.get('/fresh')).toBe(2);
    // The effective policy is on the route in /debug/routes; the cache's size in the metrics.
    const debug = JSON.parse((await get(sluice.adminPort, 'localhost', '/debug/routes')).body) as { cache: Record<string, { worker: number; entries: number; bytes: number; flights: number }[]> };
    expect(JSON.stringify(debug)).toContain('"maxObjectSizeBytes":65536');
    const [stats] = Object.values(debug.cache);
    expect(stats).toEqual([{ worker: 0, entries: 2, bytes: expect.any(Number), flights: 0 }]);
    expect(stats![0]!.bytes).toBeGreaterThan(0);
    expect(await metricValue(sluice, 'sluice_cache_entries')).toBe(2);
    expect(await metricValue(sluice, 'sluice_cache_bytes')).toBe(stats![0]!.bytes);
    expect(await metricValue(sluice, 'sluice_cache_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(await metricValue(sluice, 'sluice_cache_total', { result: 'stale' })).toBeGreaterThanOrEqual(1);
  });

  it('revalidates with the stored ETag and serves the stored body on 304', async () => {
    expect((await get(sluice.httpPort, HOST, '/etag')).body).toBe('etag body 1');
    const again = await get(sluice.httpPort, HOST, '/etag');
    expect(again).toMatchObject({ status: 200, body: 'etag body 1' });
    expect(again.headers['x-cache']).toBe('REVALIDATED');
    expect(again.headers['x-refreshed']).toBe('2');
    expect(conditional.get('/etag')).toBe(1);
    // The client's own conditional is answered by Sluice.
    const mine = await get(sluice.httpPort, HOST, '/etag', { headers: { 'if-none-match': '"v1"' } });
    expect(mine.status).toBe(304);
    expect(mine.body).toBe('');
    expect(conditional.get('/etag')).toBe(2);
  });

  it('keeps one entry per Vary value', async () => {
    expect((await get(sluice.httpPort, HOST, '/vary', { headers: { 'accept-language': 'de' } })).body).toBe('lang de 1');
    expect((await get(sluice.httpPort, HOST, '/vary', { headers: { 'accept-language': 'fr' } })).body).toBe('lang fr 2');
    const de = await get(sluice.httpPort, HOST, '/vary', { headers: { 'accept-language': 'de' } });
    expect(de).toMatchObject({ body: 'lang de 1' });
    expect(de.headers['x-cache']).toBe('HIT');
    expect((await get(sluice.httpPort, HOST, '/vary', { headers: { 'accept-language': 'fr' } })).body).toBe('lang fr 2');
    expect(seen.get('/vary')).toBe(2);
  });

  it('does not share responses to requests with Authorization unless the origin made them public', async () => {
    const alice = { authorization: 'Bearer alice' };
    expect((await get(sluice.httpPort, HOST, '/private-by-auth', { headers: alice })).body).toBe('auth 1');
    expect((await get(sluice.httpPort, HOST, '/private-by-auth', { headers: alice })).body).toBe('auth 2');
    expect((await get(sluice.httpPort, HOST, '/public-auth', { headers: alice })).body).toBe('public 1');
    const bob = await get(sluice.httpPort, HOST, '/public-auth', { headers: { authorization: 'Bearer bob' } });
    expect(bob).toMatchObject({ body: 'public 1' });
    expect(bob.headers['x-cache']).toBe('HIT');
  });

  it('never stores no-store or Set-Cookie responses', async () => {
    await get(sluice.httpPort, HOST, '/nostore');
    expect((await get(sluice.httpPort, HOST, '/nostore')).body).toBe('nostore 2');
    await get(sluice.httpPort, HOST, '/cookie');
    expect((await get(sluice.httpPort, HOST, '/cookie')).body).toBe('cookie 2');
  });

  it('drops the entry when an unsafe method succeeds on the URI, and only-if-cached misses with 504', async () => {
    expect((await get(sluice.httpPort, HOST, '/fresh-put')).body).toBe('fresh 1');
    expect((await get(sluice.httpPort, HOST, '/fresh-put')).headers['x-cache']).toBe('HIT');
    expect((await get(sluice.httpPort, HOST, '/fresh-put', { method: 'PUT', body: 'x' })).status).toBe(200);
    expect((await get(sluice.httpPort, HOST, '/fresh-put', { headers: { 'cache-control': 'only-if-cached' } })).status).toBe(504);
    expect((await get(sluice.httpPort, HOST, '/fresh-put')).body).toBe('fresh 3');
  });

  it('sends 200 concurrent identical requests upstream once', async () => {
    const before = await metricValue(sluice, 'sluice_requests_total', { code: '200' });
    const answers = await simultaneous(sluice.httpPort, HOST, '/slow-stampede', 200);
    expect(seen.get('/slow-stampede')).toBe(1);
    // Every client is still counted as a request of its own.
    expect((await metricValue(sluice, 'sluice_requests_total', { code: '200' })) - before).toBe(200);
    await eventually('199 coalesced lines in the access log', () => logLines().filter((l) => l['path'] === '/slow-stampede' && l['reason'] === 'coalesced').length === 199, 5000);
    for (const a of answers) expect(parseRaw(a)).toEqual({ status: 200, body: 'slow answer 1' });
    expect(await metricValue(sluice, 'sluice_coalesced_requests_total', { result: 'shared' })).toBe(199);
    // Without a cache as well (the second route), with maxWaiters 3: the fifth goes alone.
    // (A second on the backend: all five are surely in flight together, even on a loaded machine.)
    const few = await Promise.all(Array.from({ length: 5 }, () => fetchOnce(sluice.httpPort, ONLY_COALESCING, '/slow-few?ms=1000')));
    expect(seen.get('/slow-few?ms=1000')).toBe(2);
    for (const a of few) expect(a).toMatchObject({ status: 200 });
  });

  it('sends a waiter upstream on its own once it waited longer than the timeout', async () => {
    const answers = await simultaneous(sluice.httpPort, SHORT_WAIT, '/slow-impatient?ms=1000', 3);
    for (const a of answers) expect(parseRaw(a).status).toBe(200);
    expect(seen.get('/slow-impatient?ms=1000')).toBe(3);
    expect(await metricValue(sluice, 'sluice_coalesced_requests_total', { result: 'timeout' })).toBe(2);
  });

  it('keeps serving the others when a waiter or the leader hangs up', async () => {
    const leaderGone = fetchOnce(sluice.httpPort, HOST, '/slow-leader?ms=1000', {}, 300);
    await sleep(100);
    const rest = Array.from({ length: 5 }, (_, i) => fetchOnce(sluice.httpPort, HOST, '/slow-leader?ms=1000', {}, i === 2 ? 300 : undefined));
    expect(await leaderGone).toBe('aborted');
    const answers = await Promise.all(rest);
    expect(answers[2]).toBe('aborted');
    for (const [i, a] of answers.entries()) if (i !== 2) expect(a).toMatchObject({ status: 200, body: 'slow answer 1' });
    expect(seen.get('/slow-leader?ms=1000')).toBe(1);
    // The waiter that left is counted 499, like any client that leaves.
    expect(await metricValue(sluice, 'sluice_requests_total', { code: '499' })).toBeGreaterThanOrEqual(2);
  });

  it('does not share Set-Cookie answers: the waiters go upstream themselves', async () => {
    const before = await metricValue(sluice, 'sluice_coalesced_requests_total', { result: 'unshareable' });
    const cookies = await Promise.all(Array.from({ length: 3 }, () => fetchOnce(sluice.httpPort, ONLY_COALESCING, '/cookie-flight?ms=1000')));
    expect(new Set(cookies.map((a) => (a as Answer).headers['set-cookie']?.[0])).size).toBe(3);
    expect(seen.get('/cookie-flight?ms=1000')).toBe(3);
    expect((await metricValue(sluice, 'sluice_coalesced_requests_total', { result: 'unshareable' })) - before).toBe(2);
  });

  it('gives every waiter the same error answer', async () => {
    const broken = await Promise.all(Array.from({ length: 3 }, () => fetchOnce(sluice.httpPort, ONLY_COALESCING, '/broken')));
    for (const a of broken) expect(a).toMatchObject({ status: 502 });
    expect(seen.get('/broken')).toBe(1);
  });
});
