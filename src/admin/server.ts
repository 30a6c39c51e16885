// The admin port: /healthz (alive), /readyz (200 once the first table is installed), /metrics
// (Prometheus text, or OpenMetrics with exemplars when the scraper asks for it), /debug/routes (JSON dump of the installed table with endpoint state and
// every current diagnostic), /debug/stats (the last minute of traffic per route, backend and
// endpoint) and /dashboard (the live stats page over it). /debug/* and /dashboard answer
// loopback clients only unless --debug-remote.
// Private keys never leave the process.
import fastify, { type FastifyInstance } from 'fastify';
import type { Published } from '../pipeline/pipeline.js';
import type { Listener, RoutingTable } from '../table/types.js';
import type { Diagnostic } from '../translate/types.js';
import { eligibleEndpoints } from '../dataplane/clusters.js';
import type { EndpointHealthState, HealthSnapshot } from '../dataplane/health/health.js';
import { endpointKey } from '../dataplane/upstream/pools.js';
import type { ProbeSnapshot } from '../healthcheck/prober.js';
import { debugAccessHook } from './debug-access.js';
import type { TrafficSnapshot } from '../dataplane/stats/traffic.js';
import type { CacheSnapshot, SharingStats } from '../dataplane/route-policy/response-sharing.js';
import { DASHBOARD_HTML } from './dashboard.js';
import { debugStats } from './stats.js';
import { expositionContentType, type ExpositionFormat, negotiateExposition } from '../metrics-exposition.js';
import { NO_SCHEMA_COMPILERS } from '../util/no-schemas.js';

export interface AdminSources {
  /** Every metric (the controller's summed with the workers'), in the given exposition format. */
  metrics(format: ExpositionFormat): Promise<string>;
  published(): Published | undefined;
  providerDiagnostics(): readonly Diagnostic[];
  /** The socket port each listener is served on. */
  socketPort(listener: Pick<Listener, 'port'>): number;
  /** False once shutdown began: readiness drops so load balancers stop sending traffic. */
  accepting(): boolean;
  /** Endpoint health per data-plane worker (each worker's balancers keep their own). */
  health(): Promise<readonly HealthSnapshot[]>;
  /** Each worker's rolling minute of traffic. */
  traffic(): Promise<readonly TrafficSnapshot[]>;
  /** Each worker's route caches and coalescing (entries, bytes, flights) by route id. */
  cache?(): Promise<readonly CacheSnapshot[]>;
  /** The latest active health probe of each probed endpoint (the controller runs them). */
  activeChecks?(): ProbeSnapshot;
}

/** Per route with a cache or coalescing: what each worker holds (route ids absent: nothing yet). */
function cacheByRoute(cache: readonly CacheSnapshot[]): Record<string, (SharingStats & { worker: number })[]> {
  const out: Record<string, (SharingStats & { worker: number })[]> = {};
  cache.forEach((snapshot, worker) => {
    for (const [route, stats] of Object.entries(snapshot)) (out[route] ??= []).push({ worker, ...stats });
  });
  return out;
}

/** What each worker's health says of one endpoint; undefined when no worker has anything to say. */
function endpointHealth(health: readonly HealthSnapshot[], clusterId: string, key: string): (EndpointHealthState & { worker: number })[] | undefined {
  const states: (EndpointHealthState & { worker: number })[] = [];
  health.forEach((snapshot, worker) => {
    const state = snapshot[clusterId]?.[key];
    if (state) states.push({ worker, ...state });
  });
  return states.length > 0 ? states : undefined;
}

function endpointState(e: { ready: boolean; serving: boolean; terminating: boolean }): string {
  if (e.ready) return 'ready';
  if (e.serving && e.terminating) return 'serving-terminating';
  return e.terminating ? 'terminating' : 'not-ready';
}

