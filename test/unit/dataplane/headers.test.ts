import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { stripResponseHopByHop, upstreamRequestHeaders } from '../../../src/dataplane/headers.js';

function incoming(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return { rawHeaders: raw, headers } as unknown as IncomingMessage;
}

function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, [...(m.get(flat[i]!) ?? []), flat[i + 1]!]);
  return m;
}

const facts = { clientIp: '192.0.2.7', peer: '192.0.2.7', trustedPeer: false, proto: 'http' as const, port: 8080, host: 'app.example.com', originalHost: 'app.example.com:8080' };

describe('upstreamRequestHeaders', () => {
  it('never sends HTTP/2 pseudo-headers upstream, and joins the cookie fields h2 may split (RFC 9113 §8.2.3)', () => {
    const flat = upstreamRequestHeaders(incoming([':method', 'GET', ':path', '/p', ':authority', 'app.example.com', ':scheme', 'https', 'cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2', 'te', 'trailers']), facts);
    const h = asMap(flat);
    expect([...h.keys()].filter((k) => k.startsWith(':'))).toEqual([]);
    expect(h.get('cookie')).toEqual(['a=1; b=2']);
    expect(h.get('te')).toEqual(['trailers']);
    expect(h.get('host')).toEqual(['app.example.com']);
  });

  it('drops hop-by-hop headers, including those named by Connection', () => {
    const h = asMap(upstreamRequestHeaders(incoming(['Host', 'x', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 't=5', 'Upgrade', 'h2c', 'Transfer-Encoding', 'chunked', 'Accept', '*/*']), facts));
    for (const name of ['connection', 'x-secret', 'keep-alive', 'upgrade', 'transfer-encoding']) expect(h.has(name)).toBe(false);
    expect(h.get('accept')).toEqual(['*/*']);
  });

  it('appends to X-Forwarded-For and sets the other forwarded headers, ignoring client copies', () => {
    const h = asMap(upstreamRequestHeaders(incoming(['Host', 'x', 'X-Forwarded-For', '203.0.113.1', 'X-Forwarded-Proto', 'https', 'X-Real-IP', '6.6.6.6']), facts));
    expect(h.get('x-forwarded-for')).toEqual(['203.0.113.1, 192.0.2.7']);
    expect(h.get('x-forwarded-proto')).toEqual(['http']);
    expect(h.get('x-forwarded-host')).toEqual(['app.example.com:8080']);
    expect(h.get('x-forwarded-port')).toEqual(['8080']);
    expect(h.get('x-real-ip')).toEqual(['192.0.2.7']);
    expect(h.get('host')).toEqual(['app.example.com']);
  });

  it('drops a client-sent Forwarded and HTTP2-Settings (an h2c upgrade is never passed on)', () => {
    const h = asMap(upstreamRequestHeaders(incoming(['Host', 'x', 'Forwarded', 'for=6.6.6.6;host=evil', 'HTTP2-Settings', 'AAMAAABkAAQAAP__']), facts));
    expect(h.has('forwarded')).toBe(false);
    expect(h.has('http2-settings')).toBe(false);
  });

  it("keeps a trusted proxy's forwarding headers, extends Forwarded, and names the derived client in X-Real-IP", () => {
    const trusted = { ...facts, clientIp: '203.0.113.1', peer: '10.0.0.1', trustedPeer: true };
    const h = asMap(upstreamRequestHeaders(incoming(['Host', 'x', 'X-Forwarded-For', '203.0.113.1', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'shop.test', 'X-Forwarded-Port', '443', 'Forwarded', 'for=203.0.113.1;proto=https']), trusted));
    expect(h.get('x-forwarded-for')).toEqual(['203.0.113.1, 10.0.0.1']);
    expect(h.get('x-forwarded-proto')).toEqual(['https']);
    expect(h.get('x-forwarded-host')).toEqual(['shop.test']);
    expect(h.get('x-forwarded-port')).toEqual(['443']);
    expect(h.get('x-real-ip')).toEqual(['203.0.113.1']);
    expect(h.get('forwarded')).toEqual(['for=203.0.113.1;proto=https, for=10.0.0.1;proto=http']);
    const v6 = asMap(upstreamRequestHeaders(incoming(['Forwarded', 'for=a']), { ...trusted, peer: '2001:db8::1' }));
    expect(v6.get('forwarded')).toEqual(['for=a, for="[2001:db8::1]";proto=http']);
  });

  it('keeps an incoming X-Request-Id, else generates one', () => {
    expect(asMap(upstreamRequestHeaders(incoming(['X-Request-Id', 'abc']), facts)).get('x-request-id')).toEqual(['abc']);
    const generated = asMap(upstreamRequestHeaders(incoming([]), facts)).get('x-request-id');
    expect(generated?.[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('stripResponseHopByHop', () => {
  it('strips hop-by-hop response headers', () => {
    expect(stripResponseHopByHop({ connection: 'close, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'content-type': 'text/plain' })).toEqual({ 'content-type': 'text/plain' });
  });
});
