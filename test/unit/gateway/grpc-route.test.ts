import { describe, expect, it } from '@jest/globals';
import type { GRPCRoute } from '../../../src/api/gateway.js';
import { lowerGrpcRoute, methodPath } from '../../../src/translate/gateway/grpc-route.js';
import { compileWholeMatch } from '../../../src/util/linear-regex.js';

function compileRegex(source: string): { test(input: string): boolean } {
  const c = compileWholeMatch(source);
  if (!c.ok) throw new Error(c.reason);
  return c.matcher;
}

describe('GRPCRoute method matches as path matches', () => {
  const lower = (m: Parameters<typeof methodPath>[0]) => {
    const problems: string[] = [];
    return { path: methodPath(m, problems, 'rules[0].matches[0]'), problems };
  };

  it('Exact service and method is an exact path; service alone a prefix; method alone a pattern', () => {
    expect(lower({ service: 'echo.Echo', method: 'Unary' }).path).toEqual({ type: 'Exact', value: '/echo.Echo/Unary' });
    expect(lower({ type: 'Exact', service: 'echo.Echo' }).path).toEqual({ type: 'PathPrefix', value: '/echo.Echo' });
    expect(lower({ method: 'Unary' }).path).toEqual({ type: 'RegularExpression', value: '/[^/]+/Unary' });
    expect(lower({}).path).toBeUndefined();
    expect(lower(undefined).path).toBeUndefined();
  });

  it('the patterns match what gRPC sends and nothing else', () => {
    const method = compileRegex(lower({ method: 'Unary' }).path!.value!);
    expect(method.test('/echo.Echo/Unary')).toBe(true);
    expect(method.test('/a/b/Unary')).toBe(false);
    expect(method.test('/echo.Echo/UnaryX')).toBe(false);
    const both = compileRegex(lower({ type: 'RegularExpression', service: 'echo\\.v[0-9]+\\.Echo', method: 'Get.*' }).path!.value!);
    expect(both.test('/echo.v2.Echo/GetThing')).toBe(true);
    expect(both.test('/echo.vX.Echo/GetThing')).toBe(false);
    expect(both.test('/echo.v2.Echo/Put')).toBe(false);
    const serviceOnly = compileRegex(lower({ type: 'RegularExpression', service: 'a\\.B' }).path!.value!);
    expect(serviceOnly.test('/a.B/Anything')).toBe(true);
    expect(serviceOnly.test('/a.B/x/y')).toBe(false);
  });

  it('names what is not a gRPC match', () => {
    expect(lower({ type: 'Prefix', service: 'a' }).problems).toEqual(['rules[0].matches[0].method: match type Prefix is not supported']);
    expect(lower({ service: 'a/b', method: 'M' }).problems).toEqual(['rules[0].matches[0].method.service: "a/b" is not a gRPC service name']);
    // A side that only parses inside the wrapping groups is refused, not spliced in.
    expect(lower({ type: 'RegularExpression', service: 'a)|(b' }).problems).toHaveLength(1);
  });
});

describe('lowerGrpcRoute', () => {
  const route = (spec: GRPCRoute['spec']): GRPCRoute => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'r', namespace: 'ns' }, spec });

  it('keeps the kind, hostnames, parents, header matches, filters and weighted backends', () => {
    const { route: lowered, problems } = lowerGrpcRoute(
      route({
        parentRefs: [{ name: 'gw' }],
        hostnames: ['grpc.example.com'],
        rules: [
          {
            name: 'one',
            matches: [{ method: { service: 's.S', method: 'M' }, headers: [{ name: 'x-a', value: 'b' }] }],
            filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x', value: 'y' }] } }],
            backendRefs: [{ name: 'svc', port: 9000, weight: 2 }],
          },
        ],
      }),
    );
    expect(problems).toEqual([]);
    expect(lowered.kind).toBe('GRPCRoute');
    expect(lowered.spec).toEqual({
      parentRefs: [{ name: 'gw' }],
      hostnames: ['grpc.example.com'],
      rules: [
        {
          name: 'one',
          matches: [{ path: { type: 'Exact', value: '/s.S/M' }, headers: [{ name: 'x-a', value: 'b' }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x', value: 'y' }] } }],
          backendRefs: [{ name: 'svc', port: 9000, weight: 2 }],
        },
      ],
    });
  });

  it('refuses filters and fields GRPCRoute does not have', () => {
    const { problems } = lowerGrpcRoute(route({ rules: [{ filters: [{ type: 'URLRewrite' }], backendRefs: [{ name: 's', port: 1, filters: [{ type: 'RequestRedirect' }] }] }] }));
    expect(problems).toEqual(['rules[0].filters[0]: filter type URLRewrite is not a GRPCRoute filter', 'rules[0].filters[0]: filter type RequestRedirect is not a GRPCRoute filter']);
    const timeouts = lowerGrpcRoute(route({ rules: [{ timeouts: { request: '1s' } } as never] }));
    expect(timeouts.problems).toEqual(['rules[0].timeouts: not a GRPCRoute field']);
  });
});