export function debugRoutes(p: Published | undefined, providerDiagnostics: readonly Diagnostic[], socketPort: (l: Pick<Listener, 'port'>) => number, health: readonly HealthSnapshot[] = [], cache: readonly CacheSnapshot[] = [], probes: ProbeSnapshot = {}): unknown {
  const table: RoutingTable = p?.table ?? { listeners: [], clusters: [] };
  return {
    generation: p?.generation ?? 0,
    listeners: table.listeners.map((l) => ({
      name: l.name,
      protocol: l.protocol,
      port: l.port,
      socketPort: socketPort(l),
      ...(l.address ? { address: l.address } : {}),
      hosts: l.virtualHosts.map((vh) => ({ hostname: vh.hostname, routes: vh.routes })),
      ...(l.fallback ? { fallback: l.fallback } : {}),
      ...(l.tls ? { tls: l.tls.certificates.map((c) => ({ secret: c.secret, hostnames: c.hostnames })) } : {}),
      ...(l.tls?.defaultCertificate ? { defaultCertificate: l.tls.defaultCertificate.secret } : {}),
      // Ingress sluice.dev/ssl-passthrough: SNI names spliced on this HTTPS socket, never terminated.
      ...(l.passthrough ? { passthrough: l.passthrough } : {}),
    })),
    // TLS passthrough and TCP listeners: routes by SNI name, or the one TCP route.
    l4Listeners: (table.l4Listeners ?? []).map((l) => ({ ...l, socketPort: socketPort(l) })),
    clusters: table.clusters.map((c) => {
      const eligible = new Set(eligibleEndpoints(c.endpoints));
      return {
        ...c,
        endpoints: c.endpoints.map((e) => {
          const key = endpointKey(e);
          const h = endpointHealth(health, c.id, key);
          const probe = probes[c.id]?.[key];
          return { ...e, state: endpointState(e), receivesTraffic: eligible.has(e), ...(h ? { health: h } : {}), ...(probe ? { activeCheck: probe } : {}) };
        }),
      };
    }),
    diagnostics: [...(p?.diagnostics ?? []), ...providerDiagnostics],
    // Gateway API statuses as translate computed them (in-cluster, the status writer publishes them).
    statuses: (p?.statuses ?? []).filter((st) => st.kind !== 'Ingress'),
    // RoutePolicy cache and coalescing: entries, bytes and requests in flight, per route and worker.
    cache: cacheByRoute(cache),
  };
}

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  /** Answer /debug/* to non-loopback clients too (--debug-remote). */
  readonly debugRemote: boolean;
}

export async function startAdmin(sources: AdminSources, options: AdminOptions): Promise<FastifyInstance> {
  const app = fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', async (_req, reply) => {
    const ready = sources.published() !== undefined && sources.accepting();
    return reply.code(ready ? 200 : 503).type('text/plain').send(ready ? 'ok\n' : 'not ready\n');
  });
  app.get('/metrics', async (req, reply) => {
    const format = negotiateExposition(req.headers.accept);
    return reply.type(expositionContentType(format)).header('vary', 'accept').send(await sources.metrics(format));
  });
  // Every /debug route lives in this encapsulated plugin, behind its access hook.
  await app.register(
    async (debug) => {
      debug.addHook('onRequest', debugAccessHook(options.debugRemote));
      debug.get('/routes', async (_req, reply) => {
        const [health, cache] = await Promise.all([sources.health(), sources.cache?.() ?? []]);
        return reply.type('application/json').send(JSON.stringify(debugRoutes(sources.published(), sources.providerDiagnostics(), sources.socketPort, health, cache, sources.activeChecks?.()), null, 2));
      });
      debug.get('/stats', async (_req, reply) => {
        const [health, traffic] = await Promise.all([sources.health(), sources.traffic()]);
        const stats = debugStats({ published: sources.published(), providerDiagnostics: sources.providerDiagnostics(), socketPort: sources.socketPort, health, traffic, now: Date.now() });
        return reply.type('application/json').header('cache-control', 'no-store').send(JSON.stringify(stats));
      });
      debug.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain').send('not found\n'));
    },
    { prefix: '/debug' },
  );
  // The stats page shows what /debug/stats does, so it has the same gate.
  await app.register(async (page) => {
    page.addHook('onRequest', debugAccessHook(options.debugRemote));
    page.get('/dashboard', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(DASHBOARD_HTML));
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}
