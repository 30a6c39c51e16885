// RoutePolicy compression end to end, in file mode: a real backend, real clients (node:http with
// the client's own decoding, fetch, curl --compressed). gzip, br and zstd decode to the backend's
// bytes; short, unlisted, already encoded and no-transform answers, HEAD and 304 pass as they
// are; a chunked body streams (its first piece reaches the client before the backend is done);
// Vary is merged, a strong ETag turns weak, the access log counts the bytes the client got, and
// the effective policy shows in /debug/routes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createZstdDecompress, gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { closeServers, debugRoutes, eventually, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startSluice } from './support/harness.js';

const NS = 'zip';
const HOST = 'app.zip.test';
/** About 40 KiB of JSON that compresses like real JSON (not one repeated byte). */
const JSON_BODY = Buffer.from(JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item-${(i * 7919) % 1000}`, price: ((i * 37) % 1000) / 10, tags: ['a', 'b', String(i % 13)] }))));
const PNG_BODY = Buffer.alloc(8192, 7);
/** Past the 64 KiB a body may have to be compressed whole on the loop: it streams through the thread pool. */
const LARGE_BODY = Buffer.concat(Array.from({ length: 6 }, (_, i) => Buffer.from(JSON.stringify({ part: i, items: JSON.parse(JSON_BODY.toString()) as unknown })))).subarray(0, 240 * 1024);

/** The backend's stream gates: a test opens the next piece once the client got the first. */
let release: (() => void) | undefined;
let backend: Server;

function startBackend(): Promise<number> {
  backend = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/json') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': JSON_BODY.length, etag: '"v1"', vary: 'Origin', 'accept-ranges': 'bytes' });
      return res.end(req.method === 'HEAD' ? undefined : JSON_BODY);
    }
    if (path === '/large') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': LARGE_BODY.length });
      return res.end(LARGE_BODY);
    }
    if (path === '/small') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      return res.end(JSON_BODY.subarray(0, 100));
    }
    if (path === '/png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG_BODY.length });
      return res.end(PNG_BODY);
    }
    if (path === '/encoded') {
      const gz = gzipSync(JSON_BODY);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
      return res.end(gz);
    }
    if (path === '/no-transform') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_BODY.length, 'cache-control': 'public, no-transform' });
      return res.end(JSON_BODY);
    }
    if (path === '/cached') {
      if (req.headers['if-none-match']) {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_BODY.length, etag: '"v1"' });
      return res.end(JSON_BODY);
    }
    if (path === '/trailers') {
      // Chunked with trailers (Trailer is hop-by-hop: Sluice drops the announcement, not the trailers).
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write(JSON_BODY);
      res.addTrailers({ 'x-checksum': 'abc123' });
      return res.end();
    }
    if (path === '/stream' || path === '/events') {
      // Chunked: the first piece now, the rest only once the test saw the first one arrive.
      res.writeHead(200, { 'content-type': path === '/events' ? 'text/event-stream' : 'text/plain' });
      res.write(path === '/events' ? 'data: first\n\n' : 'first piece;');
      release = () => res.end(path === '/events' ? 'data: second\n\n' : 'second piece');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  backend.on('upgrade', (req, socket: Duplex) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${req.headers.upgrade}\r\n\r\n`);
    socket.pipe(socket);
  });
  return new Promise((r) => backend.listen(0, '127.0.0.1', () => r((backend.address() as { port: number }).port)));
}

interface Raw {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it crossed the wire (still encoded). */
  readonly body: Buffer;
  readonly trailers: Record<string, string | undefined>;
}

let sluice: Sluice;
let dir: ManifestDir;
let logFile: string;

function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sluice.httpPort, path, method, agent: false, headers: { host: HOST, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('curl', args, { maxBuffer: 1 << 22, timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'br') return brotliDecompressSync(body);
  if (encoding === 'zstd') return zstdDecompressSync(body);
  throw new Error(`unexpected content-encoding ${encoding}`);
}

beforeAll(async () => {
  const port = await startBackend();
  dir = new ManifestDir();
  logFile = join(mkdtempSync(join(tmpdir(), 'sluice-zip-')), 'access.log');
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'app', [{ port }]),
    ingressYaml(NS, 'app', HOST, [{ path: '/', service: 'app' }]),
    // fetch cannot set Host: it reaches the same backend as "localhost".
    ingressYaml(NS, 'local', 'localhost', [{ path: '/', service: 'app' }]),
    `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: app, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: app }, { group: networking.k8s.io, kind: Ingress, name: local }]
  compression:
    types: [zstd, br, gzip]
    minLength: 1024
    contentTypes: [text/*, application/json, image/svg+xml]`,
  ].join('\n---\n'));
  sluice = await startSluice(dir.path, ['--http2-cleartext', '--access-log', logFile, '--access-log-fields', 'path,query,status,bytes_out']);
  await eventually('the policy in force', async () => (await raw('/json', { 'accept-encoding': 'gzip' })).headers['content-encoding'] === 'gzip');
});

