// The routing table: plain, readonly, JSON-serialisable data. Translate produces it, validate()
// checks it, the data plane compiles it into matchers. It is shaped to carry Ingress and Gateway
// API HTTPRoute semantics alike: listeners (port, protocol, address), virtual hosts (exact,
// wildcard), ordered routes with matches on path/headers/query/method, filters, weighted
// backends, and per-cluster policy.

/** Which object a route, cluster or diagnostic came from. */
export interface SourceRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export type PathMatch =
  | { readonly type: 'Exact'; readonly value: string }
  /** Element-wise prefix: "/api" matches "/api" and "/api/x", not "/apix". Value has no trailing "/" (except "/"). */
  | { readonly type: 'Prefix'; readonly value: string }
  | { readonly type: 'RegularExpression'; readonly value: string };

export interface StringMatch {
  readonly type: 'Exact' | 'RegularExpression';
  /** Header names are lower-case; query parameter names are case-sensitive. */
  readonly name: string;
  readonly value: string;
}

export interface RouteMatch {
  readonly path: PathMatch;
  readonly headers?: readonly StringMatch[];
  readonly queryParams?: readonly StringMatch[];
  readonly method?: string;
}

export interface HeaderModifier {
  /** Lower-case names. `set` replaces, `add` appends, `remove` deletes. */
  readonly set?: readonly { readonly name: string; readonly value: string }[];
  readonly add?: readonly { readonly name: string; readonly value: string }[];
  readonly remove?: readonly string[];
}

export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

export interface Redirect {
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifier;
  readonly statusCode: 301 | 302 | 303 | 307 | 308;
}

export interface UrlRewrite {
  readonly hostname?: string;
  readonly path?: PathModifier;
}

export interface RouteTimeouts {
  /** Whole request, client to response end (Gateway API timeouts.request). */
  readonly requestMs?: number;
  /** One upstream attempt until response headers (Gateway API timeouts.backendRequest); 0: none. */
  readonly backendRequestMs?: number;
}

