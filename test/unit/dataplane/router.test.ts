import { describe, expect, it } from '@jest/globals';
import { ListenerRouter, normalizeHost, type RequestFacts } from '../../../src/dataplane/router.js';
import type { Listener, Route, RouteMatch, VirtualHost } from '../../../src/table/types.js';

function route(id: string, match: RouteMatch): Route {
  return { id, source: { kind: 'Test', name: id }, match, action: { type: 'respond', status: 200, body: id } };
}
const prefix = (id: string, value: string, extra: Partial<RouteMatch> = {}) => route(id, { path: { type: 'Prefix', value }, ...extra });
const exact = (id: string, value: string, extra: Partial<RouteMatch> = {}) => route(id, { path: { type: 'Exact', value }, ...extra });

function router(virtualHosts: VirtualHost[], fallback?: Route): ListenerRouter {
  const l: Listener = { name: 'http', protocol: 'HTTP', port: 80, virtualHosts, ...(fallback ? { fallback } : {}) };
  return new ListenerRouter(l);
}

function req(url: string, extra: Partial<RequestFacts> = {}): RequestFacts {
  const q = url.indexOf('?');
  return { method: 'GET', path: q === -1 ? url : url.slice(0, q), query: q === -1 ? '' : url.slice(q + 1), headers: {}, ...extra };
}

const id = (r: Route | undefined) => r?.id;

describe('ListenerRouter paths', () => {
  const r = router([
    {
      hostname: 'a.example.com',
      routes: [exact('exact-api', '/api'), prefix('api-v2', '/api/v2'), prefix('api', '/api'), prefix('root', '/')],
    },
  ]);
  const host = 'a.example.com';

  it('prefers exact over prefix, longer prefixes over shorter', () => {
    expect(id(r.match(host, req('/api')))).toBe('exact-api');
    expect(id(r.match(host, req('/api/v2/things')))).toBe('api-v2');
    expect(id(r.match(host, req('/api/v1')))).toBe('api');
    expect(id(r.match(host, req('/')))).toBe('root');
  });

  it('matches prefixes element-wise, not character-wise', () => {
    expect(id(r.match(host, req('/apix')))).toBe('root');
    expect(id(r.match(host, req('/api/v2x')))).toBe('api');
    expect(id(r.match(host, req('/api/')))).toBe('api');
    expect(id(r.match(host, req('/api/v2/')))).toBe('api-v2');
  });

  it('ignores the query string when matching paths', () => {
    expect(id(r.match(host, req('/api?x=1')))).toBe('exact-api');
  });

  it('falls through to the root prefix only when it exists', () => {
    const noRoot = router([{ hostname: 'a.example.com', routes: [prefix('api', '/api')] }]);
    expect(noRoot.match(host, req('/other'))).toBeUndefined();
    expect(id(noRoot.match(host, req('/api/x')))).toBe('api');
  });
});

describe('ListenerRouter hosts', () => {
  const r = router(
    [
      { hostname: 'www.example.com', routes: [prefix('exact-host', '/')] },
      { hostname: '*.example.com', wildcardLabels: 'one', routes: [prefix('one-label', '/')] },
      { hostname: '*.example.org', wildcardLabels: 'many', routes: [prefix('many-labels', '/')] },
      { hostname: '*', routes: [prefix('any', '/only')] },
    ],
    prefix('fallback', '/'),
  );

  it('prefers an exact host, then the wildcard, then "*"', () => {
    expect(id(r.match('www.example.com', req('/')))).toBe('exact-host');
    expect(id(r.match('shop.example.com', req('/')))).toBe('one-label');
    expect(id(r.match('other.net', req('/only')))).toBe('any');
  });

  it('lets an Ingress wildcard cover exactly one label, a Gateway one any number', () => {
    expect(id(r.match('a.b.example.com', req('/only')))).toBe('any');
    expect(id(r.match('example.com', req('/only')))).toBe('any');
    expect(id(r.match('a.b.example.org', req('/')))).toBe('many-labels');
  });

  it('ignores case, a port and a trailing dot in the Host header', () => {
    expect(id(r.match('WWW.Example.COM:8080', req('/')))).toBe('exact-host');
    expect(id(r.match('www.example.com.', req('/')))).toBe('exact-host');
  });

  it('serves the fallback when no route of the host matches', () => {
    expect(id(r.match('other.net', req('/elsewhere')))).toBe('fallback');
    expect(id(r.match(undefined, req('/x')))).toBe('fallback');
  });

  it('normalizes IPv6 literals', () => {
    expect(normalizeHost('[::1]:8080')).toBe('[::1]');
    expect(normalizeHost('Example.com')).toBe('example.com');
    expect(normalizeHost(undefined)).toBe('');
  });
});

