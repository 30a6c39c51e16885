// The endpoint-health seam: what the balancers skip. State is kept per cluster and endpoint
// (two Services can share a pod and probe it differently), outside the table like the pools, so
// it outlives swaps and EndpointSlice updates. Two sources feed it: passive outlier detection
// from the outcomes of real requests (this worker's), and active probes run once per Sluice
// process by the controller (src/healthcheck/) whose verdicts are broadcast to every worker.
import type { HealthCheckPolicy } from '../../table/types.js';
import type { SkipSet } from '../balancer/balancer.js';

/** One cluster's view: balancers skip what it excludes; exchanges report how attempts went. */
export interface ClusterHealth extends SkipSet {
  /** The cluster's policy from the latest table (undefined: defaults); called on every install. */
  configure(policy: HealthCheckPolicy | undefined): void;
  /** True while the endpoint should get no new requests (ejected, or failing active checks). */
  isEjected(key: string): boolean;
  /** Whether any endpoint is excluded now (lets the common case skip per-endpoint checks). */
  anyEjected(): boolean;
  /**
   * Whether health must be ignored for this pick: fewer than panicThreshold % of the cluster's
   * `total` eligible endpoints are healthy, so every endpoint shares the traffic.
   */
  panicking(total: number): boolean;
  /** The endpoint could not be reached (connect refused, unreachable, connect timeout). */
  unreachable(key: string): void;
  /** The connection to the endpoint broke or timed out after it was reached, before an answer. */
  broke(key: string): void;
  /** The endpoint answered with this status. */
  responded(key: string, status: number): void;
}

/** Health of one endpoint as the admin server shows it. */
export interface EndpointHealthState {
  readonly ejected: boolean;
  /** Milliseconds until the ejection ends (0 when not ejected). */
  readonly ejectedForMs: number;
  /** Consecutive failed attempts (passive). */
  readonly failures: number;
  /** Times passive health ejected it. */
  readonly ejections: number;
  /** The latest active-check verdict, when the cluster has active checks. */
  readonly active?: 'healthy' | 'unhealthy';
  /** Requests in flight to it from this worker (set by the data plane, not by health). */
  readonly activeRequests?: number;
}

/** cluster id → endpoint key → state, for endpoints with anything to show. */
export type HealthSnapshot = Readonly<Record<string, Readonly<Record<string, EndpointHealthState>>>>;

export interface EndpointHealth {
  forCluster(clusterId: string): ClusterHealth;
  /** An active-check verdict from the controller's prober. */
  setActive(clusterId: string, key: string, healthy: boolean): void;
  /** Forgets clusters and endpoints no longer in the table (cluster id → endpoint keys). */
  retain(live: ReadonlyMap<string, ReadonlySet<string>>): void;
  /** Read-only view for /debug/routes. */
  snapshot(): HealthSnapshot;
}
