// Our readonly view of Sluice's own CRD, BackendTrafficPolicy (sluice.dev/v1alpha1, shipped in
// crds/sluice/). Like src/api/gateway.ts: objects arrive as plain JSON — from the apiserver,
// where the CRD schema and CEL rules have checked them, or from a manifest file, where nothing
// has — so every field is optional and the translator (src/translate/policy/) checks each value
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
}

export interface BackendTrafficPolicy extends KubeObject {
  readonly kind: 'BackendTrafficPolicy';
  readonly spec?: BackendTrafficPolicySpec;
  readonly status?: unknown;
}

// ---- Status shapes (Gateway API PolicyStatus, what the status writer puts on the policy) ----

/** One ancestor (a Gateway, or the targeted Service itself) and Sluice's conditions for it. */
export interface PolicyAncestorStatus {
  readonly ancestorRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}
