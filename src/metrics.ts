// Every Prometheus metric Sluice exports, in one place. Names follow DESIGN.md (prefix sluice_).
// The per-request metrics count into plain cells and reach prom-client only when the registry is
// read: a prom-client child hashes its labels into a string on every inc() and observe(), which
// for the two metrics every request touches cost more than the rest of the bookkeeping. (With
// exemplars on — tracing — they stay prom-client metrics: exemplars are theirs to keep.)
import { Counter, Gauge, Histogram, type Metric, Registry, type RegistryContentType, collectDefaultMetrics } from 'prom-client';
import { SLUICE_VERSION } from './version.js';

/** The labels of an OpenMetrics exemplar: the sampled span a request was traced in. */
export interface TraceExemplar {
  readonly trace_id: string;
  readonly span_id: string;
}

export interface MetricsOptions {
  /** The default Node.js process metrics (off in unit tests). */
  readonly processMetrics?: boolean;
  /**
   * Keep exemplars on the request counter and duration histogram (a worker with tracing on).
   * prom-client then needs an OpenMetrics registry; without it no exemplar is ever built.
   */
  readonly exemplars?: boolean;
}

type RequestLabels = 'route' | 'backend' | 'code';

/** One (route, backend, code) of sluice_requests_total: counted here, added to prom-client's counter on read. */
interface RequestCell {
  count: number;
  flushed: number;
  readonly labels: readonly [string, string, string];
}

/** One route's sluice_request_duration_seconds: non-cumulative bucket counts (the last one is +Inf), sum and count. */
interface DurationCell {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** One route's request counts by backend and code, and its duration cell (Metrics.routeCounters). */
export interface RouteCounters {
  readonly byBackend: Map<string, Map<number, RequestCell>>;
  readonly duration: DurationCell;
}

/** The duration cell of counters that are never used for durations (exemplars on: prom-client's histogram counts). */
const EMPTY_DURATION: DurationCell = { buckets: new Float64Array(0), sum: 0, count: 0 };

/**
 * A histogram by route whose observations are two array writes. It is a metric to prom-client's
 * Registry (name, help, type, aggregator, get(): the values prom-client's own Histogram exports,
 * so /metrics and the workers' aggregation see no difference).
 */
class RouteDurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, DurationCell>();
  readonly name: string;
  readonly help: string;
  private readonly upperBounds: readonly number[];

  constructor(name: string, help: string, upperBounds: readonly number[], registry: Registry<RegistryContentType>) {
    this.name = name;
    this.help = help;
    this.upperBounds = upperBounds;
    registry.registerMetric(this as unknown as Metric);
  }

  cell(route: string): DurationCell {
    let c = this.cells.get(route);
    if (!c) this.cells.set(route, (c = { buckets: new Float64Array(this.upperBounds.length + 1), sum: 0, count: 0 }));
    return c;
  }

  observe(c: DurationCell, seconds: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    c.buckets[i]!++;
    c.sum += seconds;
    c.count++;
  }

