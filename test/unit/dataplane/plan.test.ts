// Request planning without sockets: a fake IncomingMessage against a compiled listener.
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import type { ClusterRuntime } from '../../../src/dataplane/clusters.js';
import type { CompiledTable, RouteRuntime } from '../../../src/dataplane/compiled.js';
import type { ProxyContext } from '../../../src/dataplane/context.js';
import { createTrustedMatcher } from '../../../src/dataplane/edge/trusted.js';
import { compileRedirect } from '../../../src/dataplane/filters/redirect.js';
import { routeFilters } from '../../../src/dataplane/filters/registry.js';
import { OutlierEndpointHealth } from '../../../src/dataplane/health/endpoint-health.js';
import { type Forward, planRequest } from '../../../src/dataplane/plan.js';
import { type CompiledRoute, ListenerRouter } from '../../../src/dataplane/router.js';
import type { UpstreamPools } from '../../../src/dataplane/upstream/pools.js';
import { UpstreamTlsProfiles } from '../../../src/dataplane/upstream/tls.js';
import { TrafficStats } from '../../../src/dataplane/stats/traffic.js';
import { Metrics } from '../../../src/metrics.js';
import type { Listener, Route } from '../../../src/table/types.js';

const forward: Route = {
  id: 'api',
  source: { kind: 'Test', name: 'api' },
  match: { path: { type: 'Prefix', value: '/api' } },
  rewrite: { path: { type: 'ReplacePrefixMatch', value: '/v2' } },
  action: { type: 'forward', backends: [{ cluster: 'ns/api:80', weight: 1 }] },
};
const redirect: Route = {
  id: 'old',
  source: { kind: 'Test', name: 'old' },
  match: { path: { type: 'Prefix', value: '/old' } },
  action: { type: 'redirect', redirect: { scheme: 'https', statusCode: 301 } },
};
const listener: Listener = { name: 'http', protocol: 'HTTP', port: 80, virtualHosts: [{ hostname: 'app.test', routes: [redirect, forward] }] };

function context(edge: Partial<ProxyContext['edge']> = {}): { ctx: ProxyContext; metrics: Metrics } {
  const router = new ListenerRouter(listener);
  const cluster = { cluster: { id: 'ns/api:80' } } as unknown as ClusterRuntime;
  const runtime = (route: Route): RouteRuntime => ({
    route,
    pickBackend: () => ({ backend: { cluster: 'ns/api:80', weight: 1 }, filters: {}, responseHeaders: undefined }),
    filters: routeFilters(route),
    redirect: route.action.type === 'redirect' ? compileRedirect(route.action.redirect, route) : undefined,
    retry: undefined,
    sticky: undefined,
    observers: undefined,
  });
  const table = { router: () => router, runtimeOf: (hit: CompiledRoute) => runtime(hit.route) } as unknown as CompiledTable;
  const metrics = new Metrics({ processMetrics: false });
  const ctx: ProxyContext = {
    table: () => table,
    cluster: () => cluster,
    pools: {} as UpstreamPools,
    upstreamTls: new UpstreamTlsProfiles(),
    timeouts: { connectMs: 1, responseMs: 1, idleMs: 1 },
    metrics,
    stats: new TrafficStats(),
    accessLog: undefined,
    tracing: undefined,
    health: new OutlierEndpointHealth(),
    draining: () => false,
    edge: { paths: { mergeSlashes: true, escapedSlashes: 'keep' }, trust: undefined, maxRequestBodyBytes: 0, proxiedPeer: () => undefined, ...edge },
  };
  return { ctx, metrics };
}

function request(url: string, rawHeaders: string[] = ['Host', 'app.test'], peer = '192.0.2.10'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return { url, method: 'GET', headers, rawHeaders, socket: { remoteAddress: peer, localPort: 8080 } } as unknown as IncomingMessage;
}

const socket = { key: '|80', proto: 'http' } as const;
const header = (plan: Forward, name: string) => plan.headers[plan.headers.indexOf(name) + 1];

describe('planRequest', () => {
  it('forwards the normalized, rewritten path with the query kept', () => {
    const { ctx } = context();
    const plan = planRequest(ctx, socket, request('/api/x/../users?page=2'), 0) as Forward;
    expect(plan.type).toBe('forward');
    expect(plan.path).toBe('/v2/users?page=2');
    expect(header(plan, 'host')).toBe('app.test');
    expect(header(plan, 'x-real-ip')).toBe('192.0.2.10');
  });

  it('refuses what it cannot read safely, closes the connection and counts the answer', async () => {
    const { ctx, metrics } = context();
    for (const r of [request('/api', ['Host', 'app.test', 'Host', 'evil.test']), request('/api', ['Host', 'app test']), request('/../etc')]) {
      expect(planRequest(ctx, socket, r, 0)).toMatchObject({ type: 'answer', status: 400, headers: { connection: 'close' } });
    }
    const counted = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_requests_total')!.values;
    expect(counted).toEqual([expect.objectContaining({ labels: { route: '-', backend: '-', code: '400' }, value: 3 })]);
  });

  it('answers 404 without a route, 413 above the declared body limit, and builds redirects from the bare host', () => {
    const { ctx } = context({ maxRequestBodyBytes: 10 });
    expect(planRequest(ctx, socket, request('/nothing'), 0)).toMatchObject({ type: 'answer', status: 404, body: 'no route\n' });
    expect(planRequest(ctx, socket, request('/api', ['Host', 'app.test', 'Content-Length', '11']), 0)).toMatchObject({ status: 413 });
    expect(planRequest(ctx, socket, request('/old/page?q=1', ['Host', 'app.test:8080']), 0)).toMatchObject({ status: 301, headers: { location: 'https://app.test/old/page?q=1' } });
  });

  it('routes an absolute-form request by its authority', () => {
    const { ctx } = context();
    const plan = planRequest(ctx, socket, request('http://app.test/api/a', ['Host', 'other.test']), 0) as Forward;
    expect(plan.path).toBe('/v2/a');
    expect(header(plan, 'host')).toBe('app.test');
  });

  it('takes the client from X-Forwarded-For only behind a trusted proxy', () => {
    const trust = { isTrusted: createTrustedMatcher(['10.0.0.0/8']), hops: 0 };
    const { ctx } = context({ trust });
    const spoofed = planRequest(ctx, socket, request('/api', ['Host', 'app.test', 'X-Forwarded-For', '6.6.6.6']), 0) as Forward;
    expect(spoofed.client.address).toBe('192.0.2.10');
    const proxied = planRequest(ctx, socket, request('/api', ['Host', 'app.test', 'X-Forwarded-For', '6.6.6.6, 203.0.113.4'], '10.1.2.3'), 0) as Forward;
    expect(proxied.client.address).toBe('203.0.113.4');
    expect(header(proxied, 'x-forwarded-for')).toBe('6.6.6.6, 203.0.113.4, 10.1.2.3');
  });
});
