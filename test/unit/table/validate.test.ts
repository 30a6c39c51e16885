import { describe, expect, it } from '@jest/globals';
import { validateTable } from '../../../src/table/validate.js';
import type { Route, RoutingTable } from '../../../src/table/types.js';

const cluster = { id: 'ns/a:80', service: { namespace: 'ns', name: 'a' }, portName: '', loadBalancer: { type: 'RoundRobin' as const }, endpoints: [] };
const fwd = (id: string, extra: Partial<Route> = {}): Route => ({
  id,
  source: { kind: 'Test', name: id },
  match: { path: { type: 'Prefix', value: '/' } },
  action: { type: 'forward', backends: [{ cluster: 'ns/a:80', weight: 1 }] },
  ...extra,
});
const table = (routes: Route[], more: Partial<RoutingTable> = {}): RoutingTable => ({
  listeners: [{ name: 'http', protocol: 'HTTP', port: 80, virtualHosts: [{ hostname: 'a.example.com', routes }] }],
  clusters: [cluster],
  ...more,
});

describe('validateTable', () => {
  it('accepts a well-formed table', () => {
    expect(validateTable(table([fwd('r1')]))).toEqual([]);
  });

  it('finds what translate must never produce', () => {
    const problems = validateTable(
      table([
        fwd('dup'),
        fwd('dup'),
        fwd('ghost', { action: { type: 'forward', backends: [{ cluster: 'ns/missing:80', weight: 1 }] } }),
        fwd('neg', { action: { type: 'forward', backends: [{ cluster: 'ns/a:80', weight: -1 }] } }),
        fwd('rel', { match: { path: { type: 'Exact', value: 'relative' } } }),
        fwd('slash', { match: { path: { type: 'Prefix', value: '/x/' } } }),
        fwd('re', { match: { path: { type: 'RegularExpression', value: '([' } } }),
        fwd('hdr', { requestHeaders: { set: [{ name: 'bad header', value: 'x' }] } }),
        fwd('status', { action: { type: 'respond', status: 99, body: '' } }),
        fwd('timer', { timeouts: { requestMs: 2 ** 31 } }),
        fwd('fraction', { timeouts: { backendRequestMs: 0.5 } }),
      ]),
    );
    for (const fragment of ['invalid timeouts.requestMs 2147483648', 'invalid timeouts.backendRequestMs 0.5', 'duplicate route id dup', 'unknown cluster ns/missing:80', 'invalid weight -1', 'must start with "/"', 'must not end with "/"', 'invalid regular expression', 'invalid header name', 'invalid status 99']) {
      expect(problems.some((p) => p.includes(fragment))).toBe(true);
    }
  });

  it('rejects regular expressions the linear-time engine cannot run, in paths, headers and query parameters', () => {
    const problems = validateTable(
      table([
        fwd('path', { match: { path: { type: 'RegularExpression', value: '/(a)\\1' } } }),
        fwd('header', { match: { path: { type: 'Prefix', value: '/' }, headers: [{ type: 'RegularExpression', name: 'x', value: '(?=a)a' }] } }),
        fwd('query', { match: { path: { type: 'Prefix', value: '/' }, queryParams: [{ type: 'RegularExpression', name: 'q', value: 'x{17}' }] } }),
        fwd('ok', { match: { path: { type: 'RegularExpression', value: '/(a+)+$' } } }),
      ]),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/route path: invalid regular expression .*backreferences/);
    expect(problems.join('\n')).toMatch(/route header: invalid regular expression .*lookaround/);
    expect(problems.join('\n')).toMatch(/route query: invalid regular expression .*linear time/);
  });

  it('rejects two listeners on one socket and HTTPS without TLS', () => {
    const t = table([fwd('r1')]);
    const problems = validateTable({
      ...t,
      listeners: [...t.listeners, { name: 'again', protocol: 'HTTPS', port: 80, virtualHosts: [] }],
    });
    expect(problems.some((p) => p.includes('already served by listener http'))).toBe(true);
    expect(problems.some((p) => p.includes('HTTPS without tls'))).toBe(true);
  });
});

describe('validateTable: L4 listeners', () => {
  const l4 = (id: string, hostnames: string[], clusterId = 'ns/a:80') => ({ id, source: { kind: 'TLSRoute', name: id }, hostnames, backends: [{ cluster: clusterId, weight: 1 }] });
  const base = (l4Listeners: RoutingTable['l4Listeners'], listeners: RoutingTable['listeners'] = []): RoutingTable => ({ listeners, l4Listeners, clusters: [cluster] });

  it('accepts TLS passthrough and TCP listeners', () => {
    expect(validateTable(base([
      { name: 'tls', protocol: 'TLSPassthrough', port: 8443, routes: [l4('a', ['a.example.com', '*.example.com']), l4('b', ['*'])] },
      { name: 'tcp', protocol: 'TCP', port: 5432, routes: [l4('t', [])] },
    ]))).toEqual([]);
  });

  it('names each broken part', () => {
    const problems = validateTable(base([
      { name: 'tls', protocol: 'TLSPassthrough', port: 80, routes: [l4('a', ['a.example.com']), l4('b', ['a.example.com', 'bad host']), l4('c', [], 'ns/missing:1')] },
      { name: 'tcp', protocol: 'TCP', port: 5432, routes: [l4('t', []), l4('u', ['x.example.com'])] },
    ], [{ name: 'http', protocol: 'HTTP', port: 80, virtualHosts: [] }]));
    expect(problems).toEqual([
      'listener tls: *:80 is already served by listener http',
      'listener tls route b: hostname a.example.com is already served by another route',
      'listener tls route b: invalid hostname "bad host"',
      'listener tls route c: a TLS passthrough route needs hostnames',
      'listener tls route c: unknown cluster ns/missing:1',
      'listener tcp: a TCP listener has at most one route',
      'listener tcp route u: a TCP route has no hostnames',
    ]);
  });

  it('checks the Ingress passthrough routes of an HTTPS listener like TLS passthrough routes', () => {
    const https = (passthrough: ReturnType<typeof l4>[], protocol: 'HTTP' | 'HTTPS' = 'HTTPS'): RoutingTable['listeners'][number] => ({
      name: 'https',
      protocol,
      port: 443,
      virtualHosts: [{ hostname: 'a.example.com', routes: [] }],
      tls: { certificates: [] },
      passthrough,
    });
    expect(validateTable(base([], [https([l4('p', ['b.example.com'])])]))).toEqual([]);
    expect(validateTable(base([], [https([l4('p', ['a.example.com']), l4('q', [], 'ns/missing:1')], 'HTTP')]))).toEqual([
      'listener https: passthrough hosts on a plain HTTP listener',
      'listener https route q: a TLS passthrough route needs hostnames',
      'listener https route q: unknown cluster ns/missing:1',
      'listener https: passthrough host a.example.com also has a virtual host',
    ]);
  });
});