afterAll(async () => {
  await sluice?.stop();
  await closeServers(backend ? [backend] : []);
  dir?.remove();
  if (logFile) rmSync(dirname(logFile), { recursive: true, force: true });
});

/** One h2c request with prior knowledge: status, headers, the body as it crossed the wire, trailers. */
function h2(path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${sluice.httpPort}`);
    session.on('error', reject);
    const stream = session.request({ ':path': path, ':method': method, ':authority': HOST, ...headers });
    let head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
    let trailers: Record<string, string | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t) => (trailers = t as Record<string, string | undefined>));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => {
      session.close();
      resolve({ status: Number(head[':status']), headers: head as IncomingHttpHeaders, body: Buffer.concat(chunks), trailers });
    });
    stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.end();
  });
}

describe('RoutePolicy compression', () => {
  it.each(['gzip', 'br', 'zstd'])('compresses an HTTP/2 (h2c) answer with %s, which decodes to the backend\'s bytes', async (encoding) => {
    const r = await h2('/json', { 'accept-encoding': encoding });
    expect([r.status, r.headers['content-encoding'], r.headers['content-length'], r.headers.vary]).toEqual([200, encoding, undefined, 'Origin, Accept-Encoding']);
    expect(decode(encoding, r.body).equals(JSON_BODY)).toBe(true);
  });

  it('answers HEAD over HTTP/2 with the backend\'s length, no encoding, and Vary', async () => {
    const r = await h2('/json', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect([r.status, r.headers['content-encoding'], r.headers['content-length'], r.headers.vary, r.body.length]).toEqual([200, undefined, String(JSON_BODY.length), 'Origin, Accept-Encoding', 0]);
  });

  it.each([
    ['HTTP/1.1', raw],
    ['HTTP/2', h2],
  ] as const)('sends the backend\'s trailers after the compressed body (%s)', async (_, get) => {
    const r = await get('/trailers', { 'accept-encoding': 'gzip' });
    expect([r.status, r.headers['content-encoding'], r.trailers['x-checksum']]).toEqual([200, 'gzip', 'abc123']);
    expect(gunzipSync(r.body).equals(JSON_BODY)).toBe(true);
  });

  it.each([
    ['gzip, br, zstd', 'zstd'],
    ['gzip, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.9', 'gzip'],
    ['*', 'zstd'],
  ])('Accept-Encoding %s gets %s, which decodes to the backend\'s bytes', async (accept, expected) => {
    const r = await raw('/json', { 'accept-encoding': accept });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe(expected);
    expect(r.headers['content-length']).toBeUndefined();
    expect(r.headers['accept-ranges']).toBeUndefined();
    expect(r.headers.etag).toBe('W/"v1"');
    expect(r.headers.vary).toBe('Origin, Accept-Encoding');
    expect(r.body.length).toBeLessThan(JSON_BODY.length / 3);
    expect(decode(r.headers['content-encoding'], r.body).equals(JSON_BODY)).toBe(true);
  });

  it.each(['gzip', 'br', 'zstd'])('compresses a 240 KiB answer of known length with %s as it streams, over HTTP/1.1 and HTTP/2', async (encoding) => {
    for (const r of [await raw('/large', { 'accept-encoding': encoding }), await h2('/large', { 'accept-encoding': encoding })]) {
      expect([r.status, r.headers['content-encoding'], r.headers['content-length']]).toEqual([200, encoding, undefined]);
      expect(r.body.length).toBeLessThan(LARGE_BODY.length / 3);
      expect(decode(encoding, r.body).equals(LARGE_BODY)).toBe(true);
    }
  });

  it('sends the body as it is to a client that accepts no encoding, with Vary', async () => {
    for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'gzip;q=0, deflate' }] as Record<string, string>[]) {
      const r = await raw('/json', headers);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.headers['content-length']).toBe(String(JSON_BODY.length));
      expect(r.headers.etag).toBe('"v1"');
      expect(r.headers.vary).toBe('Origin, Accept-Encoding');
      expect(r.body.equals(JSON_BODY)).toBe(true);
    }
  });

  it('leaves short, unlisted, already encoded and no-transform answers alone', async () => {
    const small = await raw('/small', { 'accept-encoding': 'gzip' });
    expect([small.headers['content-encoding'], small.headers.vary, small.body.length]).toEqual([undefined, undefined, 100]);
    const png = await raw('/png', { 'accept-encoding': 'gzip' });
    expect([png.headers['content-encoding'], png.body.equals(PNG_BODY)]).toEqual([undefined, true]);
    const encoded = await raw('/encoded', { 'accept-encoding': 'br, gzip' });
    expect(encoded.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(encoded.body).equals(JSON_BODY)).toBe(true);
    const kept = await raw('/no-transform', { 'accept-encoding': 'gzip' });
    expect([kept.headers['content-encoding'], kept.headers['content-length'], kept.body.equals(JSON_BODY)]).toEqual([undefined, String(JSON_BODY.length), true]);
  });

  it('answers HEAD as the backend did (its length, no encoding), with Vary', async () => {
    const r = await raw('/json', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['content-length']).toBe(String(JSON_BODY.length));
    expect(r.headers.vary).toBe('Origin, Accept-Encoding');
    expect(r.body.length).toBe(0);
  });

  it('passes a 304 unchanged', async () => {
    const r = await raw('/cached', { 'accept-encoding': 'gzip', 'if-none-match': 'W/"v1"' });
    expect(r.status).toBe(304);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers.etag).toBe('"v1"');
    expect(r.body.length).toBe(0);
  });

  it.each([
    ['/stream', 'gzip', 'first piece;', 'first piece;second piece'],
    ['/stream', 'br', 'first piece;', 'first piece;second piece'],
    ['/stream', 'zstd', 'first piece;', 'first piece;second piece'],
    ['/events', 'gzip', 'data: first\n\n', 'data: first\n\ndata: second\n\n'],
  ])('streams %s compressed with %s: the first piece arrives before the backend finishes', async (path, encoding, first, all) => {
    release = undefined;
    let got: string | undefined;
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: sluice.httpPort, path, agent: false, headers: { host: HOST, 'accept-encoding': encoding } }, (res) => {
        got = res.headers['content-encoding'];
        const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'br' ? createBrotliDecompress() : createZstdDecompress();
        let decoded = '';
        decoder.on('data', (d: Buffer) => {
          decoded += d.toString();
          // The backend holds the rest until the client has decoded the first piece.
          if (decoded === first) release!();
        });
        decoder.on('end', () => resolve(decoded));
        decoder.on('error', reject);
        res.pipe(decoder);
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`${path} stalled: the first piece never reached the client`)));
      req.on('error', reject);
      req.end();
    });
    expect(got).toBe(encoding);
    expect(text).toBe(all);
  });

  it('decodes for fetch and for curl --compressed', async () => {
    const r = await fetch(`http://localhost:${sluice.httpPort}/json`, { headers: { 'accept-encoding': 'br' } });
    expect(r.headers.get('content-encoding')).toBe('br');
    expect(Buffer.from(await r.arrayBuffer()).equals(JSON_BODY)).toBe(true);
    // The backend runs in this process: curl must run asynchronously.
    const version = await curl(['--version']).catch(() => undefined);
    if (version === undefined) return; // no curl on this machine: fetch above is the real client
    const library: Record<string, string> = { gzip: 'zlib', br: 'brotli', zstd: 'zstd' };
    const decodable = Object.keys(library).filter((e) => version.includes(` ${library[e]}/`));
    expect(decodable).toContain('gzip');
    for (const encoding of decodable) {
      const text = await curl(['-s', '--compressed', '-H', `Host: ${HOST}`, '-H', `Accept-Encoding: ${encoding}`, '-D', '-', '-o', '-', `http://127.0.0.1:${sluice.httpPort}/json`]);
      const split = text.indexOf('\r\n\r\n');
      expect(text.slice(0, split).toLowerCase()).toContain(`content-encoding: ${encoding}`);
      expect(Buffer.from(text.slice(split + 4), 'utf8').equals(JSON_BODY)).toBe(true);
    }
  });

  it('leaves WebSocket upgrades on the route alone', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: sluice.httpPort, path: '/ws', headers: { host: HOST, connection: 'Upgrade', upgrade: 'websocket', 'accept-encoding': 'gzip' } });
      req.on('upgrade', (_res, socket) => {
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('hello tunnel');
      });
      req.on('error', reject);
      req.end();
    });
    expect(echoed).toBe('hello tunnel');
  });

  it('counts compressed bytes, logs the bytes the client got, and shows the policy in /debug/routes', async () => {
    const r = await raw('/json?logged', { 'accept-encoding': 'gzip' });
    expect(r.headers['content-encoding']).toBe('gzip');
    const line = await eventually('the access-log line', () => {
      const found = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('"query":"logged"'));
      return found ? (JSON.parse(found) as { bytes_out: number | string }) : undefined;
    });
    expect(Number(line.bytes_out)).toBe(r.body.length);
    expect(await metricValue(sluice, 'sluice_compression_bytes_total', { direction: 'out' })).toBeGreaterThan(0);
    expect(await metricValue(sluice, 'sluice_compression_bytes_total', { direction: 'in' })).toBeGreaterThan(await metricValue(sluice, 'sluice_compression_bytes_total', { direction: 'out' }));
    const routes = (await debugRoutes(sluice)) as unknown as { listeners: { hosts: { hostname: string; routes: { edge?: { compression?: unknown } }[] }[] }[]; diagnostics: { code: string }[] };
    const route = routes.listeners.flatMap((l) => l.hosts).find((h) => h.hostname === HOST)!.routes[0]!;
    expect(route.edge?.compression).toEqual({ types: ['zstd', 'br', 'gzip'], minLength: 1024, contentTypes: ['text/*', 'application/json', 'image/svg+xml'] });
    expect(routes.diagnostics.map((d) => d.code)).not.toContain('SLUICE_FIELD_NOT_IMPLEMENTED');
  });
});
