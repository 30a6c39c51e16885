// One catalog of coded errors. Every error Sluice reports — a bad flag, a manifest that does not
// parse, an Ingress that names a missing Service — has a stable code here, so logs, metrics,
// diagnostics and status conditions all speak the same names.

interface CatalogEntry<A extends unknown[]> {
  readonly code: string;
  readonly message: (...args: A) => string;
}

function entry<A extends unknown[]>(code: string, message: (...args: A) => string): CatalogEntry<A> {
  return { code, message };
}

export const Errors = {
  // Configuration (flags, env) — fatal at start-up, never at run time.
  ConfigInvalid: entry('SLUICE_CONFIG_INVALID', (flag: string, problem: string) => `invalid ${flag}: ${problem}`),
  ConfigUnknownFlag: entry('SLUICE_CONFIG_UNKNOWN_FLAG', (flag: string) => `unknown flag ${flag} (see --help)`),

  // Providers.
  ManifestUnreadable: entry('SLUICE_MANIFEST_UNREADABLE', (file: string, reason: string) => `cannot read ${file}: ${reason}`),
  ManifestParse: entry('SLUICE_MANIFEST_PARSE', (file: string, reason: string) => `cannot parse ${file}: ${reason}`),
  ManifestTooLarge: entry(
    'SLUICE_MANIFEST_TOO_LARGE',
    (file: string, bytes: number, limit: number) => `${file} is ${bytes} bytes, above --max-manifest-bytes ${limit}: skipped, its last good objects stay`,
  ),
  ManifestObjectInvalid: entry(
    'SLUICE_MANIFEST_OBJECT_INVALID',
    (file: string, index: number, reason: string) => `${file} document ${index}: ${reason}`,
  ),

  // Kubernetes API (src/k8s): never fatal at run time; the last good table keeps serving.
  K8sConfigUnavailable: entry('SLUICE_K8S_CONFIG_UNAVAILABLE', (reason: string) => `no usable Kubernetes client configuration (in-cluster or KUBECONFIG): ${reason}`),
  K8sForbidden: entry(
    'SLUICE_K8S_FORBIDDEN',
    (verb: string, resource: string, reason: string) => `forbidden: cannot ${verb} ${resource}: ${reason} (grant it in the ClusterRole, see deploy/rbac.yaml)`,
  ),
  K8sUnauthorized: entry('SLUICE_K8S_UNAUTHORIZED', (verb: string, resource: string, reason: string) => `unauthorized to ${verb} ${resource}: ${reason} (check the token or kubeconfig)`),
  K8sUnreachable: entry('SLUICE_K8S_UNREACHABLE', (verb: string, resource: string, reason: string) => `cannot ${verb} ${resource}: apiserver unreachable: ${reason}`),
  K8sRequestFailed: entry('SLUICE_K8S_REQUEST_FAILED', (verb: string, resource: string, reason: string) => `cannot ${verb} ${resource}: ${reason}`),
  StatusWriteFailed: entry('SLUICE_STATUS_WRITE_FAILED', (ref: string, reason: string) => `cannot write the status of ${ref}: ${reason}`),
  LeaseFailed: entry('SLUICE_LEASE_FAILED', (lease: string, reason: string) => `leader election on Lease ${lease} failed: ${reason}`),

  // Translation: each of these rejects or degrades one object only.
  IngressClassNotFound: entry(
    'SLUICE_INGRESS_CLASS_NOT_FOUND',
    (name: string) => `IngressClass ${name} does not exist or is not handled by sluice.dev/ingress-controller`,
  ),
  IngressInvalidPath: entry('SLUICE_INGRESS_INVALID_PATH', (path: string, reason: string) => `path ${JSON.stringify(path)} ${reason}`),
  IngressInvalidHost: entry('SLUICE_INGRESS_INVALID_HOST', (host: string, reason: string) => `host ${JSON.stringify(host)} ${reason}`),
  IngressTlsSecretInvalid: entry(
    'SLUICE_INGRESS_TLS_SECRET_INVALID',
    (problem: string) => `spec.tls: ${problem}; its hosts are served with another certificate`,
  ),
  IngressPathConflict: entry(
    'SLUICE_INGRESS_PATH_CONFLICT',
    (host: string, path: string, winner: string) => `${host}${path} is also defined by ${winner}, which wins (older)`,
  ),
  IngressDefaultBackendConflict: entry(
    'SLUICE_INGRESS_DEFAULT_BACKEND_CONFLICT',
    (winner: string) => `spec.defaultBackend is also defined by ${winner}, which wins (older)`,
  ),
  BackendResourceUnsupported: entry(
    'SLUICE_BACKEND_RESOURCE_UNSUPPORTED',
    (kind: string) => `resource backends (${kind}) are not supported; the route answers 503`,
  ),
  BackendMissing: entry('SLUICE_BACKEND_MISSING', () => 'backend names no service; the route answers 503'),
  ServiceNotFound: entry('SLUICE_SERVICE_NOT_FOUND', (ref: string) => `Service ${ref} not found; the route answers 503`),
  ServicePortNotFound: entry(
    'SLUICE_SERVICE_PORT_NOT_FOUND',
    (ref: string, port: string) => `Service ${ref} has no port ${port}; the route answers 503`,
  ),
  ServiceExternalName: entry(
    'SLUICE_SERVICE_EXTERNAL_NAME',
    (ref: string) => `Service ${ref} is of type ExternalName, which is not supported; the route answers 503`,
  ),
  DefaultCertificateInvalid: entry(
    'SLUICE_DEFAULT_CERTIFICATE_INVALID',
    (problem: string) => `--default-certificate: ${problem}; the generated sluice-default certificate serves unknown and missing SNI instead`,
  ),
  IngressTlsNoHosts: entry(
    'SLUICE_INGRESS_TLS_NO_HOSTS',
    (secret: string) => `spec.tls with Secret ${secret} lists no hosts and the Ingress has no rule hosts, so it serves no name (a certificate for unknown names is --default-certificate)`,
  ),

  IngressAnnotationInvalid: entry(
    'SLUICE_INGRESS_ANNOTATION_INVALID',
    (name: string, value: string, expected: string) => `annotation ${name}: ${JSON.stringify(value)} is not ${expected}; the annotation is ignored`,
  ),
  IngressPassthroughNoHost: entry(
    'SLUICE_INGRESS_PASSTHROUGH_NO_HOST',
    (rule: number) => `spec.rules[${rule}] has no host: TLS passthrough routes by SNI, so this rule is not passed through (it is served as usual)`,
  ),
  IngressPassthroughNoBackend: entry(
    'SLUICE_INGRESS_PASSTHROUGH_NO_BACKEND',
    (host: string) => `host ${host} has no path "/" and the Ingress no spec.defaultBackend: nothing to pass its TLS connections to, so it is not passed through`,
  ),
  IngressPassthroughHostConflict: entry(
    'SLUICE_INGRESS_PASSTHROUGH_HOST_CONFLICT',
    (host: string, winner: string) => `TLS passthrough of host ${host} is also asked by ${winner}, which wins (older)`,
  ),
  IngressHostPassedThrough: entry(
    'SLUICE_INGRESS_HOST_PASSED_THROUGH',
    (host: string, owner: string) => `host ${host} is passed through on the HTTPS port by ${owner}: its HTTPS routes here are not served (its HTTP ones are)`,
  ),
  FieldNotImplemented: entry('SLUICE_FIELD_NOT_IMPLEMENTED', (field: string) => `${field} is not implemented by Sluice and is ignored`),
  AnnotationUnknown: entry('SLUICE_ANNOTATION_UNKNOWN', (name: string, known: string) => `annotation ${name} is not one of Sluice's (${known}) and is ignored`),
  AnnotationNotImplemented: entry('SLUICE_ANNOTATION_NOT_IMPLEMENTED', (name: string, instead: string) => `annotation ${name} belongs to another ingress controller and is ignored by Sluice${instead ? `; ${instead}` : ''}`),

  // Gateway API: each of these is also a status condition on the object named.
  GatewayClassNotAccepted: entry('SLUICE_GATEWAYCLASS_NOT_ACCEPTED', (reason: string, message: string) => `GatewayClass not accepted (${reason}): ${message}`),
  GatewayNotAccepted: entry('SLUICE_GATEWAY_NOT_ACCEPTED', (reason: string, message: string) => `Gateway not accepted (${reason}): ${message}`),
  GatewayListenerProblem: entry(
    'SLUICE_GATEWAY_LISTENER_PROBLEM',
    (listener: string, reason: string, message: string) => `listener ${listener} (${reason}): ${message}`,
  ),
  HTTPRouteNotAccepted: entry(
    'SLUICE_HTTPROUTE_NOT_ACCEPTED',
    (parent: string, reason: string, message: string) => `not accepted by ${parent} (${reason}): ${message}`,
  ),
  HTTPRouteRefNotResolved: entry(
    'SLUICE_HTTPROUTE_REF_NOT_RESOLVED',
    (reason: string, message: string) => `${message} (${reason}); requests routed to it fail`,
  ),
  GatewayBackendClientCertificateInvalid: entry(
    'SLUICE_GATEWAY_BACKEND_CLIENT_CERTIFICATE_INVALID',
    (reason: string, message: string) => `${message} (${reason}); no client certificate is presented to TLS backends, so those that require one refuse`,
  ),
  L4RouteNotAccepted: entry(
    'SLUICE_L4ROUTE_NOT_ACCEPTED',
    (parent: string, reason: string, message: string) => `not accepted by ${parent} (${reason}): ${message}`,
  ),
  L4RouteRefNotResolved: entry(
    'SLUICE_L4ROUTE_REF_NOT_RESOLVED',
    (reason: string, message: string) => `${message} (${reason}); connections routed to it are closed`,
  ),
  L4ListenerTaken: entry('SLUICE_L4ROUTE_LISTENER_TAKEN', (why: string) => `accepted but serves no connection: ${why}`),
  L4HostnameTaken: entry(
    'SLUICE_L4ROUTE_HOSTNAME_TAKEN',
    (host: string, listener: string, owner: string) => `SNI ${host} on ${listener} is already served by the older ${owner}; not served by this route there`,
  ),
  GatewayBackendInvalid: entry('SLUICE_GATEWAY_BACKEND_INVALID', (ref: string, reason: string) => `backendRef ${ref} is invalid (${reason})`),
  IngressHostShadowedByGateway: entry(
    'SLUICE_INGRESS_HOST_SHADOWED_BY_GATEWAY',
    (host: string, gateway: string) => `host ${host} on a socket it shares with the Ingresses is also served by ${gateway}, which wins`,
  ),

  // BackendTrafficPolicy (src/translate/policy/): each of these is also the policy's Accepted
  // condition (reason Invalid, TargetNotFound, Conflicted) for the ancestors it concerns.
  PolicyInvalid: entry(
    'SLUICE_POLICY_INVALID',
    (problems: string) => `${problems}; the policy is not applied and its Services keep the defaults`,
  ),
  PolicyProxyProtocolHttp: entry(
    'SLUICE_POLICY_PROXY_PROTOCOL_HTTP',
    (service: string) => `proxyProtocol applies to L4 connections only (TCPRoute, TLSRoute, Ingress passthrough): HTTP requests to Service ${service} are sent without a PROXY header (the client is in X-Forwarded-For and X-Real-IP)`,
  ),
  PolicyTargetNotFound: entry('SLUICE_POLICY_TARGET_NOT_FOUND', (target: string, why: string) => `target ${target}: ${why}; nothing is applied to it`),
  PolicyConflicted: entry(
    'SLUICE_POLICY_CONFLICTED',
    (target: string, winners: readonly string[], why: string) =>
      `target ${target} is also targeted by ${winners.join(' and ')}, which ${winners.length > 1 ? 'take' : 'takes'} precedence (${why}); this policy is not applied to it`,
  ),

  // BackendTLSPolicy (src/translate/backend-tls/) and TLS to backends: fail closed — a Service
  // whose TLS cannot be verified answers 500, never plaintext and never unverified.
  BackendTlsPolicyInvalid: entry(
    'SLUICE_BACKEND_TLS_POLICY_INVALID',
    (problems: string) => `${problems}; the policy is not applied, and the Services it targets that no valid policy covers refuse requests (500)`,
  ),
  BackendTlsCaInvalid: entry(
    'SLUICE_BACKEND_TLS_CA_INVALID',
    (problems: string, someResolved: boolean) =>
      `${problems}; ${someResolved ? 'the other references are trusted, these contribute nothing' : 'no CA is usable: the targeted Services refuse requests (500)'}`,
  ),
  BackendTlsWithoutPolicy: entry(
    'SLUICE_BACKEND_TLS_WITHOUT_POLICY',
    (port: string, appProtocol: string) =>
      `port ${port} has appProtocol ${appProtocol} but no BackendTLSPolicy says how to verify its pods: requests to it answer 500 (Sluice never sends plaintext to a TLS port nor skips verification)`,
  ),

  // RoutePolicy (src/translate/route-policy/): each is also the policy's Accepted condition
  // (reason Invalid, TargetNotFound, Conflicted) for the ancestors it concerns.
  RoutePolicyTargetInvalid: entry('SLUICE_ROUTE_POLICY_TARGET_INVALID', (problems: string) => `${problems}; those targets are ignored`),
  RoutePolicyMalformed: entry('SLUICE_ROUTE_POLICY_MALFORMED', () => 'malformed RoutePolicy (its spec does not follow the schema); nothing of it is applied'),
  RoutePolicyBlockInvalid: entry(
    'SLUICE_ROUTE_POLICY_BLOCK_INVALID',
    (problems: string, security: boolean) =>
      security
        ? `${problems}; this security block fails closed: every request to the routes it governs is answered 403`
        : `${problems}; the block is not applied (a less specific policy's block, if any, applies)`,
  ),
  RoutePolicyTargetNotFound: entry('SLUICE_ROUTE_POLICY_TARGET_NOT_FOUND', (target: string, why: string) => `target ${target}: ${why}; nothing is applied to it`),
  RoutePolicyConflicted: entry(
    'SLUICE_ROUTE_POLICY_CONFLICTED',
    (target: string, winner: string) => `target ${target} is also targeted by ${winner}, which is older and takes precedence; this policy is not applied to it`,
  ),

  RoutePolicyBlockNotForGrpc: entry(
    'SLUICE_ROUTE_POLICY_BLOCK_NOT_FOR_GRPC',
    (target: string, why: string) => `target ${target}: ${why}; those blocks are not applied to it (the policy's other blocks are)`,
  ),

  RoutePolicyCorsShadowed: entry(
    'SLUICE_ROUTE_POLICY_CORS_SHADOWED',
    (policies: string) => `a rule's CORS filter takes precedence over the cors of ${policies} on that rule's routes; the policy's cors is not applied there`,
  ),

  // Table and data plane.
  TableInvalid: entry('SLUICE_TABLE_INVALID', (problems: string) => `routing table rejected: ${problems}`),
  WorkerStartFailed: entry('SLUICE_WORKER_START_FAILED', (how: string) => `a data-plane worker exited while starting (${how}); its error is above`),
  ProxyProtocolRejected: entry(
    'SLUICE_PROXY_PROTOCOL_REJECTED',
    (peer: string, reason: string) => `connection from ${peer} closed: PROXY protocol: ${reason}`,
  ),
} as const;

