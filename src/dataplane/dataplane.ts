// The data plane: Fastify servers (one per listening socket) whose request handler is the
// proxy's, reading the current compiled table through a single reference. install() compiles a new
// table and swaps that reference atomically; upstream pools and per-cluster balancers live
// outside the table, so a swap drops no connection and no in-flight request.
import fastify, { type FastifyInstance } from 'fastify';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { listenerRoutes } from '../table/routes.js';
import type { Listener, RoutingTable } from '../table/types.js';
import { type ClusterRuntime, reconcileClusters } from './clusters.js';
import { CompiledTable, listenerKey } from './compiled.js';
import type { ListenerSocketInfo, ProxyContext } from './context.js';
import { handleRequest } from './proxy.js';
import type { EndpointHealthState, HealthSnapshot } from './health/health.js';
import type { CacheSnapshot, SharingStats } from './route-policy/response-sharing.js';
import { handleUpgrade } from './upgrade.js';
import { type AdmissionServices, createAdmissionServices } from './route-policy/services.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SniCertificates } from './tls.js';
import { endpointKey, UpstreamPools } from './upstream/pools.js';
import { UpstreamTlsProfiles } from './upstream/tls.js';
import { socketPortFor } from './ports.js';
import { OutlierEndpointHealth } from './health/endpoint-health.js';
import { createEdge, type Edge } from './edge/settings.js';
import { createListenerServer } from './edge/server.js';
import { proxiedDestination, proxiedPeer } from './edge/proxy-protocol.js';
import { Http2Edge } from './edge/http2.js';
import { acceptH2cUpgrade, isH2cUpgrade } from './edge/h2c-upgrade.js';
import { type AccessLog, createAccessLog } from './access-log/access-log.js';
import { type TrafficSnapshot, TrafficStats } from './stats/traffic.js';
import type { RequestTracing } from './tracing/tracing.js';
import { L4Plane } from './l4/l4-plane.js';
import { NO_SCHEMA_COMPILERS } from '../util/no-schemas.js';

/** --tcp-idle-timeout's default, for data planes built without it (tests). */
const DEFAULT_TCP_IDLE_MS = 3_600_000;

/** The health of an endpoint nothing is known against (shown when only its requests in flight are). */
const IDLE_HEALTH: EndpointHealthState = { ejected: false, ejectedForMs: 0, failures: 0, ejections: 0 };

function routeIds(table: RoutingTable): Set<string> {
  const ids = new Set<string>();
  for (const l of table.listeners) for (const r of listenerRoutes(l)) ids.add(r.id);
  return ids;
}

interface Socket {
  readonly info: ListenerSocketInfo;
  readonly app: FastifyInstance;
  readonly address: string;
  readonly port: number;
  /** HTTPS sockets: certificates by SNI from the current table. */
  readonly tls?: SniCertificates;
  /** HTTP/2 sessions of this socket (--http2 on HTTPS, --http2-cleartext on HTTP). */
  readonly h2?: Http2Edge;
}

export interface DataPlaneOptions {
  readonly config: Pick<Config, 'httpPort' | 'httpsPort' | 'bindAddress' | 'upstream' | 'clientKeepAliveMs' | 'edge' | 'http2' | 'accessLog'> & Partial<Pick<Config, 'workers' | 'redisUrl' | 'tcpIdleMs'>>;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Tracing of proxied requests (--otlp-endpoint; loaded by the worker), if on. */
  readonly tracing?: RequestTracing;
}

export class DataPlane {
  private current: CompiledTable | undefined;
  private draining = false;
  private clusters = new Map<string, ClusterRuntime>();
  private readonly sockets = new Map<string, Socket>();
  /** Listener sockets that failed to open, by key, with the error code last seen. */
  private readonly bindFailures = new Map<string, string>();
  /** Client sockets of live WebSocket/Upgrade tunnels (cut at the drain deadline). */
  private readonly tunnels = new Set<Duplex>();
  private readonly pools: UpstreamPools;
  private readonly upstreamTls = new UpstreamTlsProfiles();
  private readonly admission: AdmissionServices;
  private readonly health: OutlierEndpointHealth;
  private readonly ctx: ProxyContext;
  private readonly edge: Edge;
  private readonly options: DataPlaneOptions;
  private readonly log: Logger;
  private readonly stats = new TrafficStats();
  private readonly accessLog: AccessLog | undefined;
  private readonly tracing: RequestTracing | undefined;
  /** TCPRoute and TLS passthrough listeners (src/dataplane/l4/). */
  private readonly l4: L4Plane;

