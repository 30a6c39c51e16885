// RoutePolicy compression: Accept-Encoding negotiation (q-values, "*", identity, ties), which
// answers are eligible, what the head becomes, both body encoders (whole and streaming) and
// their failure paths on a real socket, and which one a body of each length gets.
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { type EncoderOwner, StreamingEncoder, WHOLE_BODY_MAX_BYTES } from '../../../../src/dataplane/route-policy/body-encoder.js';
import { createBodyEncoder } from '../../../../src/dataplane/route-policy/encoders.js';
import { compressWhole, WholeBodyEncoder } from '../../../../src/dataplane/route-policy/whole-body-encoder.js';
import { CompressionRules, mediaTypeMatcher, negotiate } from '../../../../src/dataplane/route-policy/compression.js';
import { Metrics } from '../../../../src/metrics.js';
import type { CompressionPolicy, CompressionType } from '../../../../src/table/types.js';
import { BACKEND, closeServer, cluster, counterValue, get, policyRoute, startPlane } from './support.js';

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

describe('StreamingEncoder', () => {
  it('compresses to the client and counts bytes in and out', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const body = Buffer.from('{"k":"value"},'.repeat(500));
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      const enc = new StreamingEncoder('gzip', body.length, res, metrics, { sent: (n) => (sent += n), ended: () => undefined, failed: () => undefined });
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
      const enc = new StreamingEncoder('gzip', undefined, res, metrics, {
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

const DECODE = { gzip: gunzipSync, br: brotliDecompressSync, zstd: zstdDecompressSync } as const;
/** JSON-like text that compresses as real JSON does. */
const jsonText = (bytes: number): Buffer => Buffer.from(JSON.stringify(Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => ({ id: i, name: `item-${(i * 7919) % 1000}` })))).subarray(0, bytes);

/** A stand-in for the client's response where only its events and end() matter. */
function fakeResponse(): ServerResponse & { ends: unknown[] } {
  const res = new EventEmitter() as EventEmitter & { ends: unknown[]; end(body?: unknown): void };
  res.ends = [];
  res.end = (body?: unknown) => void res.ends.push(body);
  return res as unknown as ServerResponse & { ends: unknown[] };
}

const owner = (o: Partial<EncoderOwner> = {}): EncoderOwner => ({ sent: () => undefined, ended: () => undefined, failed: () => undefined, ...o });

describe('WholeBodyEncoder', () => {
  it.each(ALL)('holds the pieces, then sends them %s-compressed in one end() with the counts', async (type) => {
    const metrics = new Metrics({ processMetrics: false });
    const body = jsonText(20_000);
    let sent = 0;
    let ended = 0;
    const writes: number[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': type });
      const write = res.write.bind(res);
      res.write = ((chunk: Buffer) => (writes.push(chunk.length), write(chunk))) as typeof res.write;
      const enc = new WholeBodyEncoder(type, body.length, res, metrics, owner({ sent: (n) => (sent += n), ended: () => ended++ }));
      for (let at = 0; at < body.length; at += 7000) expect(enc.write(body.subarray(at, at + 7000))).toBe(true);
      expect([sent, ended]).toEqual([0, 0]);
      enc.end();
      expect(ended).toBe(1);
      enc.end();
      expect(ended).toBe(1);
    });
    const got = await fetchRaw(server);
    expect(DECODE[type](got).equals(body)).toBe(true);
    expect(got.length).toBeLessThan(body.length / 2);
    expect(writes).toEqual([]);
    expect(sent).toBe(got.length);
    expect(await counterValue(metrics, 'sluice_compression_bytes_total', { direction: 'in' })).toBe(body.length);
    expect(await counterValue(metrics, 'sluice_compression_bytes_total', { direction: 'out' })).toBe(got.length);
  });

  it('compresses with the settings the streaming encoder uses for that length', () => {
    const body = jsonText(3000);
    for (const type of ALL) expect(DECODE[type](compressWhole(type, body, body.length)).equals(body)).toBe(true);
    // As nginx sizes it: a 3000-byte body gets a 4 KiB gzip window (an inflater with only that
    // window reads it), a 40 KB one the full 32 KiB (too large for that inflater).
    expect(gunzipSync(compressWhole('gzip', body, body.length), { windowBits: 12 }).equals(body)).toBe(true);
    expect(() => gunzipSync(compressWhole('gzip', jsonText(40_000), 40_000), { windowBits: 12 })).toThrow();
  });

  it('reports a failing compression to its owner and ends nothing itself', () => {
    const res = fakeResponse();
    let failure: Error | undefined;
    let ended = false;
    const enc = new WholeBodyEncoder('gzip', 10, res, new Metrics({ processMetrics: false }), owner({ failed: (e) => (failure = e), ended: () => (ended = true) }), () => {
      throw new Error('compressor broke');
    });
    enc.write(Buffer.from('0123456789'));
    enc.end();
    expect(failure?.message).toBe('compressor broke');
    expect([ended, res.ends]).toEqual([false, []]);
  });

  it('lets the held pieces go, and compresses nothing, once the client has gone away', () => {
    const res = fakeResponse();
    let compressed = 0;
    const enc = new WholeBodyEncoder('gzip', 20, res, new Metrics({ processMetrics: false }), owner(), (type, body, length) => (compressed++, compressWhole(type, body, length)));
    enc.write(Buffer.alloc(10, 97));
    res.emit('close');
    enc.write(Buffer.alloc(10, 97));
    enc.end();
    expect([compressed, res.ends]).toEqual([0, []]);
    expect((enc as unknown as { pieces: Buffer[] }).pieces).toEqual([]);
  });
});

describe('createBodyEncoder', () => {
  it('compresses a body of known length up to WHOLE_BODY_MAX_BYTES whole, and streams the others', () => {
    const metrics = new Metrics({ processMetrics: false });
    const kinds = [1, 1024, WHOLE_BODY_MAX_BYTES, WHOLE_BODY_MAX_BYTES + 1, 10 * 1024 * 1024, undefined].map((length) => {
      const res = fakeResponse();
      const enc = createBodyEncoder('gzip', length, res, metrics, owner());
      res.emit('close'); // frees a streaming encoder's zlib stream
      return enc instanceof WholeBodyEncoder ? 'whole' : enc instanceof StreamingEncoder ? 'stream' : 'other';
    });
    expect(kinds).toEqual(['whole', 'whole', 'whole', 'stream', 'stream', 'stream']);
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

/** A backend answering {"path": …} as JSON, chunked (no Content-Length) under /chunked. */
async function startJsonBackend(): Promise<{ server: ReturnType<typeof createServer>; port: number }> {
  const server = createServer((req, res) => {
    const body = JSON.stringify({ path: req.url });
    if (req.url?.startsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('a compressor failure in the data plane', () => {
  // What a failing compressor reports; zlib cannot be made to fail on valid input.
  const breakWhole = (): (() => void) => {
    const end = WholeBodyEncoder.prototype.end;
    WholeBodyEncoder.prototype.end = function (this: WholeBodyEncoder) {
      (this as unknown as { owner: EncoderOwner }).owner.failed(new Error('compressor broke'));
    };
    return () => void (WholeBodyEncoder.prototype.end = end);
  };
  const breakStreaming = (): (() => void) => {
    const write = StreamingEncoder.prototype.write;
    StreamingEncoder.prototype.write = function (this: StreamingEncoder) {
      (this as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('compressor broke'));
      return true;
    };
    return () => void (StreamingEncoder.prototype.write = write);
  };

  it.each([
    ['whole (a Content-Length)', '', breakWhole],
    ['streaming (chunked)', '/chunked', breakStreaming],
  ] as const)('cuts that response only, %s: the worker keeps serving, the next answer compresses', async (_kind, prefix, breakIt) => {
    const backend = await startJsonBackend();
    const route = policyRoute('zip', '/', { compression: policy({ types: ['gzip'], minLength: 0, contentTypes: ['application/json'] }) });
    const plane = await startPlane([route], [cluster(BACKEND, backend.port)]);
    let mend = breakIt();
    try {
      await expect(get(plane.port, `${prefix}/broken`, { 'accept-encoding': 'gzip' })).rejects.toThrow();
      mend();
      mend = () => undefined;
      const ok = await getRaw(plane.port, `${prefix}/fine`);
      expect(ok.headers['content-encoding']).toBe('gzip');
      expect((JSON.parse(gunzipSync(ok.body).toString()) as { path: string }).path).toBe(`${prefix}/fine`);
      expect(await counterValue(plane.metrics, 'sluice_requests_total', { route: 'zip', code: '200' })).toBe(2);
    } finally {
      mend();
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
