// RoutePolicy compression: Accept-Encoding negotiation (q-values, "*", identity, ties), which
// answers are eligible, what the head becomes, and the encoder's failure path on a real socket.
import { describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { BodyEncoder } from '../../../../src/dataplane/route-policy/body-encoder.js';
import { CompressionRules, mediaTypeMatcher, negotiate } from '../../../../src/dataplane/route-policy/compression.js';
import { Metrics } from '../../../../src/metrics.js';
import type { CompressionPolicy, CompressionType } from '../../../../src/table/types.js';
import { BACKEND, closeServer, cluster, counterValue, get, policyRoute, startBackend, startPlane } from './support.js';

const ALL: readonly CompressionType[] = ['zstd', 'br', 'gzip'];
const pick = (header: string, types: readonly CompressionType[] = ALL): CompressionType | undefined => types[negotiate(header, types)];
const policy = (p: Partial<CompressionPolicy> = {}): CompressionPolicy => ({ types: ALL, minLength: 1024, contentTypes: ['text/*', 'application/json', 'image/svg+xml'], ...p });
const json = (extra: IncomingHttpHeaders = {}): IncomingHttpHeaders => ({ 'content-type': 'application/json; charset=utf-8', 'content-length': '4096', ...extra });

describe('negotiate (Accept-Encoding)', () => {
  it('takes the highest q-value, the policy order breaking ties', () => {
    expect(pick('gzip, br, zstd')).toBe('zstd');
    expect(pick('gzip, br')).toBe('br');
    expect(pick('gzip, br', ['gzip', 'br'])).toBe('gzip');
    expect(pick('gzip;q=1, br;q=0.9, zstd;q=0.8')).toBe('gzip');
    expect(pick('br;q=0.5, gzip;q=0.5')).toBe('br');
    expect(pick('zstd;q=0.001, gzip;q=0.002')).toBe('gzip');
    expect(pick('GZIP ; Q=0.7 , Br;q=0.6')).toBe('gzip');
  });

  it('refuses q=0, and takes "*" for what the client does not name', () => {
    expect(pick('gzip;q=0')).toBeUndefined();
    expect(pick('*')).toBe('zstd');
    expect(pick('*;q=0.5, zstd;q=0, br;q=0.4')).toBe('gzip');
    expect(pick('*;q=0')).toBeUndefined();
    expect(pick('*;q=0, gzip')).toBe('gzip');
  });

  it('sends the body as it is when identity is rated above every encoding, or none is acceptable', () => {
    expect(pick('gzip;q=0.5, identity')).toBeUndefined();
    expect(pick('gzip, identity;q=0')).toBe('gzip');
    expect(pick('identity;q=0')).toBeUndefined();
    expect(pick('identity')).toBeUndefined();
    expect(pick('deflate, compress')).toBeUndefined();
    expect(pick('')).toBeUndefined();
  });

  it('knows x-gzip as gzip and ignores entries with a malformed q-value or empty names', () => {
    expect(pick('x-gzip', ['br', 'gzip'])).toBe('gzip');
    expect(pick('br;q=2, gzip;q=0.1')).toBe('gzip');
    expect(pick('br;q=0.1234, gzip;q=abc')).toBeUndefined();
    expect(pick(',, ,gzip;level=9')).toBe('gzip');
  });
});

describe('mediaTypeMatcher', () => {
  it('matches exact types and whole types, ignoring parameters and case', () => {
    const m = mediaTypeMatcher(['text/*', 'application/json']);
    expect(['text/html', 'Text/Plain; charset=utf-8', ' application/json ;x=y', 'text/event-stream'].map(m)).toEqual([true, true, true, true]);
    expect(['application/javascript', 'text/', 'text', 'image/png', 'application/json+x', ''].map(m)).toEqual([false, false, false, false, false, false]);
  });
});

describe('CompressionRules', () => {
  const rules = new CompressionRules(policy());
  const get = (headers: IncomingHttpHeaders = {}) => ({ method: 'GET', headers: { 'accept-encoding': 'gzip, br', ...headers } });

  it('compresses a listed type of at least minLength, and of unknown length', () => {
    expect(rules.eligible(200, json())).toBe(true);
    expect(rules.eligible(200, json({ 'content-length': '1024' }))).toBe(true);
    expect(rules.eligible(200, json({ 'content-length': '1023' }))).toBe(false);
    expect(rules.eligible(200, json({ 'content-length': undefined }))).toBe(true);
    expect(rules.eligible(404, json())).toBe(true);
    expect(rules.eligible(200, json({ 'content-type': 'image/png' }))).toBe(false);
    expect(rules.eligible(200, json({ 'content-type': undefined }))).toBe(false);
    expect(new CompressionRules(policy({ minLength: 0 })).eligible(200, json({ 'content-length': '0' }))).toBe(false);
  });

  it('leaves gRPC answers alone, even with their type listed', () => {
    const everything = new CompressionRules(policy({ contentTypes: ['application/*', 'text/*'] }));
    expect(everything.eligible(200, json({ 'content-type': 'application/grpc' }))).toBe(false);
    expect(everything.eligible(200, json({ 'content-type': 'Application/gRPC+proto' }))).toBe(false);
    expect(everything.eligible(200, json({ 'content-type': 'application/grpc-web+proto' }))).toBe(false);
    expect(everything.eligible(200, json({ 'content-type': 'application/json' }))).toBe(true);
  });

  it('gives a bodiless answer only the Vary it would have had (vary)', () => {
    const eligible = json();
    expect(rules.vary(200, eligible)).toBe(true);
    expect([eligible.vary, eligible['content-encoding']]).toEqual(['Accept-Encoding', undefined]);
    const unlisted = json({ 'content-type': 'image/png' });
    expect(rules.vary(200, unlisted)).toBe(false);
    expect(unlisted.vary).toBeUndefined();
  });

  it('leaves answers without a body, ranges, encoded and no-transform answers alone', () => {
    for (const status of [101, 204, 205, 206, 304]) expect(rules.eligible(status, json())).toBe(false);
    expect(rules.eligible(200, json({ 'content-encoding': 'gzip' }))).toBe(false);
    expect(rules.eligible(200, json({ 'content-encoding': 'identity' }))).toBe(true);
    expect(rules.eligible(200, json({ 'content-range': 'bytes 0-99/4096' }))).toBe(false);
    expect(rules.eligible(200, json({ 'cache-control': 'public, no-transform' }))).toBe(false);
    expect(rules.eligible(200, json({ 'cache-control': 'max-age=60' }))).toBe(true);
  });

  it('rewrites a compressed head: encoding, Vary merged, no length or ranges, a weak ETag', () => {
    const headers = json({ vary: 'Origin', etag: '"v1"', 'accept-ranges': 'bytes' });
    expect(rules.apply(get(), 200, headers)).toBe('br');
    expect(headers).toEqual({ 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'br', vary: 'Origin, Accept-Encoding', etag: 'W/"v1"' });
    const weak = json({ etag: 'W/"v2"', vary: 'accept-encoding' });
    rules.apply(get(), 200, weak);
    expect([weak.etag, weak.vary]).toEqual(['W/"v2"', 'accept-encoding']);
  });

  it('gives HEAD, a client without an accepted encoding and a no-transform request only Vary', () => {
    for (const req of [{ method: 'HEAD', headers: { 'accept-encoding': 'gzip' } }, get({ 'accept-encoding': 'identity' }), { method: 'GET', headers: {} }, get({ 'cache-control': 'no-transform' })]) {
      const headers = json({ etag: '"v1"' });
      expect(rules.apply(req, 200, headers)).toBeUndefined();
      expect(headers).toEqual(json({ etag: '"v1"', vary: 'Accept-Encoding' }));
    }
  });

  it('does not touch an ineligible answer at all', () => {
    const headers = json({ 'content-type': 'image/png' });
    expect(rules.apply(get(), 200, headers)).toBeUndefined();
    expect(headers).toEqual(json({ 'content-type': 'image/png' }));
  });

  it('answers the same for a remembered Accept-Encoding as for a fresh one, past the memo\'s size', () => {
    const types: readonly CompressionType[] = ['br', 'gzip'];
    const memo = new CompressionRules(policy({ types }));
    const headers = Array.from({ length: 700 }, (_, i) => `gzip;q=0.${i % 1000}, br;q=0.${(i * 7) % 1000}`.replace(/q=0\.(\d{4,})/g, 'q=0.5'));
    for (const round of [1, 2]) {
      for (const h of headers) expect([round, memo.accepted(h)]).toEqual([round, types[negotiate(h, types)]]);
    }
    expect(memo.accepted(`${'x'.repeat(600)}, gzip`)).toBe('gzip');
    expect(memo.accepted(['br;q=0', 'gzip'])).toBe('gzip');
  });
});

describe('BodyEncoder', () => {
  it('compresses to the client and counts bytes in and out', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const body = Buffer.from('{"k":"value"},'.repeat(500));
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      const enc = new BodyEncoder('gzip', body.length, res, metrics, { sent: (n) => (sent += n), ended: () => undefined, failed: () => undefined });
      enc.write(body.subarray(0, 1000));
      enc.write(body.subarray(1000));
      enc.end();
    });
    const got = await fetchRaw(server);
    expect(gunzipSync(got).equals(body)).toBe(true);
    expect(sent).toBe(got.length);
    expect(await counterValue(metrics, 'sluice_compression_bytes_total', { direction: 'in' })).toBe(body.length);
    expect(await counterValue(metrics, 'sluice_compression_bytes_total', { direction: 'out' })).toBe(got.length);
  });

  it('reports a compressor failure to its owner instead of throwing', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let failure: Error | undefined;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      const enc = new BodyEncoder('gzip', undefined, res, metrics, {
        sent: () => undefined,
        ended: () => undefined,
        failed: (err) => {
          failure = err;
          res.destroy(err);
        },
      });
      enc.write(Buffer.from('some text'));
      // What a failing zlib stream does (it cannot be made to fail on valid input).
      (enc as unknown as { stream: NodeJS.ReadWriteStream & { destroy(e: Error): void } }).stream.destroy(new Error('compressor broke'));
    });
    await expect(fetchRaw(server)).rejects.toThrow();
    expect(failure?.message).toBe('compressor broke');
  });
});

