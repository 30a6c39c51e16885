// The HTTPRoute filter registry: each filter type's translator, how a list of them folds into
// what a rule or backendRef carries, and what happens to types without a translator.
import { describe, expect, it } from '@jest/globals';
import type { HTTPRoute, HTTPRouteFilter } from '../../../src/api/gateway.js';
import type { FilterContext } from '../../../src/translate/gateway/filters/filter.js';
import { translateBackendFilters, translateRuleFilters } from '../../../src/translate/gateway/filters/registry.js';
import { RouteProblems } from '../../../src/translate/gateway/problems.js';
import { ReferenceGrants } from '../../../src/translate/gateway/references.js';

const route: HTTPRoute = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'ns' } };
const web = { apiVersion: 'v1', kind: 'Service' as const, metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ port: 80 }] } };

function context(matchType: 'Prefix' | 'Exact' = 'Prefix'): FilterContext {
  return {
    route,
    inputs: { services: new Map([['ns/web', web]]), grants: new ReferenceGrants([]) },
    matches: [{ match: { path: { type: matchType, value: '/a' } }, index: 0 }],
    where: 'rules[0]',
    problems: new RouteProblems(),
  };
}

const setHeader = (name: string): HTTPRouteFilter => ({ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name, value: 'v' }] } });

describe('HTTPRoute filter translators', () => {
  it('gives each filter type its own field, lower-casing header names', () => {
    const c = context();
    const out = translateRuleFilters(
      [
        setHeader('X-A'),
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['Server'] } },
        { type: 'URLRewrite', urlRewrite: { hostname: 'h.example', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } },
        { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 }, fraction: { numerator: 1, denominator: 4 } } },
      ],
      c,
    );
    expect(out).toEqual({
      requestHeaders: { set: [{ name: 'x-a', value: 'v' }] },
      responseHeaders: { remove: ['server'] },
      rewrite: { hostname: 'h.example', path: { type: 'ReplacePrefixMatch', value: '/b' } },
      mirrors: [{ ref: { namespace: 'ns', name: 'web', port: 80 }, display: 'ns/web:80', percent: 25 }],
    });
    expect(c.problems.unsupported).toBeUndefined();
  });

  it('lets a later filter of a type replace an earlier one, and adds mirrors up', () => {
    const c = context();
    const mirror = (port: number): HTTPRouteFilter => ({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port } } });
    const out = translateRuleFilters([setHeader('first'), mirror(80), setHeader('second'), mirror(81)], c);
    expect(out.requestHeaders).toEqual({ set: [{ name: 'second', value: 'v' }] });
    expect(out.mirrors.map((m) => m.display)).toEqual(['ns/web:80', 'ns/web:81']);
    // The unresolvable mirror target is a reference problem, not a rejection.
    expect(c.problems.unsupported).toBeUndefined();
    expect(c.problems.refs.map((v) => v.message)).toEqual(['Service ns/web has no port 81']);
  });

  it('rejects types without a translator, naming where they are', () => {
    const c = context();
    translateRuleFilters([setHeader('ok'), { type: 'ExtensionRef', extensionRef: { name: 'x' } }], c);
    expect(c.problems.unsupported?.message).toBe('rules[0].filters[1]: filter type ExtensionRef is not supported');
  });

  it('takes only header modifiers on a backendRef', () => {
    const c = { ...context(), where: 'rules[0].backendRefs[0]' };
    const out = translateBackendFilters([setHeader('X-B'), { type: 'RequestRedirect', requestRedirect: {} }], c);
    expect(out).toEqual({ requestHeaders: { set: [{ name: 'x-b', value: 'v' }] } });
    expect(c.problems.unsupported?.message).toBe('rules[0].backendRefs[0].filters[1]: filter type RequestRedirect is not supported on a backendRef');
  });

  it('reports the first problem: a bad header name, a redirect code, ReplacePrefixMatch without prefixes', () => {
    const cases: [HTTPRouteFilter, FilterContext, string][] = [
      [setHeader('bad name'), context(), 'rules[0].filters[0]: invalid header name "bad name"'],
      [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }, context(), 'rules[0].filters[0]: redirect statusCode 305 is not supported'],
      [{ type: 'RequestRedirect' }, context(), 'rules[0].filters[0]: requestRedirect is missing'],
      [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }, context('Exact'), 'rules[0].filters[0]: ReplacePrefixMatch needs PathPrefix matches'],
    ];
    for (const [filter, c, message] of cases) {
      const out = translateRuleFilters([filter], c);
      expect(c.problems.unsupported?.message).toBe(message);
      expect(out.redirect).toBeUndefined();
    }
  });
});
