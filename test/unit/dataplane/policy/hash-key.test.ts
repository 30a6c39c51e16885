// The consistent-hash key of a request: where each key type reads it, and the cookie Sluice
// makes up when a Cookie key is missing.
import { describe, expect, it } from '@jest/globals';
import { stableHash } from '../../../../src/dataplane/balancer/stable-hash.js';
import { queryValue, requestHash } from '../../../../src/dataplane/policy/hash-key.js';
import type { Forward } from '../../../../src/dataplane/plan.js';

const plan = (headers: Record<string, string | string[]>, query = '', secure = false) => ({ client: { address: '192.0.2.7' }, facts: { headers, query }, secure }) as unknown as Forward;

describe('requestHash', () => {
  it('hashes the client address, a header (first value), a query parameter', () => {
    expect(requestHash({ type: 'SourceIP' }, plan({})).hash).toBe(stableHash('192.0.2.7'));
    expect(requestHash({ type: 'Header', name: 'x-user' }, plan({ 'x-user': ['a', 'b'] })).hash).toBe(stableHash('a'));
    expect(requestHash({ type: 'QueryParam', name: 'user' }, plan({}, 'x=1&user=bob%20s&y')).hash).toBe(stableHash('bob s'));
  });

  it('has no key when the request lacks it (the balancer falls back)', () => {
    expect(requestHash({ type: 'Header', name: 'x-user' }, plan({})).hash).toBeUndefined();
    expect(requestHash({ type: 'QueryParam', name: 'user' }, plan({}, 'users=1')).hash).toBeUndefined();
  });

  it('reads a Cookie key, or makes one up and sets it with the policy ttl and path', () => {
    expect(requestHash({ type: 'Cookie', name: 'srv' }, plan({ cookie: 'a=1; srv=abc' }))).toEqual({ hash: stableHash('abc') });
    const made = requestHash({ type: 'Cookie', name: 'srv', ttlSeconds: 3600, path: '/app' }, plan({}, '', true));
    const value = /^srv=([A-Za-z0-9_-]{16}); Path=\/app; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$/.exec(made.setCookie ?? '')?.[1];
    expect(value).toBeDefined();
    expect(made.hash).toBe(stableHash(value!));
    expect(requestHash({ type: 'Cookie', name: 'srv' }, plan({})).setCookie).not.toBe(made.setCookie);
  });
});

describe('queryValue', () => {
  it('finds a parameter by exact name, decoded, empty when it has no value', () => {
    expect(queryValue('a=1&b=2', 'b')).toBe('2');
    expect(queryValue('ab=1&b', 'b')).toBe('');
    expect(queryValue('b=x+y', 'b')).toBe('x y');
    expect(queryValue('b=%zz', 'b')).toBe('%zz');
    expect(queryValue('', 'b')).toBeUndefined();
    expect(queryValue('bb=1', 'b')).toBeUndefined();
  });
});