export interface WeightedBackend {
  /** Cluster id; the cluster exists in the table (validate checks). */
  readonly cluster: string;
  /** Relative weight; 0 receives nothing. */
  readonly weight: number;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

export type RouteAction =
  | { readonly type: 'forward'; readonly backends: readonly WeightedBackend[] }
  | { readonly type: 'redirect'; readonly redirect: Redirect }
  /** A fixed answer, e.g. 500 when every backend of a Gateway API rule is invalid. */
  | { readonly type: 'respond'; readonly status: number; readonly body: string };

export interface Route {
  /** Stable id, unique in the table; used in metrics (`route` label) and /debug/routes. */
  readonly id: string;
  readonly source: SourceRef;
  readonly match: RouteMatch;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly rewrite?: UrlRewrite;
  readonly mirrors?: readonly { readonly cluster: string; readonly percent: number }[];
  readonly timeouts?: RouteTimeouts;
  /** Gateway API rule retry: wins over the cluster policy's retry for this route. */
  readonly retry?: RetryPolicy;
  /** Gateway API rule sessionPersistence: wins over the cluster policy's for this route. */
  readonly sessionPersistence?: SessionPersistence;
  /** RoutePolicy (rate limit, compression, CORS, IP access, auth, coalescing, cache). */
  readonly edge?: EdgePolicy;
  /** The rule's HTTPRoute CORS filter: wins over a RoutePolicy's cors (then absent from `edge`). */
  readonly cors?: CorsPolicy;
  readonly action: RouteAction;
}

/**
 * A set of hostnames sharing one ordered route list. `hostname` is an exact name, a wildcard
 * "*.example.com", or "*" (any host). Ingress wildcards cover exactly one DNS label; Gateway API
 * wildcards cover one or more — `wildcardLabels` says which.
 */
export interface VirtualHost {
  readonly hostname: string;
  readonly wildcardLabels?: 'one' | 'many';
  /** In precedence order: the first route whose match passes serves the request. */
  readonly routes: readonly Route[];
}

export interface TlsCertificate {
  /** Secret the key pair came from, for /debug/routes and diagnostics. */
  readonly secret: SourceRef;
  /** Hostnames (exact or "*.") this certificate serves by SNI; empty = default certificate. */
  readonly hostnames: readonly string[];
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClientValidation {
  /** The Gateway it came from. */
  readonly source: SourceRef;
  readonly caPem: string;
  readonly mode: 'AllowValidOnly' | 'AllowInsecureFallback';
}

/** One socket's worth of routing: at most one Listener per (address, port) — validate checks. */
export interface Listener {
  /** Unique name, e.g. "http" or "gateway/ns/name/listener". */
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** The logical port (80, 443, or a Gateway listener port); the server maps it to a socket. */
  readonly port: number;
  /** Bind only this address (Gateway spec.addresses); absent = the configured bind address. */
  readonly address?: string;
  readonly virtualHosts: readonly VirtualHost[];
  /** Serves requests no virtual host route matches (Ingress spec.defaultBackend). */
  readonly fallback?: Route;
  /**
   * Some route forwards to an h2c backend (a GRPCRoute, or a Service port with appProtocol
   * kubernetes.io/h2c): on a plain HTTP listener, connections that open with the HTTP/2 preface
   * are served as h2c (gRPC and h2c clients use prior knowledge), even without --http2-cleartext.
   */
  readonly h2c?: true;
  readonly tls?: {
    readonly certificates: readonly TlsCertificate[];
    /**
     * Served for SNI names no certificate claims and to clients without SNI (the
     * --default-certificate Secret); absent: the data plane's generated one. Kept on the listener
     * so table rebuilds that reuse the listeners (endpoint updates) keep it.
     */
    readonly defaultCertificate?: TlsCertificate;
    /**
     * Client certificates (Gateway spec.tls.frontend, per port): every handshake on this socket
     * is asked for one and it is verified against `caPem`, whatever the SNI (so no SNI can
     * reach a host without it). AllowValidOnly: a connection without a valid one is closed;
     * AllowInsecureFallback: it is served, without X-Forwarded-Client-Cert.
     */
    readonly clientValidation?: ClientValidation;
  };
  /**
   * The client certificate presented to TLS backends (the owning Gateway's
   * spec.tls.backend.clientCertificateRef) by requests this listener serves.
   */
  readonly backendClientCertificate?: TlsCertificate;
  /**
   * HTTPS only: SNI names whose connections are spliced to a backend untouched, never
   * terminated (Ingress `sluice.dev/ssl-passthrough`); every other connection on the socket is
   * terminated as usual. None of these names has a virtual host on this listener.
   */
  readonly passthrough?: readonly L4Route[];
}

// ---- L4: TLS passthrough (TLSRoute) and TCP (TCPRoute) listeners ----
// Bytes pass untouched: no virtual hosts, matches or filters. A TLS passthrough listener picks a
// route by the SNI of the client's ClientHello; a TCP listener has at most one route.

export interface L4Backend {
  /** Cluster id; the cluster exists in the table (validate checks). */
  readonly cluster: string;
  /** Relative weight; 0 receives nothing. */
  readonly weight: number;
}

export interface L4Route {
  /** Stable id, unique in the table ("tlsroute/ns/name/host@addr:port"); the `route` metric label. */
  readonly id: string;
  readonly source: SourceRef;
  /**
   * TLS passthrough: the SNI names this route serves: exact, "*.example.com" (one or more
   * leading labels, as Gateway API wildcards) or "*" (any name). Empty for TCP.
   */
  readonly hostnames: readonly string[];
  /** "one": a "*." hostname matches names one label longer only (Ingress wildcards); absent: one or more. */
  readonly wildcardLabels?: 'one';
  /** Empty: every backend is invalid, connections are closed. */
  readonly backends: readonly L4Backend[];
}

export interface L4Listener {
  /** Unique among all listeners, e.g. "gateway/ns/name:5432". */
  readonly name: string;
  readonly protocol: 'TCP' | 'TLSPassthrough';
  readonly port: number;
  readonly address?: string;
  /** TCP: at most one. TLS passthrough: by hostname, the most specific name wins. */
  readonly routes: readonly L4Route[];
}

export interface EndpointAddress {
  readonly address: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly zone?: string;
  readonly nodeName?: string;
  /** e.g. "Pod/ns/name", for /debug/routes. */
  readonly target?: string;
}

// ---- Route policy (RoutePolicy, sluice.dev/v1alpha1): what a route does at the edge ----
// Translate merges the policies of a route's Gateway, the route and the rule (field by field,
// the most specific wins) into one EdgePolicy per table route. Everything is resolved: CIDRs
// canonical, durations in ms, Secrets read into the entries they hold, backends into clusters.

export interface RateLimitHeaderSelector {
  /** Lower-case header name. */
  readonly name: string;
  /** Exact: the header must equal `value`; Distinct: every distinct value has its own bucket. */
  readonly type: 'Exact' | 'Distinct';
  readonly value?: string;
}

export interface RateLimitRule {
  /** A request matches the rule when it matches any selector (none: every request). */
  readonly clientSelectors: readonly { readonly sourceCIDRs?: readonly string[]; readonly headers?: readonly RateLimitHeaderSelector[] }[];
  /** Tokens added per `unitMs`. */
  readonly requests: number;
  readonly unitMs: number;
  /** Bucket capacity (≥ requests). */
  readonly burst: number;
}

export interface RateLimitPolicy {
  /** Local: counted in this Sluice process; Global: shared by every replica through Redis (--redis-url). */
  readonly type: 'Local' | 'Global';
  readonly rules: readonly RateLimitRule[];
}

export type CompressionType = 'zstd' | 'br' | 'gzip';

export interface CompressionPolicy {
  /** In preference order; negotiated with the client's Accept-Encoding q-values. */
  readonly types: readonly CompressionType[];
  readonly minLength: number;
  /** Media types, lower-case; "text/*" covers every text type. */
  readonly contentTypes: readonly string[];
}

export interface CorsPolicy {
  /** Exact origins, "*", or wildcard host patterns such as "https://*.example.com". */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  /** Lower-case header names ("*" allowed without credentials). */
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
  readonly allowCredentials: boolean;
}

export interface IpAccessPolicy {
  /** Canonical CIDRs; empty allow = everyone not denied. Deny wins. Judged on the trusted-proxy client address. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export interface BasicAuthPolicy {
  /** htpasswd entries from the Secret's ".htpasswd" (bcrypt "$2y$", SHA "{SHA}" ...). */
  readonly users: readonly { readonly name: string; readonly hash: string }[];
  /** The WWW-Authenticate realm. */
  readonly realm: string;
}

export interface ForwardAuthPolicy {
  /** Cluster id of the auth service (in the table's clusters). */
  readonly cluster: string;
  readonly path: string;
  /** Lower-case request headers sent to the auth service. */
  readonly headersToBackend: readonly string[];
  /** Lower-case headers copied from a 2xx auth answer onto the proxied request. */
  readonly headersToUpstream: readonly string[];
  readonly timeoutMs: number;
  /** On timeout or connect failure: let the request through (true) or answer 403 (false). */
  readonly failOpen: boolean;
}

export interface CoalescingPolicy {
  readonly maxWaiters: number;
  readonly timeoutMs: number;
}

export interface CachePolicy {
  readonly maxSizeBytes: number;
  readonly maxObjectSizeBytes: number;
  /** Freshness for responses without explicit freshness; 0: only what Cache-Control/Expires say. */
  readonly defaultTtlMs: number;
}

/** The merged RoutePolicy of one table route. */
export interface EdgePolicy {
  /** The RoutePolicies that contributed, most specific last (for /debug/routes). */
  readonly sources: readonly SourceRef[];
  readonly rateLimit?: RateLimitPolicy;
  readonly compression?: CompressionPolicy;
  readonly cors?: CorsPolicy;
  readonly ipAccess?: IpAccessPolicy;
  readonly basicAuth?: BasicAuthPolicy;
  readonly forwardAuth?: ForwardAuthPolicy;
  readonly coalescing?: CoalescingPolicy;
  readonly cache?: CachePolicy;
  /**
   * A security part (ipAccess, basicAuth, forwardAuth) of a policy on this route failed
   * validation: every request is answered 403 (fail closed) with this reason logged.
   */
  readonly denyAll?: { readonly reason: string };
}

// ---- Traffic policy (BackendTrafficPolicy, HTTPRoute sessionPersistence/retry) ----
// Translate resolves a policy into these shapes: durations in ms, names canonical, every value
// validated. An absent block means the data plane's defaults (src/dataplane/policy/defaults.ts).

export type LoadBalancerType = 'RoundRobin' | 'LeastRequest' | 'Random' | 'ConsistentHash';

/** What a consistent-hash balancer hashes. */
export type HashKey =
  | { readonly type: 'SourceIP' }
  /** Lower-case header name; the first value when repeated. */
  | { readonly type: 'Header'; readonly name: string }
  /** Sluice sets the cookie (random value) when the request has none. */
  | { readonly type: 'Cookie'; readonly name: string; readonly ttlSeconds?: number; readonly path?: string }
  | { readonly type: 'QueryParam'; readonly name: string };

export interface LoadBalancerPolicy {
  readonly type: LoadBalancerType;
  /** LeastRequest: endpoints sampled per pick (2 = power of two choices); 0 = all (full scan). */
  readonly choiceCount?: number;
  /** ConsistentHash: the key and the Maglev lookup table size (a prime). */
  readonly consistentHash?: { readonly key: HashKey; readonly tableSize: number };
  /** New endpoints ramp from a small share to a full one linearly over this window. */
  readonly slowStartMs?: number;
}

/** Pin a client to an endpoint by a cookie or header Sluice issues (Gateway API SessionPersistence). */
export interface SessionPersistence {
  readonly type: 'Cookie' | 'Header';
  /** Cookie or (lower-case) header name. */
  readonly name: string;
  /** The session ends this long after it was issued, however busy. */
  readonly absoluteTimeoutMs?: number;
  /** The session ends after this long without a request. */
  readonly idleTimeoutMs?: number;
  /** Cookie only: Permanent sets Max-Age (the absolute timeout); Session sets none. */
  readonly lifetime: 'Session' | 'Permanent';
}

export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

export interface ActiveHealthCheck {
  readonly type: 'HTTP' | 'TCP';
  readonly http?: {
    readonly path: string;
    readonly method: string;
    /** Host header of the probe; absent: the endpoint address. */
    readonly hostname?: string;
    readonly expectedStatuses: readonly StatusRange[];
  };
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive passes that make an unhealthy endpoint healthy (rise). */
  readonly healthyThreshold: number;
  /** Consecutive failures that make a healthy endpoint unhealthy (fall). */
  readonly unhealthyThreshold: number;
  /** Each endpoint's first probe waits a random 0..initialJitterMs. */
  readonly initialJitterMs: number;
}

/** Passive health (outlier detection) from the outcomes of real requests. */
export interface OutlierDetection {
  /** Consecutive 5xx answers (and gateway errors) that eject; absent: not counted. */
  readonly consecutive5xx?: number;
  /** Consecutive 502/503/504 answers and connect/reset failures that eject; absent: not counted. */
  readonly consecutiveGatewayErrors?: number;
  /** How often an endpoint's ejection multiplier decays while it behaves. */
  readonly intervalMs: number;
  /** First ejection length; it doubles on each repeat ejection, capped at maxEjectionMs. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** Never eject more than this share of a cluster's endpoints (at least one may always go). */
  readonly maxEjectionPercent: number;
}

export interface HealthCheckPolicy {
  readonly active?: ActiveHealthCheck;
  readonly passive?: OutlierDetection;
  /** Below this % of healthy endpoints health is ignored and all endpoints share traffic. */
  readonly panicThreshold: number;
}

export interface CircuitBreaker {
  /** Upstream connections in use by the cluster, per worker process; beyond: requests wait. */
  readonly maxConnections: number;
  /** Requests waiting for a connection; beyond: 503 with x-sluice-overflow. */
  readonly maxPendingRequests: number;
  /** Requests in flight to the cluster; beyond: 503 with x-sluice-overflow. */
  readonly maxParallelRequests: number;
  /** Retries in flight to the cluster; beyond: the failure is answered, not retried. */
  readonly maxParallelRetries: number;
}

export type RetryOn = 'connect-failure' | 'reset' | 'refused-stream' | 'gateway-error' | '5xx' | 'retriable-status-codes';

export interface RetryPolicy {
  /** Retries after the first attempt (so numRetries + 1 attempts at most). */
  readonly numRetries: number;
  /** Time to response headers of each attempt; absent: the route/cluster response timeout. */
  readonly perTryTimeoutMs?: number;
  readonly retryOn: readonly RetryOn[];
  /** With 'retriable-status-codes'. */
  readonly retriableStatusCodes: readonly number[];
  /** Jittered exponential backoff between attempts: random(0, min(max, base × 2^n)). */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** Retries in flight ≤ max(minRetryConcurrency, percent % of active requests). */
  readonly budget?: { readonly percent: number; readonly minRetryConcurrency: number };
}

/** Per-Service timeouts; a route's own Gateway API timeouts win. */
export interface ClusterTimeouts {
  /** Overrides --upstream-connect-timeout. */
  readonly connectMs?: number;
  /** The whole request, as HTTPRoute timeouts.request; each attempt may use all of it (it replaces --upstream-response-timeout). */
  readonly requestMs?: number;
  /** Overrides --upstream-idle-timeout. */
  readonly idleMs?: number;
}

/** The traffic policy of a cluster: what its BackendTrafficPolicy said (absent blocks: defaults). */
export interface ClusterPolicy {
  /** The BackendTrafficPolicy it came from (for /debug/routes). */
  readonly source: SourceRef;
  readonly sessionPersistence?: SessionPersistence;
  readonly healthCheck?: HealthCheckPolicy;
  readonly circuitBreaker?: CircuitBreaker;
  readonly retry?: RetryPolicy;
  readonly timeouts?: ClusterTimeouts;
  /**
   * L4 connections (TCPRoute, TLSRoute, Ingress passthrough) to the endpoints start with a PROXY
   * protocol header naming the client; HTTP requests are not affected (X-Forwarded-For).
   */
  readonly proxyProtocol?: { readonly version: 1 | 2 };
}

// ---- Upstream TLS (BackendTLSPolicy, Service appProtocol https) ----

/** A SAN the backend's certificate must carry (one of the list). */
export interface SubjectAltName {
  readonly type: 'Hostname' | 'URI';
  /** Hostname: lower-case DNS name, "*." allowed; URI: the exact URI. */
  readonly value: string;
}

/**
 * How Sluice reaches a cluster's endpoints over TLS. `verify`: a BackendTLSPolicy said what to
 * trust; the connection's certificate must chain to `caPem` (or Node's bundled Mozilla roots
 * when `system`) and carry `serverName` (or, when `subjectAltNames` is set, one of those).
 * `refuse`: TLS is asked for but cannot be verified (a policy whose CA is unusable, or an
 * https port without a policy): every request answers 500 without connecting — never
 * plaintext, never unverified.
 */
export type UpstreamTls =
  | {
      readonly type: 'verify';
      readonly source: SourceRef;
      /** SNI, and the name verified when there are no subjectAltNames. */
      readonly serverName: string;
      readonly trust: 'bundle' | 'system';
      /** PEM certificates (trust: bundle). */
      readonly caPem?: string;
      readonly subjectAltNames?: readonly SubjectAltName[];
    }
  | { readonly type: 'refuse'; readonly source: SourceRef; readonly reason: string };

export interface Cluster {
  /** "namespace/service:port" (port as written in the reference: number or name). */
  readonly id: string;
  readonly service: { readonly namespace: string; readonly name: string };
  /** Name of the Service port; EndpointSlice ports are named after it ('' when unnamed). */
  readonly portName: string;
  /** The Service port number (for /debug/routes). */
  readonly servicePort?: number;
  readonly loadBalancer: LoadBalancerPolicy;
  /** Set when a BackendTrafficPolicy targets the Service (or this port of it). */
  readonly policy?: ClusterPolicy;
  /** All known endpoints, sorted; the data plane picks ready ones (then serving+terminating). */
  readonly endpoints: readonly EndpointAddress[];
  /** Why the cluster cannot be resolved (missing Service/port); it answers 503. */
  readonly unresolved?: { readonly code: string; readonly message: string };
  /** How Sluice speaks to the endpoints; absent: HTTP/1.1. h2c: cleartext HTTP/2 with prior knowledge. */
  readonly protocol?: 'h2c';
  /** TLS to the endpoints (BackendTLSPolicy); absent: clear-text HTTP/1.1. */
  readonly upstreamTls?: UpstreamTls;
}

export interface RoutingTable {
  readonly listeners: readonly Listener[];
  /** TLS passthrough and TCP listeners (absent: none); they share no socket with `listeners`. */
  readonly l4Listeners?: readonly L4Listener[];
  /** Sorted by id. */
  readonly clusters: readonly Cluster[];
  /**
   * Set by the pipeline: changes with every full translation and stays the same across
   * endpoint-only updates, so two tables with the same version have identical listeners (the
   * data plane keeps its compiled routers and balancer positions). Absent: compare nothing.
   */
  readonly routesVersion?: number;
}