/** An answer the data plane gives itself: a stable code, its HTTP status and a short plain-text body. */
export interface ProxyAnswer {
  readonly code: string;
  readonly status: number;
  readonly body: string;
  /** The gRPC status a gRPC client gets instead (grpc-answer.ts renders it). */
  readonly grpc: GrpcStatus;
}

/** gRPC status codes the proxy answers with (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

function answer(code: string, status: number, text: string, grpc: GrpcStatus): ProxyAnswer {
  return Object.freeze({ code, status, body: `${text}\n`, grpc });
}

/** Every answer of the proxy itself (the request never reached an endpoint, or failed there). */
export const Answers = {
  // The request cannot be read safely (the connection is closed after the answer).
  DuplicateHost: answer('SLUICE_BAD_REQUEST_DUPLICATE_HOST', 400, 'bad request: more than one Host header', GrpcStatus.INTERNAL),
  InvalidHost: answer('SLUICE_BAD_REQUEST_INVALID_HOST', 400, 'bad request: invalid Host', GrpcStatus.INTERNAL),
  InvalidTarget: answer('SLUICE_BAD_REQUEST_INVALID_TARGET', 400, 'bad request: invalid request target', GrpcStatus.INTERNAL),
  BadEscape: answer('SLUICE_BAD_REQUEST_BAD_ESCAPE', 400, 'bad request: invalid percent-encoding in path', GrpcStatus.INTERNAL),
  EscapedSlash: answer('SLUICE_BAD_REQUEST_ESCAPED_SLASH', 400, 'bad request: encoded slash or backslash in path', GrpcStatus.INTERNAL),
  AboveRoot: answer('SLUICE_BAD_REQUEST_ABOVE_ROOT', 400, 'bad request: path climbs above /', GrpcStatus.INTERNAL),
  BodyTooLarge: answer('SLUICE_BODY_TOO_LARGE', 413, 'request body too large', GrpcStatus.RESOURCE_EXHAUSTED),
  // The connection's TLS server name belongs to another listener hostname than the request's host.
  Misdirected: answer('SLUICE_MISDIRECTED_REQUEST', 421, 'misdirected request: this connection is for another host', GrpcStatus.UNAVAILABLE),
  // Routing.
  NoRoute: answer('SLUICE_NO_ROUTE', 404, 'no route', GrpcStatus.UNIMPLEMENTED),
  NoBackend: answer('SLUICE_NO_BACKEND', 500, 'no backend', GrpcStatus.UNAVAILABLE),
  NoReadyEndpoint: answer('SLUICE_NO_READY_ENDPOINT', 503, 'no ready endpoint', GrpcStatus.UNAVAILABLE),
  // Upstream failures.
  UpstreamUnavailable: answer('SLUICE_UPSTREAM_UNAVAILABLE', 502, 'upstream connect error', GrpcStatus.UNAVAILABLE),
  UpstreamTimedOut: answer('SLUICE_UPSTREAM_TIMED_OUT', 504, 'upstream timeout', GrpcStatus.DEADLINE_EXCEEDED),
  /** The cluster's TLS cannot be verified (BackendTLSPolicy without a usable CA, https port without a policy). */
  UpstreamTlsRefused: answer('SLUICE_UPSTREAM_TLS_REFUSED', 500, 'upstream TLS is not configured', GrpcStatus.UNAVAILABLE),
  // A circuit-breaker limit of the cluster (BackendTrafficPolicy circuitBreaker) was reached.
  Overflow: answer('SLUICE_CIRCUIT_BREAKER_OVERFLOW', 503, 'upstream overflow', GrpcStatus.RESOURCE_EXHAUSTED),
  // Admission (RoutePolicy): IP lists, authentication, rate limits.
  Forbidden: answer('SLUICE_FORBIDDEN', 403, 'forbidden', GrpcStatus.PERMISSION_DENIED),
  Unauthorized: answer('SLUICE_UNAUTHORIZED', 401, 'unauthorized', GrpcStatus.UNAUTHENTICATED),
  RateLimited: answer('SLUICE_RATE_LIMITED', 429, 'too many requests', GrpcStatus.RESOURCE_EXHAUSTED),
  // Basic auth: the route's bound on parallel bcrypt verifications is full (a flood of new credentials).
  AuthBusy: answer('SLUICE_AUTH_BUSY', 503, 'authentication busy, retry', GrpcStatus.UNAVAILABLE),
  AdmissionFailed: answer('SLUICE_ADMISSION_FAILED', 500, 'internal error', GrpcStatus.INTERNAL),
  // Route cache (RoutePolicy cache): Cache-Control: only-if-cached and nothing usable stored (RFC 9111 §5.2.1.7).
  NotCached: answer('SLUICE_NOT_CACHED', 504, 'not cached', GrpcStatus.UNAVAILABLE),
} as const;

export type ErrorName = keyof typeof Errors;
export type ArgsOf<N extends ErrorName> = (typeof Errors)[N] extends CatalogEntry<infer A> ? A : never;

/** An Error carrying a stable catalog code. */
export class SluiceError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** Builds the coded error for a catalog entry: `fail('ServiceNotFound', 'default/web')`. */
export function fail<N extends ErrorName>(name: N, ...args: ArgsOf<N>): SluiceError {
  const e = Errors[name] as CatalogEntry<ArgsOf<N>>;
  return new SluiceError(e.code, e.message(...args));
}

/** The code and message of a catalog entry, for diagnostics that are data, not thrown. */
export function describe<N extends ErrorName>(name: N, ...args: ArgsOf<N>): { code: string; message: string } {
  const e = Errors[name] as CatalogEntry<ArgsOf<N>>;
  return { code: e.code, message: e.message(...args) };
}
