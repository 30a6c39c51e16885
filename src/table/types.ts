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
  readonly tls?: {
    readonly certificates: readonly TlsCertificate[];
    /**
     * Served for SNI names no certificate claims and to clients without SNI (the
     * --default-certificate Secret); absent: the data plane's generated one. Kept on the listener
     * so table rebuilds that reuse the listeners (endpoint updates) keep it.
     */
    readonly defaultCertificate?: TlsCertificate;
  };
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

export type LoadBalancerAlgorithm = 'round-robin';

export interface Cluster {
  /** "namespace/service:port" (port as written in the reference: number or name). */
  readonly id: string;
  readonly service: { readonly namespace: string; readonly name: string };
  /** Name of the Service port; EndpointSlice ports are named after it ('' when unnamed). */
  readonly portName: string;
  /** The Service port number (for /debug/routes). */
  readonly servicePort?: number;
  readonly loadBalancer: { readonly algorithm: LoadBalancerAlgorithm };
  /** All known endpoints, sorted; the data plane picks ready ones (then serving+terminating). */
  readonly endpoints: readonly EndpointAddress[];
  /** Why the cluster cannot be resolved (missing Service/port); it answers 503. */
  readonly unresolved?: { readonly code: string; readonly message: string };
}

export interface RoutingTable {
  readonly listeners: readonly Listener[];
  /** Sorted by id. */
  readonly clusters: readonly Cluster[];
  /**
   * Set by the pipeline: changes with every full translation and stays the same across
   * endpoint-only updates, so two tables with the same version have identical listeners (the
   * data plane keeps its compiled routers and balancer positions). Absent: compare nothing.
   */
  readonly routesVersion?: number;
}
