// Every Prometheus metric Sluice exports, in one place. Names follow DESIGN.md (prefix sluice_).
// Hot-path helpers cache labelled children so a request does no label hashing.
import { Counter, Gauge, Histogram, Registry, type RegistryContentType, collectDefaultMetrics } from 'prom-client';
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

export class Metrics {
  /** Rendered only through metrics-exposition.ts, in the format the scraper asked for. */
  readonly registry = new Registry<RegistryContentType>();
  // Assigned in the constructor: whether they keep exemplars is an option.
  readonly requests: Counter<RequestLabels>;
  readonly requestDuration: Histogram<'route'>;
  readonly upstreamErrors = new Counter({
    name: 'sluice_upstream_errors_total',
    help: 'Failed upstream attempts, by backend cluster and kind (connect, timeout, protocol, reset).',
    labelNames: ['backend', 'kind'] as const,
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
    help: 'Admission decisions, by route, type (ip, basic, forward, deny_all) and result (allowed, denied, missing, error, fail_open).',
    labelNames: ['route', 'type', 'result'] as const,
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

  /** route → backend → code → counter child: found without building a key string per request. */
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
    });
    this.requestDuration = new Histogram({
      name: 'sluice_request_duration_seconds',
      help: 'Time from request received to response finished, by route.',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      enableExemplars: this.exemplars,
      registers: [this.registry],
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    this.buildInfo.labels(SLUICE_VERSION, process.versions.node).set(1);
  }

  /** Counts one compressed response body (once, when it ends or breaks). */
  countCompression(inBytes: number, outBytes: number): void {
    this.compressionIn.inc(inBytes);
    this.compressionOut.inc(outBytes);
  }

  /**
   * Counts one answered request; the labelled children are cached per (route, backend, code).
   * A traced request (sampled span) also becomes the exemplar of its counter child and of its
   * duration bucket; only then are label objects built.
   */
  countRequest(route: string, backend: string, code: number, seconds: number, exemplar?: TraceExemplar): void {
    if (exemplar) return this.countTraced(route, backend, code, seconds, exemplar);
    let byBackend = this.requestChildren.get(route);
    if (!byBackend) this.requestChildren.set(route, (byBackend = new Map()));
    let byCode = byBackend.get(backend);
    if (!byCode) byBackend.set(backend, (byCode = new Map()));
    let c = byCode.get(code);
    if (!c) byCode.set(code, (c = this.requestChild(route, backend, String(code))));
    c.inc();
    let h = this.durationChildren.get(route);
    if (!h) {
      h = this.requestDuration.labels(route);
      this.durationChildren.set(route, h);
    }
    h.observe(seconds);
  }

  private requestChild(route: string, backend: string, code: string): { inc(): void } {
    if (!this.exemplars) return this.requests.labels(route, backend, code);
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
