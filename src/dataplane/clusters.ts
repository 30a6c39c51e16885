// Per-cluster runtime state (eligible endpoints and the balancer), kept outside the table and
// carried across swaps while a cluster's endpoints stay the same, so a route edit does not reset
// round-robin positions.
import type { Cluster, EndpointAddress } from '../table/types.js';
import { SmoothWeightedRoundRobin } from './balancer/round-robin.js';
import { endpointKey } from './upstream/pools.js';
import type { PassiveHealth } from './health/passive.js';

export interface UpstreamTarget {
  readonly key: string;
  readonly endpoint: EndpointAddress;
}

/**
 * Endpoints that may get new requests: the ready ones; when there are none, those still serving
 * while terminating (as kube-proxy does), so a backend that is shutting down as a whole keeps
 * answering until it stops serving.
 */
export function eligibleEndpoints(endpoints: readonly EndpointAddress[]): EndpointAddress[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

export class ClusterRuntime {
  readonly cluster: Cluster;
  readonly targets: readonly UpstreamTarget[];
  /** Identity of the eligible endpoint set; equal signatures share balancer state. */
  readonly signature: string;
  private readonly balancer: SmoothWeightedRoundRobin<UpstreamTarget>;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    this.targets = eligibleEndpoints(cluster.endpoints).map((endpoint) => ({ key: endpointKey(endpoint), endpoint }));
    this.signature = `${cluster.loadBalancer.algorithm}|${this.targets.map((t) => t.key).join(',')}`;
    this.balancer = new SmoothWeightedRoundRobin(this.targets);
  }

  /**
   * Next endpoint by the balancer, skipping those already tried for this request and, while
   * there is another choice, those passive health has ejected.
   */
  pick(health?: PassiveHealth, tried?: ReadonlySet<string>): UpstreamTarget | undefined {
    const first = this.balancer.pick();
    if (!first || ((!health || health.size === 0) && !tried)) return first;
    let fallback: UpstreamTarget | undefined;
    for (let i = 0, candidate: UpstreamTarget | undefined = first; i < this.targets.length && candidate; i++, candidate = this.balancer.pick()) {
      if (tried?.has(candidate.key)) continue;
      if (!health?.isEjected(candidate.key)) return candidate;
      fallback ??= candidate;
    }
    // Every untried endpoint is ejected: try one anyway rather than fail without trying.
    return fallback;
  }
}

/** Reconciles runtimes with a new table's clusters, reusing those whose endpoints are unchanged. */
export function reconcileClusters(
  previous: ReadonlyMap<string, ClusterRuntime>,
  clusters: readonly Cluster[],
): Map<string, ClusterRuntime> {
  const next = new Map<string, ClusterRuntime>();
  for (const c of clusters) {
    const fresh = new ClusterRuntime(c);
    const old = previous.get(c.id);
    next.set(c.id, old && old.signature === fresh.signature && old.cluster.unresolved === c.unresolved ? old : fresh);
  }
  return next;
}
