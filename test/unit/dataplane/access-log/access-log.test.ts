// The access log without a proxy: field selection and JSON escaping, sampling, the buffered file
// sink (lines land whole, a stalled destination drops and counts instead of growing), and what
// an exchange writes for a retried request, a delivered one and an answer of its own.
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog } from '../../../../src/dataplane/access-log/access-log.js';
import { ACCESS_LOG_FIELDS, DEFAULT_ACCESS_LOG_FIELDS, parseAccessLogFields } from '../../../../src/dataplane/access-log/fields.js';
import { compileFormatter } from '../../../../src/dataplane/access-log/format.js';
import { LineEncoder } from '../../../../src/dataplane/access-log/line-encoder.js';
import { RequestRecord } from '../../../../src/dataplane/access-log/record.js';
import { type LineSink, openSink } from '../../../../src/dataplane/access-log/sink.js';
import { parseConfig } from '../../../../src/cli.js';
import { answers, exchangeSetup, fails } from '../../support/scripted-endpoints.js';

function fakeRequest(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method: 'GET', url, httpVersion: '1.1', headers: { host: 'app.test', ...headers }, socket: { remoteAddress: '192.0.2.7', bytesRead: 120 } } as unknown as IncomingMessage;
}

/** A sink that keeps the lines (what a file would receive). */
class MemorySink implements LineSink {
  readonly lines: string[] = [];
  write(line: Buffer, length: number): void {
    this.lines.push(line.toString('utf8', 0, length));
  }
  close(): void {}
  json(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** One record as the line the formatter for `fields` encodes. */
function formatLine(fields: Parameters<typeof compileFormatter>[0], r: RequestRecord): string {
  const out = new LineEncoder(16);
  compileFormatter(fields)(r, out);
  return out.text();
}

/** Queues a string line on a sink. */
const put = (sink: LineSink, line: string) => sink.write(Buffer.from(line), Buffer.byteLength(line));

describe('access-log fields', () => {
  it('parses a selection into canonical order and names what is not a field', () => {
    expect(parseAccessLogFields('status, time ,route')).toEqual({ fields: ['time', 'status', 'route'] });
    expect(parseAccessLogFields('status,latency,size')).toEqual({ unknown: ['latency', 'size'] });
    expect(parseAccessLogFields(' , ')).toEqual({ unknown: ['(none)'] });
    expect(DEFAULT_ACCESS_LOG_FIELDS).not.toContain('query');
    expect(DEFAULT_ACCESS_LOG_FIELDS).toHaveLength(ACCESS_LOG_FIELDS.length - 1);
  });

  it('comes from the flags, validated', () => {
    expect(parseConfig([], {}).accessLog).toEqual({ destination: 'off', fields: DEFAULT_ACCESS_LOG_FIELDS, sample: 1 });
    const c = parseConfig(['--access-log', '/var/log/sluice.log', '--access-log-fields', 'status,path', '--access-log-sample', '0.25'], {});
    expect(c.accessLog).toEqual({ destination: { path: '/var/log/sluice.log' }, fields: ['path', 'status'], sample: 0.25 });
    expect(parseConfig([], { SLUICE_ACCESS_LOG: 'stdout' }).accessLog.destination).toBe('stdout');
    expect(() => parseConfig(['--access-log-sample', '1.5'], {})).toThrow('--access-log-sample');
    expect(() => parseConfig(['--access-log-sample', 'half'], {})).toThrow('0 to 1');
    expect(() => parseConfig(['--access-log-fields', 'status,latency'], {})).toThrow('latency: not a field');
  });
});

describe('access-log line', () => {
  it("writes an h2 request's :authority as its host (its Host header when it sent none), and the connection's bytes", () => {
    // Two streams of one connection: the second read nothing the first did not count.
    const connection = { remoteAddress: '192.0.2.8', bytesRead: 90 };
    const h2 = (headers: Record<string, string>) => ({ method: 'GET', url: '/', httpVersion: '2.0', httpVersionMajor: 2, headers, socket: {}, stream: { session: { socket: connection } } }) as unknown as IncomingMessage;
    const line = (req: IncomingMessage) => JSON.parse(formatLine(['host', 'protocol', 'bytes_in'], new RequestRecord().reset(req, 0))) as Record<string, unknown>;
    expect(line(h2({ ':authority': 'h2.test', host: 'ignored.test' }))).toEqual({ host: 'h2.test', protocol: 'HTTP/2.0', bytes_in: 90 });
    expect(line(h2({ host: 'plain-host.test' }))).toEqual({ host: 'plain-host.test', protocol: 'HTTP/2.0', bytes_in: 0 });
    // An HTTP/1.1 request's host is read from its Host header only (node's parser refuses a ':' in a name anyway).
    expect(line(fakeRequest('/', { ':authority': 'smuggled.test' }))).toMatchObject({ host: 'app.test' });
  });

  it('writes exactly the selected fields as one JSON object, escaping what clients send', () => {
    const r = new RequestRecord().reset(fakeRequest('/a"b\\c?token=s3cret', { 'user-agent': 'curl/8 "quoted"\n' }), 10);
    r.ended = 22.5;
    r.status = 200;
    r.route = 'ns/web/0';
    const line = formatLine(DEFAULT_ACCESS_LOG_FIELDS, r);
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const o = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(o)).toEqual([...DEFAULT_ACCESS_LOG_FIELDS]);
    expect(o).toMatchObject({ client: '192.0.2.7', method: 'GET', host: 'app.test', path: '/a"b\\c', protocol: 'HTTP/1.1', status: 200, bytes_in: 120, duration_ms: 12.5, route: 'ns/web/0', cluster: '-', upstream: null, upstream_ms: null, user_agent: 'curl/8 "quoted"\n', retries: 0, reason: null });
    expect(line).not.toContain('s3cret');
    expect(Number.isNaN(Date.parse(o['time'] as string))).toBe(false);
    const withQuery = JSON.parse(formatLine(['status', 'query'], r)) as Record<string, unknown>;
    expect(withQuery).toEqual({ query: 'token=s3cret', status: 200 });
  });

  it('counts bytes in per request on a keep-alive connection', () => {
    const req = fakeRequest('/');
    const r = new RequestRecord().reset(req, 0);
    expect(JSON.parse(formatLine(['bytes_in'], r))).toEqual({ bytes_in: 120 });
    (req.socket as unknown as { bytesRead: number }).bytesRead = 200;
    expect(JSON.parse(formatLine(['bytes_in'], r))).toEqual({ bytes_in: 80 });
  });

  it('samples: with rate 0.25, only requests whose draw is below it are logged', () => {
    const sink = new MemorySink();
    const draws = [0.1, 0.3, 0.24, 0.25, 0.9, 0];
    const log = new AccessLog(sink, { fields: ['status'], sample: 0.25 }, () => draws.shift()!);
    let logged = 0;
    for (let i = 0; i < 6; i++) {
      const r = log.begin(fakeRequest('/'), 0);
      if (!r) continue;
      r.status = 200 + i;
      log.write(r);
      logged++;
    }
    expect(logged).toBe(3);
    expect(sink.json()).toEqual([{ status: 200 }, { status: 202 }, { status: 205 }]);
    const all = new AccessLog(sink, { fields: ['status'], sample: 1 }, () => 0.999999);
    expect(all.begin(fakeRequest('/'), 0)).toBeDefined();
    const none = new AccessLog(sink, { fields: ['status'], sample: 0 }, () => 0);
    expect(none.begin(fakeRequest('/'), 0)).toBeUndefined();
  });
});

describe('line encoder', () => {
  const decode = (write: (e: LineEncoder) => void): unknown => {
    const e = new LineEncoder(4);
    write(e);
    return JSON.parse(e.text());
  };

  it('writes any string as JSON.parse reads it back: escapes, non-ASCII, lone surrogates, long values', () => {
    const values = ['', 'plain /path-1', 'quote " back \\ slash', 'tab\tnew\nline\u0000\u001f', 'del \u007f', 'café ☕ 😀', 'lone \ud800 high', 'lone \udc00 low', 'x'.repeat(10_000) + 'é'];
    for (const v of values) expect(decode((e) => e.str(v))).toBe(v);
    // A lone surrogate has no UTF-8 form: it is written as a \u escape, so the line stays valid UTF-8.
    const lone = new LineEncoder(4);
    lone.str('a\ud800b');
    expect(lone.text()).toBe('"a\\ud800b"');
    const e = new LineEncoder(4);
    e.str(undefined);
    expect(e.text()).toBe('null');
  });

  it('writes integers and millisecond durations as JSON numbers', () => {
    for (const n of [0, 7, 10, 200, 1234567, 2 ** 53 - 1]) expect(decode((e) => e.int(n))).toBe(n);
    expect(decode((e) => e.int(-3))).toBe(-3);
    expect(decode((e) => e.int(1.5))).toBe(1.5);
    expect(decode((e) => e.int(Number.NaN))).toBeNull();
    const ms = (v: number) => {
      const e = new LineEncoder(4);
      e.ms(v);
      return e.text();
    };
    expect([12.5, 0.001, 1.01, 1.1, 1000, 0.0004, 3.14159, 99.9996].map(ms)).toEqual(['12.5', '0.001', '1.01', '1.1', '1000', '0', '3.142', '100']);
    expect(ms(Number.NaN)).toBe('null');
    expect(ms(-2.5)).toBe('-2.5');
  });

  it('keeps what it holds when it grows, and starts over on reset', () => {
    const e = new LineEncoder(2);
    e.ascii('{"a":');
    e.str('y'.repeat(300));
    e.ascii('}');
    expect(JSON.parse(e.text())).toEqual({ a: 'y'.repeat(300) });
    e.reset();
    e.int(42);
    expect(e.text()).toBe('42');
  });
});

describe('access-log file sink', () => {
  it('appends whole lines, flushed on close, after what the file already held', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-al-'));
    try {
      const path = join(dir, 'access.log');
      const first = openSink({ path }, { chunkBytes: 100 });
      put(first, '{"n":0}\n');
      first.close();
      const sink = openSink({ path }, { chunkBytes: 100 });
      for (let i = 1; i <= 500; i++) put(sink, `{"n":${i},"pad":"${'x'.repeat(i % 50)}"}\n`);
      sink.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(Array.from({ length: 501 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a line longer than a chunk on its own, between whole neighbours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-al-'));
    try {
      const path = join(dir, 'long.log');
      const sink = openSink({ path }, { chunkBytes: 64 });
      const long = `{"n":1,"pad":"${'z'.repeat(500)}"}\n`;
      put(sink, '{"n":0}\n');
      put(sink, long);
      put(sink, '{"n":2}\n');
      sink.close();
      expect(readFileSync(path, 'utf8')).toBe(`{"n":0}\n${long}{"n":2}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops and counts lines beyond its buffer instead of growing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-al-'));
    try {
      let dropped = 0;
      // A chunk size no line reaches: nothing is written before close, so the buffer fills.
      const sink = openSink({ path: join(dir, 'a.log') }, { chunkBytes: 1 << 20, maxBufferedBytes: 100, onDrop: (n) => (dropped += n) });
      for (let i = 0; i < 20; i++) put(sink, '0123456789\n');
      sink.close();
      expect(dropped).toBe(11);
      expect(readFileSync(join(dir, 'a.log'), 'utf8').split('\n')).toHaveLength(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what an exchange logs', () => {
  const fields = ['status', 'route', 'cluster', 'upstream', 'retries', 'reason', 'bytes_out', 'client', 'request_id'] as const;

  it('a request retried after a refused connection: the endpoint that answered, one retry', () => {
    const sink = new MemorySink();
    const { exchange } = exchangeSetup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': answers(200, 'hello') }, 'GET', {}, undefined, { accessLog: new AccessLog(sink, { fields, sample: 1 }) });
    exchange.start();
    expect(sink.json()).toEqual([{ status: 200, route: 'route', cluster: 'ns/svc:80', upstream: '10.0.0.2:80', retries: 1, reason: null, bytes_out: 5, client: '192.0.2.1', request_id: null }]);
  });

  it('an answer of the exchange itself names its code', () => {
    const sink = new MemorySink();
    const log = new AccessLog(sink, { fields, sample: 1 });
    const refused = exchangeSetup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': fails('ECONNREFUSED'), '10.0.0.3:80': fails('ECONNREFUSED') }, 'GET', {}, undefined, { accessLog: log });
    refused.exchange.start();
    const none = exchangeSetup({}, 'GET', {}, [], { accessLog: log });
    none.exchange.start();
    expect(sink.json()).toEqual([
      { status: 502, route: 'route', cluster: 'ns/svc:80', upstream: '10.0.0.3:80', retries: 2, reason: 'SLUICE_UPSTREAM_UNAVAILABLE', bytes_out: 'upstream connect error\n'.length, client: '192.0.2.1', request_id: null },
      { status: 503, route: 'route', cluster: 'ns/svc:80', upstream: null, retries: 0, reason: 'SLUICE_NO_READY_ENDPOINT', bytes_out: 'no ready endpoint\n'.length, client: '192.0.2.1', request_id: null },
    ]);
  });
});
