// The cache's pure parts: Cache-Control parsing, RFC 9111 freshness and storability, Vary keys,
// client conditionals, and the LRU store's byte bounds.
import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { parseDirectives, requestDirectives, responseDirectives } from '../../../../src/dataplane/route-policy/cache/cache-control.js';
import { currentAgeMs, freshnessLifetimeMs, initialAgeMs, unstorable, usableFresh } from '../../../../src/dataplane/route-policy/cache/freshness.js';
import { passThrough, primaryKey, sameVary, secondaryKey, varyNames } from '../../../../src/dataplane/route-policy/cache/key.js';
import { RouteCache } from '../../../../src/dataplane/route-policy/cache/route-cache.js';
import { CacheStore, type Entry, entrySize, type StoredResponse } from '../../../../src/dataplane/route-policy/cache/store.js';
import type { UpstreamReceiver } from '../../../../src/dataplane/route-policy/coalescing.js';
import type { Forward } from '../../../../src/dataplane/plan.js';
import { notModified } from '../../../../src/dataplane/route-policy/cache/validators.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const date = (ms: number): string => new Date(ms).toUTCString();

describe('Cache-Control', () => {
  it('reads directives case-insensitively, with quoted values and junk in between', () => {
    const d = parseDirectives('Public, MAX-AGE=60, private="set-cookie, x", ,, s-maxage="30", foo');
    expect([...d.entries()]).toEqual([['public', undefined], ['max-age', '60'], ['private', 'set-cookie, x'], ['s-maxage', '30'], ['foo', undefined]]);
  });

  it('reads a bad or repeated delta-seconds as the strictest value', () => {
    expect(responseDirectives({ 'cache-control': 'max-age=abc' }).maxAge).toBe(0);
    expect(responseDirectives({ 'cache-control': 'max-age=60, max-age=10' }).maxAge).toBe(10);
    expect(responseDirectives({ 'cache-control': 'max-age=99999999999' }).maxAge).toBe(2_147_483_648);
  });

  it('reads the request directives, and Pragma: no-cache without Cache-Control', () => {
    expect(requestDirectives({ 'cache-control': 'max-age=0, only-if-cached' })).toMatchObject({ maxAge: 0, onlyIfCached: true, noCache: false });
    expect(requestDirectives({ pragma: 'no-cache' }).noCache).toBe(true);
    expect(requestDirectives({ pragma: 'no-cache', 'cache-control': 'max-age=5' }).noCache).toBe(false);
  });
});

describe('freshness', () => {
  const lifetime = (headers: Record<string, string>, status = 200, defaultTtl = 0): number => freshnessLifetimeMs(status, headers, responseDirectives(headers), defaultTtl, T0);

  it('takes s-maxage over max-age over Expires − Date', () => {
    expect(lifetime({ 'cache-control': 'max-age=60, s-maxage=5' })).toBe(5000);
    expect(lifetime({ 'cache-control': 'max-age=60', expires: date(T0 + 999_000) })).toBe(60_000);
    expect(lifetime({ date: date(T0), expires: date(T0 + 30_000) })).toBe(30_000);
    // No Date: Expires counts from when the response arrived; an unreadable Expires is past.
    expect(lifetime({ expires: date(T0 + 10_000) })).toBe(10_000);
    expect(lifetime({ expires: '0' })).toBe(0);
    expect(lifetime({ 'cache-control': 'no-cache, max-age=60' })).toBe(0);
  });

  it('applies defaultTTL only without explicit freshness and for heuristically cacheable statuses', () => {
    expect(lifetime({}, 200, 7000)).toBe(7000);
    expect(lifetime({}, 404, 7000)).toBe(7000);
    expect(lifetime({}, 302, 7000)).toBe(0);
    expect(lifetime({}, 500, 7000)).toBe(0);
    expect(lifetime({ 'cache-control': 'max-age=2' }, 200, 7000)).toBe(2000);
    expect(lifetime({}, 200, 0)).toBe(0);
  });

  it('ages a response by its Date, its Age header and the time the request took', () => {
    expect(initialAgeMs({ date: date(T0 - 5000) }, T0 - 100, T0)).toBe(5000);
    expect(initialAgeMs({ age: '10' }, T0 - 100, T0)).toBe(10_100);
    expect(initialAgeMs({}, T0, T0)).toBe(0);
    const f = { responseTime: T0, initialAgeMs: 2000, lifetimeMs: 10_000 };
    expect(currentAgeMs(f, T0 + 3000)).toBe(5000);
    const none = requestDirectives({});
    expect(usableFresh(f, none, T0 + 7999)).toBe(true);
    expect(usableFresh(f, none, T0 + 8000)).toBe(false);
    expect(usableFresh(f, requestDirectives({ 'cache-control': 'max-age=0' }), T0)).toBe(false);
    expect(usableFresh(f, requestDirectives({ 'cache-control': 'no-cache' }), T0)).toBe(false);
    expect(usableFresh(f, requestDirectives({ 'cache-control': 'max-age=1' }), T0)).toBe(false);
    expect(usableFresh(f, requestDirectives({ 'cache-control': 'min-fresh=9' }), T0)).toBe(false);
    expect(usableFresh(f, requestDirectives({ 'cache-control': 'min-fresh=7' }), T0)).toBe(true);
  });

  it('stores what a shared cache may, and says why not otherwise', () => {
    const why = (headers: Record<string, string | string[]>, status = 200, auth = false): string | undefined => {
      const d = responseDirectives(headers);
      return unstorable(status, headers, d, auth, freshnessLifetimeMs(status, headers, d, 0, T0));
    };
    expect(why({ 'cache-control': 'max-age=60' })).toBeUndefined();
    expect(why({ etag: '"a"' })).toBeUndefined();
    expect(why({})).toBe('no-freshness');
    expect(why({ 'cache-control': 'max-age=60' }, 206)).toBe('status');
    expect(why({ 'cache-control': 'max-age=60' }, 302)).toBeUndefined();
    expect(why({}, 302)).toBe('status');
    expect(why({ 'cache-control': 'no-store, max-age=60' })).toBe('no-store');
    expect(why({ 'cache-control': 'private, max-age=60' })).toBe('private');
    expect(why({ 'cache-control': 'max-age=60', 'set-cookie': ['a=1'] })).toBe('set-cookie');
    expect(why({ 'cache-control': 'max-age=60', vary: 'Accept, *' })).toBe('vary-star');
    expect(why({ 'cache-control': 'max-age=60' }, 200, true)).toBe('authorization');
    expect(why({ 'cache-control': 'public, max-age=60' }, 200, true)).toBeUndefined();
    expect(why({ 'cache-control': 's-maxage=60' }, 200, true)).toBeUndefined();
    expect(why({ 'cache-control': 'must-revalidate, max-age=60' }, 200, true)).toBeUndefined();
  });
});

