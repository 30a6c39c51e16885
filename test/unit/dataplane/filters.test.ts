import { describe, expect, it } from '@jest/globals';
import { chain } from '../../../src/dataplane/filters/filter.js';
import { requestHeaderFilter, responseHeaderFilter } from '../../../src/dataplane/filters/header-modifier.js';
import { compilePathModifier } from '../../../src/dataplane/filters/path-modifier.js';
import { compileRedirect } from '../../../src/dataplane/filters/redirect.js';
import { backendFilters, routeFilters } from '../../../src/dataplane/filters/registry.js';
import type { RequestFacts } from '../../../src/dataplane/router.js';
import type { Route } from '../../../src/table/types.js';

function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, [...(m.get(flat[i]!) ?? []), flat[i + 1]!]);
  return m;
}

const facts = (path: string, query = ''): RequestFacts => ({ method: 'GET', path, query, headers: {} });
const route = (extra: Partial<Route>): Route => ({ id: 'r', source: { kind: 'Test', name: 'r' }, match: { path: { type: 'Prefix', value: '/foo' } }, action: { type: 'respond', status: 200, body: '' }, ...extra });

describe('header modifier filters', () => {
  it('set, add and remove on the request side', () => {
    const edit = requestHeaderFilter({ set: [{ name: 'x-env', value: 'prod' }], add: [{ name: 'accept', value: 'text/html' }], remove: ['cookie'] })!.requestHeaders!;
    expect(asMap(edit(['x-env', 'dev', 'accept', '*/*', 'cookie', 'a=1']))).toEqual(new Map([['accept', ['*/*,text/html']], ['x-env', ['prod']]]));
    expect(requestHeaderFilter({})).toBeUndefined();
  });

  it('set, add and remove on the response side', () => {
    const h: Record<string, string | string[] | undefined> = { server: 'x', vary: 'accept' };
    responseHeaderFilter({ remove: ['server'], add: [{ name: 'vary', value: 'cookie' }], set: [{ name: 'x-frame-options', value: 'DENY' }] })!.responseHeaders!(h);
    expect(h).toEqual({ vary: 'accept,cookie', 'x-frame-options': 'DENY' });
  });
});

describe('path modifiers', () => {
  it('replace a full path or a matched prefix element-wise', () => {
    const match = { type: 'Prefix' as const, value: '/foo' };
    const to = (value: string) => compilePathModifier({ type: 'ReplacePrefixMatch', value }, match);
    expect(to('/baz')('/foo/bar')).toBe('/baz/bar');
    expect(to('/baz')('/foo')).toBe('/baz');
    expect(to('/baz/')('/foo/bar')).toBe('/baz/bar');
    expect(to('/')('/foo/bar')).toBe('/bar');
    expect(to('/')('/foo')).toBe('/');
    expect(compilePathModifier({ type: 'ReplaceFullPath', value: '/x' }, match)('/foo/bar')).toBe('/x');
    expect(compilePathModifier({ type: 'ReplacePrefixMatch', value: '/root' }, { type: 'Prefix', value: '/' })('/a/b')).toBe('/root/a/b');
  });
});

describe('filter chains', () => {
  it('apply a route rewrite with the query kept, then its header edits, and compose with the backend', () => {
    const r = routeFilters(route({ rewrite: { path: { type: 'ReplacePrefixMatch', value: '/v2' }, hostname: 'internal.svc' }, requestHeaders: { set: [{ name: 'x-route', value: '1' }] } }));
    const target = { path: '/foo/a?x=1', host: 'app.test' };
    r.rewrite!(target, facts('/foo/a', 'x=1'));
    expect(target).toEqual({ path: '/v2/a?x=1', host: 'internal.svc' });
    const b = backendFilters({ cluster: 'c', weight: 1, requestHeaders: { add: [{ name: 'x-route', value: '2' }] } });
    expect(asMap(b.requestHeaders!(r.requestHeaders!([])))).toEqual(new Map([['x-route', ['1,2']]]));
  });

  it('leave phases nobody uses empty, and keep a single filter as it is', () => {
    expect(routeFilters(route({}))).toEqual({});
    const only = requestHeaderFilter({ remove: ['a'] })!;
    expect(chain([undefined, only]).requestHeaders).toBe(only.requestHeaders);
  });
});

describe('redirects', () => {
  it('take scheme, host, port and path from the redirect, else from the request, and drop default ports', () => {
    const r = route({});
    expect(compileRedirect({ scheme: 'https', statusCode: 301 }, r)(facts('/foo/a', 'q=1'), 'app.test', 'http', 8080)).toBe('https://app.test/foo/a?q=1');
    expect(compileRedirect({ statusCode: 302 }, r)(facts('/foo'), 'app.test', 'http', 8080)).toBe('http://app.test:8080/foo');
    expect(compileRedirect({ hostname: 'new.test', port: 8443, scheme: 'https', path: { type: 'ReplacePrefixMatch', value: '/bar' }, statusCode: 302 }, r)(facts('/foo/x'), 'app.test', 'http', 80)).toBe('https://new.test:8443/bar/x');
  });
});