  get() {
    const bucket = `${this.name}_bucket`;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [route, c] of this.cells) {
      let acc = 0;
      for (const [i, le] of this.upperBounds.entries()) {
        acc += c.buckets[i]!;
        values.push({ labels: { le, route }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', route }, value: c.count, metricName: bucket });
      values.push({ labels: { route }, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { route }, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.cells.clear();
  }
}

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  /** Rendered only through metrics-exposition.ts, in the format the scraper asked for. */
  readonly registry = new Registry<RegistryContentType>();
  // Assigned in the constructor: whether they keep exemplars is an option.
  readonly requests: Counter<RequestLabels>;
  readonly requestDuration: Histogram<'route'> | RouteDurationHistogram;
  readonly upstreamErrors = new Counter({
    name: 'sluice_upstream_errors_total',
    help: 'Failed upstream attempts, by backend cluster and kind (connect, timeout, protocol, reset).',
    labelNames: ['backend', 'kind'] as const,
    registers: [this.registry],
  });
  readonly upstreamTlsFailures = new Counter({
    name: 'sluice_upstream_tls_failures_total',
    help: 'Upstream TLS connections that failed (BackendTLSPolicy), by backend cluster and reason (untrusted, expired, hostname-mismatch, san-mismatch, rejected-by-backend, not-tls, handshake).',
    labelNames: ['backend', 'reason'] as const,
    registers: [this.registry],
  });
  readonly upstreamRetries = new Counter({
    name: 'sluice_upstream_retries_total',
    help: 'Requests sent to another endpoint after a connect failure (or a reset, for safe methods), by backend cluster.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  readonly tableSwaps = new Counter({
    name: 'sluice_table_swaps_total',
    help: 'Routing tables installed in the data plane, by path (full translation or endpoints fast path).',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });
  readonly tableRejected = new Counter({
    name: 'sluice_table_rejected_total',
    help: 'Translated tables that failed validation and were not installed (the last good one kept serving).',
    registers: [this.registry],
  });
  readonly tableGeneration = new Gauge({
    name: 'sluice_table_generation',
    help: 'Generation of the routing table currently installed.',
    registers: [this.registry],
  });
  readonly translateDuration = new Histogram({
    name: 'sluice_translate_duration_seconds',
    help: 'Time to translate a snapshot into a routing table.',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly endpoints = new Gauge({
    name: 'sluice_endpoints',
    help: 'Endpoints of each backend cluster in the installed table, by state (ready, serving_terminating, not_ready).',
    labelNames: ['backend', 'state'] as const,
    registers: [this.registry],
  });
  readonly diagnostics = new Gauge({
    name: 'sluice_diagnostics',
    help: 'Diagnostics of the last translation (objects rejected or degraded), by code and severity.',
    labelNames: ['code', 'severity'] as const,
    registers: [this.registry],
  });
  readonly providerErrors = new Counter({
    name: 'sluice_provider_errors_total',
    help: 'Errors reading the outside world (unparsable manifest, informer failure), by provider and code.',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });
  readonly listenerBindFailures = new Counter({
    name: 'sluice_listener_bind_failures_total',
    help: 'Attempts to open a listener socket that failed (an address this host lacks, a port taken), by listener and error code; the other listeners keep serving.',
    labelNames: ['listener', 'code'] as const,
    registers: [this.registry],
  });
  readonly proxyProtocolErrors = new Counter({
    name: 'sluice_proxy_protocol_errors_total',
    help: 'Connections closed while reading their PROXY protocol header, by reason (untrusted, missing, malformed, timeout, closed).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  // Traffic policy (BackendTrafficPolicy): health, outlier detection, circuit breaking, retries.
  readonly endpointHealth = new Gauge({
    name: 'sluice_endpoint_health',
    help: 'Endpoints by health state (healthy, ejected, active_unhealthy), per backend cluster and endpoint; 1 for each state some data-plane worker holds it in.',
    labelNames: ['cluster', 'endpoint', 'state'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly healthChecks = new Counter({
    name: 'sluice_health_checks_total',
    help: 'Active health probes, by result (success, failure, timeout, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly healthCheckTlsFailures = new Counter({
    name: 'sluice_health_check_tls_failures_total',
    help: 'Active HTTP health probes to TLS backends whose TLS failed, by backend cluster and reason (untrusted, expired, hostname-mismatch, san-mismatch, rejected-by-backend, not-tls, handshake, refused).',
    labelNames: ['cluster', 'reason'] as const,
    registers: [this.registry],
  });
  readonly outlierEjections = new Counter({
    name: 'sluice_outlier_ejections_total',
    help: 'Endpoints ejected by passive health (outlier detection), by backend cluster and reason (consecutive_5xx, consecutive_gateway_errors, unreachable).',
    labelNames: ['cluster', 'reason'] as const,
    registers: [this.registry],
  });
  readonly circuitBreakerOverflow = new Counter({
    name: 'sluice_circuit_breaker_overflow_total',
    help: 'Requests answered 503 (or retries not made) because a circuit-breaker limit was reached, by backend cluster and limit.',
    labelNames: ['cluster', 'limit'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'sluice_retries_total',
    help: 'Upstream retries, by backend cluster and reason (connect-failure, reset, gateway-error, 5xx, retriable-status-codes).',
    labelNames: ['cluster', 'reason'] as const,
    registers: [this.registry],
  });
  readonly retryBudgetExhausted = new Counter({
    name: 'sluice_retry_budget_exhausted_total',
    help: 'Retries not made because the retry budget (or maxParallelRetries) was spent, by backend cluster.',
    labelNames: ['cluster'] as const,
    registers: [this.registry],
  });
  // Route policy (RoutePolicy): admission.
  readonly rateLimit = new Counter({
    name: 'sluice_ratelimit_total',
    help: 'Requests a rate limit rule applied to, by route and result (allowed, limited, error: Redis unavailable, let through).',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry],
  });
  readonly auth = new Counter({
    name: 'sluice_auth_total',
    help: 'Admission decisions, by route, type (ip, basic, forward, deny_all) and result (allowed, denied, missing, error, fail_open, busy).',
    labelNames: ['route', 'type', 'result'] as const,
    registers: [this.registry],
  });
  // L4 (TCPRoute, TLS passthrough): per connection, not per request.
  readonly l4Connections = new Counter({
    name: 'sluice_l4_connections_total',
    help: 'TCPRoute and TLS passthrough connections spliced to an endpoint, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly l4ActiveConnections = new Gauge({
    name: 'sluice_l4_active_connections',
    help: 'TCPRoute and TLS passthrough connections open now, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly l4Bytes = new Counter({
    name: 'sluice_l4_bytes_total',
    help: 'Bytes spliced by TCPRoute and TLS passthrough connections, counted when a connection closes, by route and direction (upstream: client to endpoint, downstream).',
    labelNames: ['route', 'direction'] as const,
    registers: [this.registry],
  });
  readonly l4ConnectFailures = new Counter({
    name: 'sluice_l4_connect_failures_total',
    help: 'Failed connects to an endpoint of a TCPRoute or TLSRoute backend (each retried on another endpoint while one is left), by backend cluster and kind (refused, timeout, other).',
    labelNames: ['backend', 'kind'] as const,
    registers: [this.registry],
  });
  readonly l4Rejected = new Counter({
    name: 'sluice_l4_rejected_total',
    help: 'L4 connections closed without reaching an endpoint, by listener and reason (no_sni, unknown_sni, malformed_client_hello, not_tls, client_hello_too_large, handshake_timeout, client_closed, no_route, no_endpoint, connect_failed, overflow).',
    labelNames: ['listener', 'reason'] as const,
    registers: [this.registry],
  });

  // Route policy (RoutePolicy): cache and coalescing (per worker process).
  readonly cache = new Counter({
    name: 'sluice_cache_total',
    help: 'GET and HEAD requests on routes with a RoutePolicy cache, by route and result (hit, miss, revalidated: a stale entry confirmed by a 304, stale: a stale entry replaced, bypass: not looked up).',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry],
  });
  readonly cacheBytes = new Gauge({
    name: 'sluice_cache_bytes',
    help: 'Bytes (headers and bodies) held by RoutePolicy caches, by route (summed over workers: each has its own cache).',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly cacheEntries = new Gauge({
    name: 'sluice_cache_entries',
    help: 'Responses held by RoutePolicy caches, by route (summed over workers).',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly coalesced = new Counter({
    name: 'sluice_coalesced_requests_total',
    help: 'Requests that waited on another identical request (RoutePolicy coalescing), by route and result (shared: got its answer; timeout, overflow, unshareable: went upstream on their own).',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry],
  });

  // Route policy (RoutePolicy): compression.
  readonly compressionBytes = new Counter({
    name: 'sluice_compression_bytes_total',
    help: 'Response body bytes through the compressor of a RoutePolicy compression block: in = as the backend sent them, out = as the client got them.',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  private readonly compressionIn = this.compressionBytes.labels('in');
  private readonly compressionOut = this.compressionBytes.labels('out');

  readonly accessLogDropped = new Counter({
    name: 'sluice_access_log_dropped_total',
    help: 'Access-log lines dropped because the destination could not keep up.',
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: 'sluice_build_info',
    help: 'Always 1: the Sluice version and the Node.js version it runs on.',
    labelNames: ['version', 'node'] as const,
    aggregator: 'max',
    registers: [this.registry],
  });

  /** route → its counters (backend → code → cell); with exemplars, counter children instead: found without building a key string per request. */
  private readonly requestCells = new Map<string, RouteCounters>();
  private readonly requestChildren = new Map<string, Map<string, Map<number, { inc(): void }>>>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  private readonly exemplars: boolean;

  constructor(options: MetricsOptions = {}) {
    this.exemplars = options.exemplars === true;
    // prom-client keeps exemplars only on metrics of an OpenMetrics registry.
    if (this.exemplars) this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.requests = new Counter({
      name: 'sluice_requests_total',
      help: 'Requests answered by the data plane, by route, backend cluster and status code.',
      labelNames: ['route', 'backend', 'code'] as const,
      enableExemplars: this.exemplars,
      registers: [this.registry],
      // Without exemplars the counts wait in cells: a read adds what they counted since the last.
      ...(this.exemplars ? {} : { collect: () => this.flushRequestCells() }),
    });
    const durationHelp = 'Time from request received to response finished, by route.';
    this.requestDuration = this.exemplars
      ? new Histogram({ name: 'sluice_request_duration_seconds', help: durationHelp, labelNames: ['route'] as const, buckets: DURATION_BUCKETS, enableExemplars: true, registers: [this.registry] })
      : new RouteDurationHistogram('sluice_request_duration_seconds', durationHelp, DURATION_BUCKETS, this.registry);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.buildInfo.labels(SLUICE_VERSION, process.versions.node).set(1);
  }

  /** Counts one compressed response body (once, when it ends or breaks). */
  countCompression(inBytes: number, outBytes: number): void {
    this.compressionIn.inc(inBytes);
    this.compressionOut.inc(outBytes);
  }

  /**
   * Counts one answered request: a cell per (route, backend, code) and one per route, no label
   * hashing. With exemplars on, prom-client's children are cached per (route, backend, code)
   * instead; a traced request (sampled span) also becomes the exemplar of its counter child and
   * of its duration bucket, and only then are label objects built. (Without exemplars on, an
   * exemplar passed in is ignored: nothing could show it.)
   */
  countRequest(route: string, backend: string, code: number, seconds: number, exemplar?: TraceExemplar, counters?: RouteCounters): void {
    if (this.exemplars) return exemplar ? this.countTraced(route, backend, code, seconds, exemplar) : this.countChildren(route, backend, code, seconds);
    const own = counters ?? this.routeCounters(route);
    let byCode = own.byBackend.get(backend);
    if (!byCode) own.byBackend.set(backend, (byCode = new Map()));
    let c = byCode.get(code);
    if (!c) byCode.set(code, (c = { count: 0, flushed: 0, labels: [route, backend, String(code)] }));
    c.count++;
    (this.requestDuration as RouteDurationHistogram).observe(own.duration, seconds);
  }

  /**
   * A route's counters, for a caller that keeps them per route (a route runtime): its requests
   * are then counted without looking the route up, which with thousands of routes is a cache
   * miss per request. With exemplars on they stay unused: requests are counted by label there.
   */
  routeCounters(route: string): RouteCounters {
    let c = this.requestCells.get(route);
    if (!c) this.requestCells.set(route, (c = { byBackend: new Map(), duration: this.exemplars ? EMPTY_DURATION : (this.requestDuration as RouteDurationHistogram).cell(route) }));
    return c;
  }

  private flushRequestCells(): void {
    for (const { byBackend } of this.requestCells.values()) {
      for (const byCode of byBackend.values()) {
        for (const c of byCode.values()) {
          if (c.count === c.flushed) continue;
          this.requests.labels(...c.labels).inc(c.count - c.flushed);
          c.flushed = c.count;
        }
      }
    }
  }

  private countChildren(route: string, backend: string, code: number, seconds: number): void {
    let byBackend = this.requestChildren.get(route);
    if (!byBackend) this.requestChildren.set(route, (byBackend = new Map()));
    let byCode = byBackend.get(backend);
    if (!byCode) byBackend.set(backend, (byCode = new Map()));
    let c = byCode.get(code);
    if (!c) byCode.set(code, (c = this.requestChild(route, backend, String(code))));
    c.inc();
    let h = this.durationChildren.get(route);
    if (!h) {
      h = (this.requestDuration as Histogram<'route'>).labels(route);
      this.durationChildren.set(route, h);
    }
    h.observe(seconds);
  }

  private requestChild(route: string, backend: string, code: string): { inc(): void } {
    // With exemplars on, prom-client's labelled counter child expects the exemplar form of inc().
    const increment = { labels: { route, backend, code } };
    return { inc: () => this.requests.inc(increment) };
  }

  private countTraced(route: string, backend: string, code: number, seconds: number, exemplar: TraceExemplar): void {
    // prom-client types exemplar labels as the metric's own label names; ours are trace_id and span_id.
    const exemplarLabels = exemplar as unknown as Record<string, string>;
    (this.requests as Counter<string>).inc({ labels: { route, backend, code: String(code) }, value: 1, exemplarLabels });
    (this.requestDuration as Histogram<string>).observe({ labels: { route }, value: seconds, exemplarLabels });
  }
}