describe('keys', () => {
  it('keys a request by route, scheme, host (any case), path and query', () => {
    const plan = (id: string, host: string, path: string, query: string, secure = false) => ({ rt: { route: { id } }, secure, facts: { host, path, query, method: 'GET', headers: {} } }) as unknown as Forward;
    expect(primaryKey(plan('r', 'App.Test', '/a', 'x=1'))).toBe(primaryKey(plan('r', 'app.test', '/a', 'x=1')));
    const keys = [plan('r', 'app.test', '/a', ''), plan('r', 'app.test', '/a', 'x=1'), plan('r', 'app.test', '/b', ''), plan('s', 'app.test', '/a', ''), plan('r', 'app.test', '/a', '', true), plan('r', 'other.test', '/a', '')].map(primaryKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lists Vary names lower-case, once, and compares request values', () => {
    expect(varyNames('Accept-Encoding, accept-encoding,Origin')).toEqual(['accept-encoding', 'origin']);
    const names = varyNames('Accept-Language');
    expect(secondaryKey({ 'accept-language': ' de ' }, names)).toBe(secondaryKey({ 'accept-language': 'de' }, names));
    expect(secondaryKey({}, names)).not.toBe(secondaryKey({ 'accept-language': '' }, names));
    expect(sameVary({ 'accept-language': 'de' }, { 'accept-language': 'fr' }, names)).toBe(false);
    expect(sameVary({ 'accept-language': 'de', x: '1' }, { 'accept-language': 'de' }, names)).toBe(true);
    expect(secondaryKey({ 'accept-language': 'de' }, [])).toBe('');
  });

  it('leaves ranges and the conditionals it does not evaluate to the origin', () => {
    expect(passThrough({ range: 'bytes=0-1' })).toBe(true);
    expect(passThrough({ 'if-match': '"a"' })).toBe(true);
    expect(passThrough({ 'if-none-match': '"a"' })).toBe(false);
  });

  it('answers a client that already has the representation with 304', () => {
    expect(notModified({ 'if-none-match': 'W/"a", "b"' }, 200, { etag: '"a"' })).toBe(true);
    expect(notModified({ 'if-none-match': '"c"' }, 200, { etag: '"a"' })).toBe(false);
    expect(notModified({ 'if-none-match': '*' }, 200, { etag: '"a"' })).toBe(true);
    expect(notModified({ 'if-none-match': '"a"' }, 404, { etag: '"a"' })).toBe(false);
    // If-None-Match wins over If-Modified-Since.
    expect(notModified({ 'if-none-match': '"c"', 'if-modified-since': date(T0) }, 200, { etag: '"a"', 'last-modified': date(T0 - 1000) })).toBe(false);
    expect(notModified({ 'if-modified-since': date(T0) }, 200, { 'last-modified': date(T0 - 1000) })).toBe(true);
    expect(notModified({ 'if-modified-since': date(T0) }, 200, { 'last-modified': date(T0 + 1000) })).toBe(false);
  });
});

describe('CacheStore', () => {
  const response = (bytes: number, vary: readonly string[] = []): StoredResponse => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(bytes), varyNames: vary, authorizedSharing: false, responseTime: T0, initialAgeMs: 0, lifetimeMs: 1000 });
  const size = entrySize(response(1000));

  it('evicts the least recently used entries to stay within maxSize', () => {
    const store = new CacheStore(size * 3, size);
    for (const k of ['a', 'b', 'c']) expect(store.put(k, '', response(1000))).toBe(true);
    expect(store.get('a', '')).toBeDefined();
    store.put('d', '', response(1000));
    expect(store.get('b', '')).toBeUndefined();
    expect(['a', 'c', 'd'].every((k) => store.get(k, '') !== undefined)).toBe(true);
    expect(store.entries).toBe(3);
    expect(store.bytes).toBe(size * 3);
    // Replacing a variant does not count it twice.
    store.put('a', '', response(1000));
    expect(store.bytes).toBe(size * 3);
  });

  it('refuses an entry above maxObjectSize', () => {
    const store = new CacheStore(size * 10, size - 1);
    expect(store.put('a', '', response(1000))).toBe(false);
    expect(store.entries).toBe(0);
  });

  it('keeps variants per Vary value and drops them all on invalidation or a new Vary', () => {
    const store = new CacheStore(size * 10, size * 2);
    store.put('p', 'de\0', response(1000, ['accept-language']));
    store.put('p', 'fr\0', response(1000, ['accept-language']));
    expect(store.varyOf('p')).toEqual(['accept-language']);
    expect(store.entries).toBe(2);
    store.put('p', 'gzip\0', response(1000, ['accept-encoding']));
    expect(store.entries).toBe(1);
    expect(store.get('p', 'de\0')).toBeUndefined();
    store.invalidate('p');
    expect(store.entries).toBe(0);
    expect(store.bytes).toBe(0);
  });
});

