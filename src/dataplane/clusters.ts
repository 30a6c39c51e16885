// Per-cluster runtime state (eligible endpoints, their balancer and health), kept outside the
// table and carried across swaps while a cluster's endpoints stay the same, so a route edit does
// not reset balancer positions or in-flight counts.
import type { Cluster, EndpointAddress } from '../table/types.js';
import { type Balancer, createBalancer, type PickContext, type SkipSet, type UpstreamTarget } from './balancer/balancer.js';
import type { ClusterHealth, EndpointHealth } from './health/health.js';
import { endpointKey } from './upstream/pools.js';

/**
 * Endpoints that may get new requests: the ready ones; when there are none, those still serving
 * while terminating (as kube-proxy does), so a backend that is shutting down as a whole keeps
 * answering until it stops serving.
 */
export function eligibleEndpoints(endpoints: readonly EndpointAddress[]): EndpointAddress[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

/** Skips endpoints a request already tried; optionally also those health ejected. Reused per pick (picks are synchronous). */
class TriedSkip implements SkipSet {
  tried: ReadonlySet<string> = new Set();
  private readonly health: ClusterHealth | undefined;
  constructor(health: ClusterHealth | undefined) {
    this.health = health;
  }
  skips(target: UpstreamTarget): boolean {
    return this.tried.has(target.key) || (this.health !== undefined && this.health.isEjected(target.key));
  }
}

export class ClusterRuntime {
  readonly cluster: Cluster;
  readonly targets: readonly UpstreamTarget[];
  readonly health: ClusterHealth;
  /** Identity of the eligible endpoint set; equal signatures share balancer state. */
  readonly signature: string;
  private readonly balancer: Balancer;
  private readonly skipTriedOrEjected: TriedSkip;
  private readonly skipTried = new TriedSkip(undefined);

  constructor(cluster: Cluster, health: ClusterHealth) {
    this.cluster = cluster;
    this.health = health;
    this.targets = eligibleEndpoints(cluster.endpoints).map((endpoint) => ({ key: endpointKey(endpoint), endpoint, inflight: 0, addedAt: 0 }));
    this.signature = `${JSON.stringify(cluster.loadBalancer)}|${this.targets.map((t) => t.key).join(',')}`;
    this.balancer = createBalancer(cluster.loadBalancer, this.targets);
    this.skipTriedOrEjected = new TriedSkip(health);
  }

  /**
   * The endpoint for an attempt: the balancer's choice among endpoints not yet `tried` by this
   * request and not ejected by health; when every untried one is ejected, one of those anyway
   * (rather than fail without trying).
   */
  pick(context: PickContext, tried?: ReadonlySet<string>): UpstreamTarget | undefined {
    if (!tried) {
      if (!this.health.anyEjected()) return this.balancer.pick(context, undefined);
      return this.balancer.pick(context, this.health) ?? this.balancer.pick(context, undefined);
    }
    this.skipTriedOrEjected.tried = tried;
    const healthy = this.balancer.pick(context, this.skipTriedOrEjected);
    if (healthy) return healthy;
    this.skipTried.tried = tried;
    return this.balancer.pick(context, this.skipTried);
  }
}

/** Reconciles runtimes with a new table's clusters, reusing those whose endpoints are unchanged. */
export function reconcileClusters(previous: ReadonlyMap<string, ClusterRuntime>, clusters: readonly Cluster[], health: EndpointHealth): Map<string, ClusterRuntime> {
  const next = new Map<string, ClusterRuntime>();
  for (const c of clusters) {
    const fresh = new ClusterRuntime(c, health.forCluster(c.id));
    const old = previous.get(c.id);
    next.set(c.id, old && old.signature === fresh.signature && old.cluster.unresolved === c.unresolved ? old : fresh);
  }
  return next;
}
