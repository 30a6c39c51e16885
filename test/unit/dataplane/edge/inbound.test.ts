import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { hostHeaderCount, isValidHost } from '../../../../src/dataplane/edge/host.js';
import { readInbound } from '../../../../src/dataplane/edge/inbound.js';
import { Answers } from '../../../../src/errors.js';

const options = { mergeSlashes: true, escapedSlashes: 'keep' } as const;

function req(url: string, rawHeaders: string[] = ['Host', 'app.test']): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return { url, method: 'GET', headers, rawHeaders } as unknown as IncomingMessage;
}

describe('isValidHost', () => {
  it.each(['app.test', 'APP.test:8080', '10.0.0.1', '10.0.0.1:80', '[::1]', '[2001:db8::1]:443', 'xn--bcher-kva.example', 'a_b.test'])('accepts %s', (h) => {
    expect(isValidHost(h)).toBe(true);
  });
  it.each(['a b', 'a.test, b.test', 'a.test:', 'a.test:99999', 'a.test:80a', 'user@a.test', '[::1', '[zz::1]', ':80', 'a/b', ''])('refuses %j', (h) => {
    expect(isValidHost(h)).toBe(false);
  });
  it('counts Host headers in any case', () => {
    expect(hostHeaderCount(['Host', 'a', 'accept', '*/*', 'HOST', 'b'])).toBe(2);
  });
});

describe('readInbound', () => {
  it('reads an origin-form request as it is when nothing needs normalizing', () => {
    const url = '/api/v1?x=1';
    const r = readInbound(req(url), options);
    expect(r).toEqual({ method: 'GET', path: '/api/v1', query: 'x=1', host: 'app.test', target: url, headers: { host: 'app.test' } });
  });

  it('forwards the normalized path with the query untouched', () => {
    expect(readInbound(req('/api/%2e%2e/admin?a=%2e%2e'), options)).toMatchObject({ path: '/admin', target: '/admin?a=%2e%2e' });
  });

  it('routes an absolute-form request by its authority, not by Host', () => {
    expect(readInbound(req('http://a.test/p?q=1', ['Host', 'b.test']), options)).toMatchObject({ host: 'a.test', path: '/p', query: 'q=1', target: '/p?q=1' });
    expect(readInbound(req('HTTPS://a.test:8443', ['Host', 'b.test']), options)).toMatchObject({ host: 'a.test:8443', path: '/', target: '/' });
  });

  it('refuses two Hosts, invalid Hosts and targets it cannot route', () => {
    expect(readInbound(req('/', ['Host', 'a.test', 'Host', 'b.test']), options)).toBe(Answers.DuplicateHost);
    expect(readInbound(req('/', ['Host', 'a b']), options)).toBe(Answers.InvalidHost);
    expect(readInbound(req('http://user@a.test/', ['Host', 'a.test']), options)).toBe(Answers.InvalidHost);
    expect(readInbound(req('*'), options)).toBe(Answers.InvalidTarget);
    expect(readInbound(req('ftp://a.test/'), options)).toBe(Answers.InvalidTarget);
    expect(readInbound(req('/../x'), options)).toBe(Answers.AboveRoot);
    expect(readInbound(req('/%zz'), options)).toBe(Answers.BadEscape);
  });
});