describe('RouteCache fill', () => {
  class Next implements UpstreamReceiver {
    heads: { status: number; headers: IncomingHttpHeaders }[] = [];
    body = '';
    ended = 0;
    head(status: number, _m: string | undefined, headers: IncomingHttpHeaders): void {
      this.heads.push({ status, headers });
    }
    data(chunk: Buffer): boolean {
      this.body += chunk.toString();
      return true;
    }
    whenDrained(): void {}
    end(): void {
      this.ended++;
    }
    answer(): void {}
    cut(): void {}
    leaderStatus(code: number): number {
      return code;
    }
  }
  const none = requestDirectives({});

  it('stores a storable answer, and a 304 to its revalidation refreshes it and answers with the stored body', () => {
    const cache = new RouteCache({ maxSizeBytes: 1 << 20, maxObjectSizeBytes: 1 << 16, defaultTtlMs: 0 });
    const first = new Next();
    const fill = cache.fill(first, 'p', {}, undefined, true);
    fill.head(200, undefined, { etag: '"a"', 'cache-control': 'max-age=0', 'content-type': 'text/plain', connection: 'close' });
    fill.data(Buffer.from('ab'));
    fill.data(Buffer.from('c'));
    fill.end();
    expect(first.heads[0]!.headers['x-cache']).toBe('MISS');
    const found = cache.lookup('p', {}, none, Date.now());
    expect(found && 'stale' in found).toBe(true);
    const stale = (found as { stale: Entry }).stale;
    expect(stale.response.headers).toMatchObject({ etag: '"a"', 'content-length': '3' });
    expect(stale.response.headers.connection).toBeUndefined();

    const second = new Next();
    const revalidation = cache.fill(second, 'p', {}, stale, true);
    revalidation.head(304, undefined, { etag: '"a"', 'cache-control': 'max-age=60', 'x-new': '1', 'content-length': '0', 'content-type': 'text/html' });
    revalidation.end();
    expect(second.heads).toHaveLength(1);
    expect(second.heads[0]).toMatchObject({ status: 200, headers: { 'x-cache': 'REVALIDATED', 'x-new': '1', 'content-length': '3', 'content-type': 'text/plain', age: '0' } });
    expect(second.body).toBe('abc');
    expect(second.ended).toBe(1);
    expect(revalidation.leaderStatus(304)).toBe(200);
    expect(cache.lookup('p', {}, none, Date.now())).toHaveProperty('fresh');
  });

  it('streams an answer larger than maxObjectSize through without storing it, and marks a replaced stale entry EXPIRED', () => {
    const cache = new RouteCache({ maxSizeBytes: 1 << 20, maxObjectSizeBytes: 600, defaultTtlMs: 0 });
    const next = new Next();
    const fill = cache.fill(next, 'big', {}, undefined, true);
    fill.head(200, undefined, { 'cache-control': 'max-age=60' });
    fill.data(Buffer.alloc(700));
    fill.end();
    expect(next.body).toHaveLength(700);
    expect(cache.store.entries).toBe(0);

    const small = cache.fill(new Next(), 'small', {}, undefined, true);
    small.head(200, undefined, { 'cache-control': 'max-age=0', etag: '"1"' });
    small.end();
    const stale = (cache.lookup('small', {}, none, Date.now()) as { stale: Entry }).stale;
    const replaced = new Next();
    const again = cache.fill(replaced, 'small', {}, stale, true);
    again.head(200, undefined, { 'cache-control': 'no-store' });
    again.end();
    expect(replaced.heads[0]!.headers['x-cache']).toBe('EXPIRED');
    expect(cache.store.entries).toBe(0);
  });
});
