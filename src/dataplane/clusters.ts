// Per-cluster runtime state (eligible endpoints, their balancer, health and load), kept outside
// the table. A swap that leaves a cluster's endpoints and balancing unchanged keeps its runtime
// (balancer positions); one that changes them builds a new runtime that still carries each
// remaining endpoint's in-flight count and first-seen time, and the cluster's load, so
// least-request, slow start and the circuit breaker see through EndpointSlice churn.
import type { Cluster, EndpointAddress, TlsCertificate } from '../table/types.js';
import { type Balancer, type BalancerClock, createBalancer, type PickContext, type SkipSet, SYSTEM_CLOCK, type UpstreamTarget } from './balancer/balancer.js';
import type { ClusterHealth, EndpointHealth } from './health/health.js';
import { ClusterLoad } from './policy/circuit-breaker.js';
import { DEFAULT_RETRY } from './policy/defaults.js';
import { RetryRules } from './policy/retry.js';
import { StickySessions, tokensOf } from './policy/session.js';
import type { Dispatcher } from 'undici';
import type { UpstreamPool as Pool } from './upstream/http1/pool.js';
import { endpointKey, type UpstreamPools } from './upstream/pools.js';
import type { TlsProfile, UpstreamTlsProfiles } from './upstream/tls.js';

/**
 * Endpoints that may get new requests: the ready ones; when there are none, those still serving
 * while terminating (as kube-proxy does), so a backend that is shutting down as a whole keeps
 * answering until it stops serving.
 */
