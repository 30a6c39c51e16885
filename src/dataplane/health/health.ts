// The endpoint-health seam: what the balancers skip. State is kept per cluster and endpoint
// (two Services can share a pod and probe it differently), outside the table like the pools, so
// it outlives swaps. Passive health (health/passive.ts) is the first implementation; active
// checks feed the same interface.
import type { SkipSet } from '../balancer/balancer.js';

/** One cluster's view: balancers skip what it ejects; exchanges report how attempts went. */
export interface ClusterHealth extends SkipSet {
  /** True while the endpoint should get no new requests. */
  isEjected(key: string): boolean;
  /** Whether any endpoint is ejected now (lets the common case skip per-endpoint checks). */
  anyEjected(): boolean;
  /** The endpoint could not be reached (connect refused, unreachable, connect timeout). */
  failed(key: string): void;
  /** The endpoint answered. */
  succeeded(key: string): void;
}

/** Health of one endpoint as the admin server shows it. */
export interface EndpointHealthState {
  readonly ejected: boolean;
  /** Milliseconds until the ejection ends (0 when not ejected). */
  readonly ejectedForMs: number;
  /** Consecutive failed attempts. */
  readonly failures: number;
}

/** cluster id → endpoint key → state, for endpoints with anything to show. */
export type HealthSnapshot = Readonly<Record<string, Readonly<Record<string, EndpointHealthState>>>>;

export interface EndpointHealth {
  forCluster(clusterId: string): ClusterHealth;
  /** Forgets clusters and endpoints no longer in the table (cluster id → endpoint keys). */
  retain(live: ReadonlyMap<string, ReadonlySet<string>>): void;
  /** Read-only view for /debug/routes. */
  snapshot(): HealthSnapshot;
}