/** GET / from a one-shot server; the raw (still encoded) body. */
async function fetchRaw(server: ReturnType<typeof createServer>): Promise<Buffer> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('a compressor failure in the data plane', () => {
  it('cuts that response only: the worker keeps serving, the next answer compresses', async () => {
    const backend = await startBackend();
    const route = policyRoute('zip', '/', { compression: policy({ types: ['gzip'], minLength: 0, contentTypes: ['application/json'] }) });
    const plane = await startPlane([route], [cluster(BACKEND, backend.port)]);
    const write = BodyEncoder.prototype.write;
    try {
      // What a failing zlib stream does; it cannot be made to fail on valid input.
      BodyEncoder.prototype.write = function (this: BodyEncoder) {
        (this as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('compressor broke'));
        return true;
      };
      await expect(get(plane.port, '/broken', { 'accept-encoding': 'gzip' })).rejects.toThrow();
      BodyEncoder.prototype.write = write;
      const ok = await getRaw(plane.port, '/fine');
      expect(ok.headers['content-encoding']).toBe('gzip');
      expect((JSON.parse(gunzipSync(ok.body).toString()) as { path: string }).path).toBe('/fine');
      expect(await counterValue(plane.metrics, 'sluice_requests_total', { route: 'zip', code: '200' })).toBe(2);
    } finally {
      BodyEncoder.prototype.write = write;
      await plane.stop();
      await closeServer(backend.server);
    }
  });
});

/** GET with Accept-Encoding: gzip; the raw (still encoded) body. */
function getRaw(port: number, path: string): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { host: 'app.test', 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