describe('ListenerRouter extra conditions', () => {
  const r = router([
    {
      hostname: '*',
      routes: [
        prefix('canary', '/', { headers: [{ type: 'Exact', name: 'x-canary', value: 'yes' }] }),
        prefix('post', '/', { method: 'POST' }),
        prefix('beta', '/', { queryParams: [{ type: 'RegularExpression', name: 'v', value: 'beta-\\d+' }] }),
        route('regex', { path: { type: 'RegularExpression', value: '/items/[0-9]+' } }),
        prefix('default', '/'),
      ],
    },
  ]);

  it('checks headers, method and query parameters in precedence order', () => {
    expect(id(r.match('x', req('/', { headers: { 'x-canary': 'yes' } })))).toBe('canary');
    expect(id(r.match('x', req('/', { headers: { 'x-canary': 'no' } })))).toBe('default');
    expect(id(r.match('x', req('/', { method: 'POST' })))).toBe('post');
    expect(id(r.match('x', req('/?v=beta-12')))).toBe('beta');
    expect(id(r.match('x', req('/?v=beta-x')))).toBe('default');
  });

  it('anchors regular expressions to the whole value', () => {
    const rx = router([{ hostname: '*', routes: [route('regex', { path: { type: 'RegularExpression', value: '/items/[0-9]+' } })] }]);
    expect(id(rx.match('x', req('/items/42')))).toBe('regex');
    expect(rx.match('x', req('/items/42/more'))).toBeUndefined();
  });

  it('never builds a router with a pattern the linear-time engine refuses', () => {
    // validate() keeps such tables from being published; the router refuses rather than backtrack.
    const path = () => router([{ hostname: '*', routes: [route('bad', { path: { type: 'RegularExpression', value: '/(a)\\1' } })] }]);
    const header = () => router([{ hostname: '*', routes: [prefix('bad', '/', { headers: [{ type: 'RegularExpression', name: 'x', value: '(?=y)y' }] })] }]);
    expect(path).toThrow(expect.objectContaining({ code: 'SLUICE_TABLE_INVALID' }));
    expect(header).toThrow(/lookaround/);
  });
});

describe('ListenerRouter routes told apart by one header', () => {
  const tenant = (n: number, value = `t${n}`) => prefix(`tenant-${n}`, '/', { headers: [{ type: 'Exact', name: 'x-tenant', value }] });
  const canary = prefix('canary', '/', { headers: [{ type: 'Exact', name: 'x-canary', value: 'yes' }] });
  const r = router([
    {
      hostname: '*',
      routes: [tenant(1), tenant(2), tenant(3), tenant(4), canary, tenant(5), tenant(6), tenant(7), tenant(8, 't2'), tenant(9), prefix('default', '/')],
    },
  ]);
  const as = (headers: Record<string, string | string[]>) => id(r.match('x', req('/', { headers })));

  it('picks the route whose value the header carries, in precedence order across runs', () => {
    expect(as({ 'x-tenant': 't3' })).toBe('tenant-3');
    expect(as({ 'x-tenant': 't9' })).toBe('tenant-9');
    expect(as({ 'x-tenant': 't42' })).toBe('default');
    expect(as({})).toBe('default');
    // A route between two runs keeps its place: before tenant-6, after tenant-2.
    expect(as({ 'x-tenant': 't6', 'x-canary': 'yes' })).toBe('canary');
    expect(as({ 'x-tenant': 't2', 'x-canary': 'yes' })).toBe('tenant-2');
    // tenant-8 wants t2 too: the earlier tenant-2 wins.
    expect(as({ 'x-tenant': 't2' })).toBe('tenant-2');
    // Repeated headers are matched joined, as a single header check sees them.
    expect(as({ 'x-tenant': ['t1', 't2'] })).toBe('default');
  });

  it('gives the same route as testing every route in order, for random route lists and requests', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const names = ['x-a', 'x-b'];
    const values = ['1', '2', '3', '4', '5'];
    for (let round = 0; round < 200; round++) {
      const routes: Route[] = [];
      const count = 1 + rand(14);
      for (let i = 0; i < count; i++) {
        const kind = rand(10);
        const headers = [{ type: 'Exact' as const, name: names[rand(2)]!, value: values[rand(5)]! }];
        if (kind < 7) routes.push(prefix(`r${i}`, '/', { headers }));
        else if (kind === 7) routes.push(prefix(`r${i}`, '/', { headers, method: 'POST' }));
        else if (kind === 8) routes.push(prefix(`r${i}`, '/', { headers: [...headers, { type: 'Exact', name: 'x-c', value: '1' }] }));
        else routes.push(prefix(`r${i}`, '/'));
      }
      const rr = router([{ hostname: '*', routes }]);
      for (let q = 0; q < 20; q++) {
        const headers: Record<string, string> = {};
        for (const n of [...names, 'x-c']) if (rand(3) > 0) headers[n] = values[rand(5)]!;
        const method = rand(4) === 0 ? 'POST' : 'GET';
        const expected = routes.find((rt) => (!rt.match.method || rt.match.method === method) && (rt.match.headers ?? []).every((h) => headers[h.name] === h.value));
        expect(id(rr.match('x', req('/', { headers, method })))).toBe(expected?.id);
      }
    }
  });
});
