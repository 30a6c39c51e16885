// Our readonly view of Sluice's own CRDs, BackendTrafficPolicy and RoutePolicy (sluice.dev/v1alpha1,
// shipped in crds/sluice/). Like src/api/gateway.ts: objects arrive as plain JSON — from the apiserver,
// where the CRD schema and CEL rules have checked them, or from a manifest file, where nothing
// has — so every field is optional and the translators (src/translate/policy/,
// src/translate/route-policy/) check each value
// itself rather than trusting the schema's defaults or types.
import type { KubeObject } from './core.js';
import type { Condition, ParentReference, SessionPersistence } from './gateway.js';

export const SLUICE_GROUP = 'sluice.dev';

/** Gateway API LocalPolicyTargetReferenceWithSectionName: a Service (or one port of it, by name) in the policy's namespace. */
export interface PolicyTargetReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly sectionName?: string;
}

export interface ConsistentHashSpec {
  readonly type?: 'SourceIP' | 'Header' | 'Cookie' | 'QueryParam' | string;
  readonly header?: { readonly name?: string };
  readonly cookie?: { readonly name?: string; readonly ttl?: string; readonly path?: string };
  readonly queryParam?: { readonly name?: string };
  readonly tableSize?: number;
}

export interface LoadBalancerSpec {
  readonly type?: 'RoundRobin' | 'LeastRequest' | 'Random' | 'ConsistentHash' | string;
  readonly leastRequest?: { readonly choiceCount?: number };
  readonly consistentHash?: ConsistentHashSpec;
  readonly slowStart?: { readonly window?: string };
}

export interface StatusRangeSpec {
  readonly start?: number;
  readonly end?: number;
}

export interface ActiveHealthCheckSpec {
  readonly type?: 'HTTP' | 'TCP' | string;
  readonly http?: {
    readonly path?: string;
    readonly method?: string;
    readonly hostname?: string;
    readonly expectedStatuses?: readonly StatusRangeSpec[];
  };
  readonly interval?: string;
  readonly timeout?: string;
  readonly healthyThreshold?: number;
  readonly unhealthyThreshold?: number;
  readonly initialJitter?: string;
}

export interface PassiveHealthCheckSpec {
  readonly consecutive5xx?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionTime?: string;
  readonly maxEjectionPercent?: number;
}

export interface HealthCheckSpec {
  readonly active?: ActiveHealthCheckSpec;
  readonly passive?: PassiveHealthCheckSpec;
  readonly panicThreshold?: number;
}

export interface CircuitBreakerSpec {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxParallelRequests?: number;
  readonly maxParallelRetries?: number;
}

export interface RetrySpec {
  readonly numRetries?: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: readonly string[];
  readonly retriableStatusCodes?: readonly number[];
  readonly backoff?: { readonly baseInterval?: string; readonly maxInterval?: string };
  readonly budget?: { readonly percent?: number; readonly minRetryConcurrency?: number };
}

export interface TimeoutsSpec {
  readonly connect?: string;
  readonly request?: string;
  readonly idle?: string;
}

export interface BackendTrafficPolicySpec {
  readonly targetRefs?: readonly PolicyTargetReference[];
  readonly loadBalancer?: LoadBalancerSpec;
  readonly sessionPersistence?: SessionPersistence;
  readonly healthCheck?: HealthCheckSpec;
  readonly circuitBreaker?: CircuitBreakerSpec;
  readonly retry?: RetrySpec;
  readonly timeouts?: TimeoutsSpec;
  readonly proxyProtocol?: ProxyProtocolSpec;
}

/** A PROXY protocol header in front of each L4 connection to the Service's endpoints. */
export interface ProxyProtocolSpec {
  /** V1 (text) or V2 (binary). */
  readonly version?: string;
}

export interface BackendTrafficPolicy extends KubeObject {
  readonly kind: 'BackendTrafficPolicy';
  readonly spec?: BackendTrafficPolicySpec;
  readonly status?: unknown;
}

// ---- RoutePolicy: what a route does at the edge (src/translate/route-policy/) ----

/** LocalPolicyTargetReferenceWithSectionName: an HTTPRoute (sectionName = a rule name), an Ingress or a Gateway, in the policy's namespace. */
export interface RoutePolicyTargetReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly sectionName?: string;
}

export interface RateLimitHeaderSpec {
  readonly name?: string;
  readonly type?: 'Exact' | 'Distinct' | string;
  readonly value?: string;
}

export interface RateLimitRuleSpec {
  readonly clientSelectors?: readonly { readonly sourceCIDR?: string; readonly headers?: readonly RateLimitHeaderSpec[] }[];
  readonly limit?: { readonly requests?: number; readonly unit?: 'Second' | 'Minute' | 'Hour' | string };
  readonly burst?: number;
}

export interface RateLimitSpec {
  readonly type?: 'Local' | 'Global' | string;
  readonly rules?: readonly RateLimitRuleSpec[];
}

export interface CompressionSpec {
  readonly types?: readonly string[];
  readonly minLength?: number;
  readonly contentTypes?: readonly string[];
}

export interface CorsSpec {
  readonly allowOrigins?: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
}

export interface IpAccessSpec {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

export interface BasicAuthSpec {
  /** A Secret of type sluice.dev/htpasswd in the policy's namespace, key ".htpasswd". */
  readonly secretRef?: { readonly name?: string };
  readonly realm?: string;
}

export interface ForwardAuthSpec {
  /** A Service port in the policy's namespace. */
  readonly backendRef?: { readonly group?: string; readonly kind?: string; readonly name?: string; readonly port?: number };
  readonly path?: string;
  readonly headersToBackend?: readonly string[];
  readonly headersToUpstream?: readonly string[];
  readonly timeout?: string;
  readonly failOpen?: boolean;
}

export interface CoalescingSpec {
  readonly enabled?: boolean;
  readonly maxWaiters?: number;
  readonly timeout?: string;
}

export interface CacheSpec {
  readonly enabled?: boolean;
  /** Kubernetes quantities ("64Mi") or byte counts. */
  readonly maxSize?: string | number;
  readonly maxObjectSize?: string | number;
  readonly defaultTTL?: string;
}

export interface RoutePolicySpec {
  readonly targetRefs?: readonly RoutePolicyTargetReference[];
  readonly rateLimit?: RateLimitSpec;
  readonly compression?: CompressionSpec;
  readonly cors?: CorsSpec;
  readonly ipAccess?: IpAccessSpec;
  readonly basicAuth?: BasicAuthSpec;
  readonly forwardAuth?: ForwardAuthSpec;
  readonly coalescing?: CoalescingSpec;
  readonly cache?: CacheSpec;
}

export interface RoutePolicy extends KubeObject {
  readonly kind: 'RoutePolicy';
  readonly spec?: RoutePolicySpec;
  readonly status?: unknown;
}

// ---- Status shapes (Gateway API PolicyStatus, what the status writer puts on the policy) ----

/** One ancestor (a Gateway, or the targeted Service itself) and Sluice's conditions for it. */
export interface PolicyAncestorStatus {
  readonly ancestorRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}