  constructor(options: DataPlaneOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'dataplane' });
    const { upstream } = options.config;
    this.edge = createEdge(options.config.edge, options.metrics);
    this.health = new OutlierEndpointHealth({ onEjection: (cluster, reason) => options.metrics.outlierEjections.labels(cluster, reason).inc() });
    this.accessLog = createAccessLog(options.config.accessLog, { onDrop: (n) => options.metrics.accessLogDropped.inc(n) });
    this.tracing = options.tracing;
    this.pools = new UpstreamPools({ connectMs: upstream.connectMs, keepAliveMs: upstream.keepAliveMs, connectionsPerEndpoint: 512 });
    this.admission = createAdmissionServices({ log: this.log.child({ component: 'route-policy' }), workers: options.config.workers ?? 1, redisUrl: options.config.redisUrl });
    this.ctx = {
      table: () => this.current,
      cluster: (id) => this.clusters.get(id),
      pools: this.pools,
      upstreamTls: this.upstreamTls,
      timeouts: upstream,
      metrics: options.metrics,
      stats: this.stats,
      accessLog: this.accessLog,
      tracing: this.tracing,
      health: this.health,
      draining: () => this.draining,
      edge: this.edge.settings,
      admission: this.admission,
    };
    this.l4 = new L4Plane({
      cluster: (id) => this.clusters.get(id),
      metrics: options.metrics,
      log: this.log.child({ component: 'l4' }),
      connectMs: upstream.connectMs,
      idleMs: options.config.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS,
      handshakeMs: options.config.edge.tlsHandshakeTimeoutMs,
      ...(this.edge.gate ? { gate: this.edge.gate, proxied: { source: proxiedPeer, destination: proxiedDestination } } : {}),
      bind: (address, port) => ({ host: address ?? options.config.bindAddress, port: socketPortFor(port, options.config) }),
    });
  }

  /** Opens the default HTTP socket (port 80's) so the port answers even before any route exists. */
  async start(): Promise<void> {
    await this.ensureSocket({ name: 'http', port: 80, protocol: 'HTTP', virtualHosts: [] });
  }

  get table(): CompiledTable | undefined {
    return this.current;
  }

  /** Endpoint health as balancers see it, and requests in flight per endpoint, for /debug/routes (read-only). */
  healthSnapshot(): HealthSnapshot {
    const out: Record<string, Record<string, EndpointHealthState>> = {};
    for (const [id, states] of Object.entries(this.health.snapshot())) out[id] = { ...states };
    for (const [id, runtime] of this.clusters) {
      for (const t of runtime.targets) {
        if (t.inflight === 0) continue;
        const byKey = (out[id] ??= {});
        byKey[t.key] = { ...(byKey[t.key] ?? IDLE_HEALTH), activeRequests: t.inflight };
      }
    }
    return out;
  }

  /** Entries, bytes and flights of each route's cache and coalescing in this worker, for /debug/routes. */
  cacheSnapshot(): CacheSnapshot {
    const out: Record<string, SharingStats> = {};
    for (const [id, sharing] of this.current?.sharing() ?? []) out[id] = sharing.stats();
    return out;
  }

  /** This worker's rolling minute of traffic per route and cluster, for /debug/stats. */
  trafficSnapshot(): TrafficSnapshot {
    return this.stats.snapshot();
  }

  /** Sets sluice_endpoint_health from the current health of every endpoint (before a scrape). */
  refreshHealthMetric(): void {
    const gauge = this.options.metrics.endpointHealth;
    gauge.reset();
    for (const { clusterId, key, state } of this.health.states()) gauge.labels(clusterId, key, state).set(1);
  }

  /** An active health-check verdict from the controller's prober. */
  setActiveHealth(clusterId: string, key: string, healthy: boolean): void {
    this.health.setActive(clusterId, key, healthy);
  }

  /** Compiles and atomically installs a validated table, then opens sockets its listeners need. */
  async install(table: RoutingTable, generation: number): Promise<void> {
    const compiled = new CompiledTable(table, generation, this.current);
    const clusters = reconcileClusters(this.clusters, table.clusters, this.health);
    // Swap: both references change before any request can observe one without the other.
    this.clusters = clusters;
    this.current = compiled;
    const keep = new Set<string>();
    const live = new Map<string, Set<string>>();
    for (const c of table.clusters) {
      const keys = new Set<string>();
      for (const e of c.endpoints) keys.add(endpointKey(e));
      live.set(c.id, keys);
      for (const key of keys) keep.add(key);
    }
    this.pools.retain(keep);
    this.upstreamTls.retain(new Set([...clusters.values()].flatMap((r) => [...r.tlsProfileIds()])));
    this.health.retain(live);
    this.stats.retain(routeIds(table), new Set(live.keys()));
    // A socket that cannot be opened (an address this host does not have, a port taken) is that
    // listener's problem only: the table is installed and every other listener serves. L4
    // listeners go first, so a socket one of them gave up is free for an HTTP listener.
    await this.l4.install(table);
    for (const l of table.listeners) await this.ensureSocket(l).catch(() => undefined);
    // New certificates apply to the next handshake; only the no-SNI default needs a push.
    for (const s of this.sockets.values()) s.tls?.refreshDefault(s.app.server as unknown as TlsServer);
  }

  private async ensureSocket(l: Listener): Promise<void> {
    const key = listenerKey(l.address, l.port);
    if (this.sockets.has(key)) return;
    const tls =
      l.protocol === 'HTTPS'
        ? new SniCertificates({
            listener: () => this.current?.router(key)?.listener,
            rejectUnknownSni: this.options.config.edge.rejectUnknownSni,
            onError: (err, secret) => this.log.error({ err, listener: l.name, secret }, 'cannot load TLS key pair'),
          })
        : undefined;
    const info: ListenerSocketInfo = { key, proto: tls ? 'https' : 'http' };
    const { edge, clientKeepAliveMs, http2 } = this.options.config;
    let h2: Http2Edge | undefined;
    const ctx = this.ctx;
    // Fastify builds and owns the server (listen, close); requests reach the proxy directly, not
    // through Fastify's router and request/reply objects: every request is the proxy's, and
    // that framework work cost a few per cent of req/s (bench/README.md, "Sluice's HTTP/1.1 client").
    const handler = (req: IncomingMessage, res: ServerResponse): void => handleRequest(ctx, info, req, res);
    const app = fastify({
      serverFactory: () => {
        // Plain sockets always get one: a GRPCRoute turns prior-knowledge h2c on for its listener.
        if (!tls || http2.tls) h2 = new Http2Edge(handler, { maxConcurrentStreams: http2.maxConcurrentStreams, idleMs: clientKeepAliveMs });
        return createListenerServer(handler, {
          headerTimeoutMs: edge.headerTimeoutMs,
          keepAliveMs: clientKeepAliveMs,
          ...(this.edge.gate ? { gate: this.edge.gate } : {}),
          ...(tls ? { tls: { SNICallback: tls.sniCallback, handshakeTimeoutMs: edge.tlsHandshakeTimeoutMs, takeover: (socket) => this.l4.takeover(key, socket) } } : {}),
          ...(h2 ? { http2: h2 } : {}),
          ...(!tls ? { priorKnowledge: http2.cleartext ? () => true : () => this.current?.router(key)?.listener.h2c === true, upgradeH2c: http2.cleartext } : {}),
        });
      },
      logger: false,
      // Requests never reach its router, so no route can have a schema.
      schemaController: NO_SCHEMA_COMPILERS,
    });
    const tunnels = this.tunnels;
    const upgradeH2c = h2 && !tls && http2.cleartext ? h2 : undefined;
    app.server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      if (upgradeH2c && isH2cUpgrade(req)) return acceptH2cUpgrade(upgradeH2c, req, client, head, edge.headerTimeoutMs);
      handleUpgrade(ctx, info, tunnels, req, client, head);
    });
    const address = l.address ?? this.options.config.bindAddress;
    const port = socketPortFor(l.port, this.options.config);
    const socket: Socket = { info, app: app as unknown as FastifyInstance, address, port, ...(tls ? { tls } : {}), ...(h2 ? { h2 } : {}) };
    tls?.refreshDefault(app.server as unknown as TlsServer);
    // Client-certificate enforcement runs before the HTTP layer sees the connection.
    if (tls) app.server.prependListener('secureConnection', (s: TLSSocket) => tls.enforce(s));
    this.sockets.set(key, socket);
    try {
      await app.listen({ host: address, port });
      this.bindFailures.delete(key);
      this.log.info({ listener: l.name, address, port }, 'listening');
    } catch (err) {
      this.sockets.delete(key);
      const code = (err as { code?: string }).code ?? 'error';
      this.options.metrics.listenerBindFailures.labels(l.name, code).inc();
      // Every install tries again; one log line per listener and cause, not one per table.
      if (this.bindFailures.get(key) !== code) this.log.error({ err, listener: l.name, address, port }, 'cannot listen');
      this.bindFailures.set(key, code);
      throw err;
    }
  }

  /**
   * Graceful stop: stop accepting, let in-flight requests (and WebSocket tunnels) finish within
   * drainMs, then cut what is left, and close upstream pools.
   */
  async stop(drainMs: number): Promise<void> {
    this.draining = true;
    const servers = [...this.sockets.values()].map((s) => s.app.server);
    const sessions = [...this.sockets.values()].flatMap((s) => (s.h2 ? [s.h2] : []));
    const closing = [...this.sockets.values()].map((s) => s.app.close());
    // HTTP/2 clients get a GOAWAY: their streams in flight finish, new ones go elsewhere.
    for (const h2 of sessions) h2.drain();
    // Keep-alive connections that go idle once their last response is sent would hold close()
    // open: sweep them as they become idle, and cut everything at the drain deadline.
    const sweep = setInterval(() => {
      for (const server of servers) server.closeIdleConnections();
    }, 50);
    const deadline = setTimeout(() => {
      for (const server of servers) server.closeAllConnections();
      for (const h2 of sessions) h2.destroyAll();
      for (const tunnel of this.tunnels) tunnel.destroy();
    }, drainMs);
    await Promise.allSettled([...closing, this.l4.stop(drainMs)]);
    clearInterval(sweep);
    clearTimeout(deadline);
    this.accessLog?.close();
    await this.tracing?.shutdown().catch((err: unknown) => this.log.warn({ err }, 'exporting the last spans failed'));
    await this.pools.close();
    await this.admission.close();
  }
}