export function eligibleEndpoints(endpoints: readonly EndpointAddress[]): EndpointAddress[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

const DEFAULT_RETRY_RULES = new RetryRules(DEFAULT_RETRY);

/** Skips endpoints a request already tried; optionally also those health excludes. Reused per pick (picks are synchronous). */
class TriedSkip implements SkipSet {
  tried: ReadonlySet<string> | undefined;
  private readonly health: ClusterHealth | undefined;
  constructor(health: ClusterHealth | undefined) {
    this.health = health;
  }
  skips(target: UpstreamTarget): boolean {
    return (this.tried !== undefined && this.tried.has(target.key)) || (this.health !== undefined && this.health.isEjected(target.key));
  }
}

export class ClusterRuntime {
  readonly cluster: Cluster;
  readonly targets: readonly UpstreamTarget[];
  readonly health: ClusterHealth;
  readonly load: ClusterLoad;
  /** Identity of the eligible endpoint set and balancing; equal signatures share balancer state. */
  readonly signature: string;
  /** The cluster policy's retry rules (defaults without one); a route's own win. */
  readonly retry: RetryRules;
  /** The cluster policy's session persistence; a route's own wins. */
  readonly sticky: StickySessions | undefined;
  private readonly balancer: Balancer;
  private readonly skipTriedOrEjected: TriedSkip;
  private readonly skipTried = new TriedSkip(undefined);
  /** TLS to the endpoints: the profile per backend client certificate (certPem, '' for none). */
  private readonly tlsProfiles = new Map<string, TlsProfile>();
  private tokens: ReadonlyMap<string, UpstreamTarget> | undefined;
  private tokenByKey: Map<string, string> | undefined;

  /** `previous`: the cluster's runtime in the table before, whose endpoints' state carries over. */
  constructor(cluster: Cluster, health: ClusterHealth, previous?: ClusterRuntime, clock: BalancerClock = SYSTEM_CLOCK) {
    this.cluster = cluster;
    this.health = health;
    this.load = previous?.load ?? new ClusterLoad();
    const before = new Map(previous?.targets.map((t) => [t.key, t] as const));
    // Endpoints present when the cluster first appears are not slow-started; later ones are.
    const addedAt = previous ? clock.now() : -Infinity;
    this.targets = eligibleEndpoints(cluster.endpoints).map((endpoint) => {
      const key = endpointKey(endpoint);
      // The same object, not a copy: exchanges in flight decrement the count they incremented.
      return before.get(key) ?? { key, endpoint, inflight: 0, addedAt };
    });
    this.signature = `${JSON.stringify(cluster.loadBalancer)}|${JSON.stringify(cluster.policy ?? null)}|${JSON.stringify(cluster.upstreamTls ?? null)}|${this.targets.map((t) => t.key).join(',')}`;
    this.balancer = createBalancer(cluster.loadBalancer, this.targets, clock);
    this.skipTriedOrEjected = new TriedSkip(health);
    const policy = cluster.policy;
    this.retry = policy?.retry ? new RetryRules(policy.retry) : DEFAULT_RETRY_RULES;
    this.sticky = policy?.sessionPersistence ? new StickySessions(policy.sessionPersistence) : undefined;
  }

  /**
   * The endpoint for an attempt: the balancer's choice among endpoints not yet `tried` by this
   * request and not excluded by health; when every untried one is excluded, or too few are
   * healthy (panic threshold), one of those anyway rather than fail without trying.
   */
  pick(context: PickContext, tried?: ReadonlySet<string>): UpstreamTarget | undefined {
    const health = this.health;
    if (!tried) {
      if (!health.anyEjected() || health.panicking(this.targets.length)) return this.balancer.pick(context, undefined);
      return this.balancer.pick(context, health) ?? this.balancer.pick(context, undefined);
    }
    if (!health.panicking(this.targets.length)) {
      this.skipTriedOrEjected.tried = tried;
      const healthy = this.balancer.pick(context, this.skipTriedOrEjected);
      if (healthy) return healthy;
    }
    this.skipTried.tried = tried;
    return this.balancer.pick(context, this.skipTried);
  }

  /**
   * The TLS profile of an attempt (undefined: clear text), made once per client certificate the
   * listeners present (the certPem string is the table's own, so its hash is computed once).
   */
  tlsProfile(profiles: UpstreamTlsProfiles, client: TlsCertificate | undefined): TlsProfile | undefined {
    const tls = this.cluster.upstreamTls;
    if (tls?.type !== 'verify') return undefined;
    const key = client?.certPem ?? '';
    let p = this.tlsProfiles.get(key);
    if (!p) this.tlsProfiles.set(key, (p = profiles.get(tls, client)));
    return p;
  }

  /**
   * The pool for a request to one of this cluster's endpoints: its connect timeout, and TLS when
   * the cluster has it. Undefined when the cluster refuses (TLS it cannot verify).
   */
  pool(pools: UpstreamPools, profiles: UpstreamTlsProfiles, key: string, client: TlsCertificate | undefined): Pool | undefined {
    if (this.cluster.upstreamTls?.type === 'refuse') return undefined;
    return pools.get(key, this.cluster.policy?.timeouts?.connectMs, this.cluster.protocol === 'h2c' ? 'h2' : 'http1', this.tlsProfile(profiles, client));
  }

  /**
   * The SNI of requests to this cluster (the policy's hostname), undefined in clear text. Passed
   * with every dispatch: undici would otherwise derive it from each request's Host header and
   * reconnect whenever that changes.
   */
  get serverName(): string | undefined {
    const tls = this.cluster.upstreamTls;
    return tls?.type === 'verify' ? tls.serverName : undefined;
  }

  /** Dispatch options with the cluster's SNI set (as is in clear text). */
  withServerName<T extends Dispatcher.DispatchOptions>(options: T): T {
    const servername = this.serverName;
    if (servername !== undefined) (options as T & { servername?: string }).servername = servername;
    return options;
  }

  /** The ids of the TLS profiles this cluster's requests used. */
  tlsProfileIds(): Iterable<string> {
    return [...this.tlsProfiles.values()].map((p) => p.id);
  }

  /** Whether a pinned endpoint (session persistence) may take a request now. */
  usable(target: UpstreamTarget): boolean {
    return !this.health.isEjected(target.key) || this.health.panicking(this.targets.length);
  }

  /** The endpoint a session token names, if it is still eligible. */
  byToken(token: string): UpstreamTarget | undefined {
    return this.sessionTokens().get(token);
  }

  /** The session token naming an endpoint of this cluster. */
  tokenOf(target: UpstreamTarget): string {
    this.sessionTokens();
    return this.tokenByKey!.get(target.key)!;
  }

  private sessionTokens(): ReadonlyMap<string, UpstreamTarget> {
    if (!this.tokens) {
      this.tokens = tokensOf(this.targets);
      this.tokenByKey = new Map([...this.tokens].map(([token, t]) => [t.key, token] as const));
    }
    return this.tokens;
  }
}

/** Reconciles runtimes with a new table's clusters, reusing those whose endpoints and balancing are unchanged. */
export function reconcileClusters(previous: ReadonlyMap<string, ClusterRuntime>, clusters: readonly Cluster[], health: EndpointHealth): Map<string, ClusterRuntime> {
  const next = new Map<string, ClusterRuntime>();
  for (const c of clusters) {
    const old = previous.get(c.id);
    const clusterHealth = health.forCluster(c.id);
    clusterHealth.configure(c.policy?.healthCheck);
    const fresh = new ClusterRuntime(c, clusterHealth, old);
    const runtime = old && old.signature === fresh.signature && old.cluster.unresolved === c.unresolved ? old : fresh;
    runtime.load.configure(c.policy?.circuitBreaker);
    next.set(c.id, runtime);
  }
  return next;
}
