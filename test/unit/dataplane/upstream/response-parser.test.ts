import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { type ResponseHead, ResponseParser } from '../../../../src/dataplane/upstream/http1/response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ended: boolean;
  trailers: IncomingHttpHeaders | undefined;
  extra: string;
}

/** Feeds `wire` to a parser in pieces of `step` bytes (0: all at once). */
function parse(wire: string, options: { step?: number; head?: boolean; close?: boolean } = {}): Parsed {
  const out: Parsed = { heads: [], body: '', ended: false, trailers: undefined, extra: '' };
  const parser = new ResponseParser(
    {
      head: (h) => (out.heads.push(h), true),
      body: (c) => ((out.body += c.toString('latin1')), true),
      end: (t) => {
        out.ended = true;
        out.trailers = t;
      },
    },
    options.head === true,
  );
  const bytes = Buffer.from(wire, 'latin1');
  const step = options.step || bytes.length;
  for (let at = 0; at < bytes.length; at += step) {
    const extra = parser.feed(bytes.subarray(at, at + step));
    if (extra) out.extra += extra.toString('latin1');
  }
  if (options.close) parser.closed();
  return out;
}

/** The same response split at every byte boundary parses the same. */
function everySplit(wire: string, options: { head?: boolean; close?: boolean } = {}): Parsed {
  const whole = parse(wire, options);
  for (const step of [1, 2, 3, 7]) expect(parse(wire, { ...options, step })).toEqual(whole);
  return whole;
}

describe('ResponseParser', () => {
  it('reads a Content-Length body and keeps the connection for HTTP/1.1', () => {
    const r = everySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    expect(r.heads).toHaveLength(1);
    expect(r.heads[0]).toMatchObject({ status: 200, reason: 'OK', keepAlive: true });
    expect(r.heads[0]!.headers).toEqual({ 'content-type': 'text/plain', 'content-length': '5' });
    expect(r.body).toBe('hello');
    expect(r.ended).toBe(true);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const r = everySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\ngrpc-status: 0\r\nx-t: a\r\n\r\n');
    expect(r.body).toBe('hello0123456789');
    expect(r.trailers).toEqual({ 'grpc-status': '0', 'x-t': 'a' });
    expect(r.heads[0]!.keepAlive).toBe(true);
  });

  it('ends a chunked body without trailers on the empty line', () => {
    const r = everySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect(r.body).toBe('abc');
    expect(r.ended).toBe(true);
    expect(r.trailers).toBeUndefined();
  });

  it('reads a body without length until the connection closes, and never reuses it', () => {
    const r = everySplit('HTTP/1.1 200 OK\r\n\r\nall of it', { close: true });
    expect(r.body).toBe('all of it');
    expect(r.ended).toBe(true);
    expect(r.heads[0]!.keepAlive).toBe(false);
    expect(parse('HTTP/1.1 200 OK\r\n\r\npart').ended).toBe(false);
  });

  it('skips interim answers and relays the final one', () => {
    const r = everySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
    expect(r.heads.map((h) => h.status)).toEqual([201]);
    expect(r.body).toBe('ok');
  });

  it('reads no body after HEAD, 204 and 304 whatever the headers say', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { head: true })).toMatchObject({ body: '', ended: true });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ ended: true });
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({ body: '', ended: true });
  });

  it('returns bytes past the end of the response (the connection is then unusable)', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA').extra).toBe('EXTRA');
  });

  it('follows Connection and the HTTP version for keep-alive, and reads the Keep-Alive hint', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').heads[0]!.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').heads[0]!.keepAlive).toBe(false);
    const kept = parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').heads[0]!;
    expect(kept).toMatchObject({ keepAlive: true, keepAliveHintMs: 5000 });
  });

  it('leaves hop-by-hop fields and those Connection names out of the headers', () => {
    const r = parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nX-End: 2\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n0\r\n\r\n');
    expect(r.heads[0]!.headers).toEqual({ 'x-end': '2' });
    expect(r.heads[0]).toMatchObject({ keepAlive: true, keepAliveHintMs: 5000 });
  });

  it('reads field names in any case (hop-by-hop ones left out) and trims only spaces and tabs around values', () => {
    const r = everySplit('HTTP/1.1 200 OK\r\nCONTENT-TYPE: a/b\r\ncontent-length: 2\r\nDate:\tMon\t\r\nX-Odd-Case:  v  \r\nCONNECTION: Close\r\nUpgrade: h2c\r\nproxy-connection: x\r\nTE: trailers\r\n\r\nok');
    expect(r.heads[0]!.headers).toEqual({ 'content-type': 'a/b', 'content-length': '2', date: 'Mon', 'x-odd-case': 'v' });
    expect(r.heads[0]!.keepAlive).toBe(false);
    expect(r.body).toBe('ok');
  });

  it('reuses one parser for the responses of a connection, each from a clean start', () => {
    const heads: ResponseHead[] = [];
    let body = '';
    const parser = new ResponseParser({ head: (h) => (heads.push(h), true), body: (c) => ((body += c.toString()), true), end: () => undefined }, false);
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n'));
    expect(parser.reusable).toBe(true);
    parser.reset(true);
    expect(parser.untouched).toBe(true);
    // A HEAD answer: its Content-Length describes a body that never comes.
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'));
    expect(parser.done).toBe(true);
    parser.reset(false);
    parser.feed(Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'));
    expect(heads.map((h) => h.status)).toEqual([200, 200, 201]);
    expect(body).toBe('abok');
  });

  it('keeps repeated headers, as arrays', () => {
    const r = parse('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nVary: x\r\nVary: y\r\nContent-Length: 0\r\n\r\n');
    expect(r.heads[0]!.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.heads[0]!.headers.vary).toEqual(['x', 'y']);
  });

  it('accepts repeated equal Content-Length values and a status line without a reason', () => {
    expect(parse('HTTP/1.1 200\r\nContent-Length: 2, 2\r\n\r\nok')).toMatchObject({ body: 'ok', ended: true });
  });

  it.each([
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n'],
    ['Content-Length with Transfer-Encoding (smuggling)', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['differing Content-Length values', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc'],
    ['a status line of another protocol', 'HTTP/2 200 OK\r\n\r\n'],
    ['a status code of two digits', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR at the end of a header value', 'HTTP/1.1 200 OK\r\nX-A: a\r\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nX A: b\r\nContent-Length: 0\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'],
    ['a 101 to a request that asked no upgrade', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
  ])('refuses %s', (_what, wire) => {
    expect(() => parse(wire)).toThrow(/invalid upstream response/);
    expect(() => parse(wire, { step: 1 })).toThrow(/invalid upstream response/);
  });

  it('refuses a head larger than 64 KiB, however it arrives', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`;
    expect(() => parse(big)).toThrow(/too large/);
    expect(() => parse(big, { step: 1000 })).toThrow(/too large/);
  });

  it('stops delivering once the consumer says so', () => {
    const bodies: string[] = [];
    const parser = new ResponseParser({ head: () => true, body: (c) => (bodies.push(c.toString()), false), end: () => undefined }, false);
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n'));
    expect(bodies).toEqual(['a']);
  });
});
