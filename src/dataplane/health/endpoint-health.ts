// Endpoint health of one data-plane process: per cluster, passive outlier detection from the
// outcomes of this process's attempts (outlier.ts) combined with the active-check verdicts the
// controller's prober broadcasts. Without a policy it keeps the historical behaviour: only an
// unreachable endpoint is ejected (1 s, doubling to 30 s) and any answer clears it. Only
// endpoints with something to remember have state, so the common case (nothing ejected) costs
// a size check; time is read lazily, there are no timers.
import type { HealthCheckPolicy } from '../../table/types.js';
import type { UpstreamTarget } from '../balancer/balancer.js';
import type { ClusterHealth, EndpointHealth, EndpointHealthState, HealthSnapshot } from './health.js';
import { counts, DEFAULT_RULES, type EjectionReason, type Failure, type OutlierRules, OutlierState, outlierRules } from './outlier.js';

/** The state an endpoint is reported in (the `state` label of sluice_endpoint_health). */
export type EndpointHealthLabel = 'healthy' | 'ejected' | 'active_unhealthy';

export interface EndpointHealthOptions {
  /** Milliseconds, monotonic. */
  readonly now?: () => number;
  /** Called on every passive ejection (for sluice_outlier_ejections_total). */
  readonly onEjection?: (clusterId: string, reason: EjectionReason) => void;
}

const NO_KEYS: ReadonlySet<string> = new Set();

export class ClusterEndpointHealth implements ClusterHealth {
  readonly id: string;
  /** Endpoints with something to remember. */
  readonly states = new Map<string, OutlierState>();
  /** The cluster's endpoint keys from the latest table (for max ejection percent and states()). */
  live: ReadonlySet<string> = NO_KEYS;
  private rules: OutlierRules = DEFAULT_RULES;
  /** 0: panic mode off (no policy). */
  private panicThreshold = 0;
  private activeChecks = false;
  private readonly now: () => number;
  private readonly onEjection: ((clusterId: string, reason: EjectionReason) => void) | undefined;
  // Counts of excluded endpoints, valid until `recountAt` (the earliest ejection end) or until
  // a state changes (`dirty`); recountAt 0: no ejection is running, nothing expires by itself.
  private excludedCount = 0;
  private ejectedCount = 0;
  private recountAt = 0;
  private dirty = false;

  constructor(id: string, now: () => number, onEjection: ((clusterId: string, reason: EjectionReason) => void) | undefined) {
    this.id = id;
    this.now = now;
    this.onEjection = onEjection;
  }

  configure(policy: HealthCheckPolicy | undefined): void {
    this.rules = outlierRules(policy?.passive);
    this.panicThreshold = policy ? policy.panicThreshold : 0;
    const active = policy?.active !== undefined;
    if (this.activeChecks && !active) this.clearActive();
    this.activeChecks = active;
  }

  isEjected(key: string): boolean {
    if (this.states.size === 0) return false;
    const state = this.states.get(key);
    return state !== undefined && state.excluded(this.now());
  }

  skips(target: UpstreamTarget): boolean {
    return this.isEjected(target.key);
  }

  anyEjected(): boolean {
    this.refresh();
    return this.excludedCount > 0;
  }

  panicking(total: number): boolean {
    if (this.panicThreshold <= 0 || total <= 0) return false;
    this.refresh();
    if (this.excludedCount === 0) return false;
    // States of endpoints outside `total` (no longer eligible) may be counted: err towards panic.
    const healthy = Math.max(0, total - this.excludedCount);
    return healthy * 100 < this.panicThreshold * total;
  }

  unreachable(key: string): void {
    this.failed(key, 'unreachable');
  }

  broke(key: string): void {
    if (counts('broke', this.rules)) this.failed(key, 'broke');
  }

  responded(key: string, status: number): void {
    if (status >= 500 && status <= 599) {
      const failure: Failure = status >= 502 && status <= 504 ? 'gateway' : '5xx';
      if (counts(failure, this.rules)) return this.failed(key, failure);
    }
    if (this.states.size === 0) return;
    const state = this.states.get(key);
    if (!state) return;
    if (this.rules.answerForgives) {
      // Back at once, history cleared; only an active verdict is left to keep.
      if (state.active === undefined) return this.forget(key);
      state.forgive();
      this.dirty = true;
      return;
    }
    const now = this.now();
    state.succeed(now);
    if (state.idle(now, this.rules)) this.forget(key);
  }

  /** An active-check verdict; a healthy one for an endpoint without state changes nothing (healthy is the default). */
  setActive(key: string, healthy: boolean): void {
    let state = this.states.get(key);
    if (!state) {
      if (healthy) return;
      this.states.set(key, (state = new OutlierState()));
    }
    if (state.active === healthy) return;
    state.active = healthy;
    this.dirty = true;
  }

  /** Drops state of endpoints no longer in the cluster. */
  retain(keys: ReadonlySet<string>): void {
    this.live = keys;
    for (const key of this.states.keys()) if (!keys.has(key)) this.forget(key);
  }

  state(key: string): EndpointHealthLabel {
    const state = this.states.get(key);
    if (!state) return 'healthy';
    if (state.active === false) return 'active_unhealthy';
    return state.ejected(this.now()) ? 'ejected' : 'healthy';
  }

  snapshot(): Record<string, EndpointHealthState> | undefined {
    let out: Record<string, EndpointHealthState> | undefined;
    const now = this.now();
    for (const [key, s] of this.states) {
      const left = Math.max(0, s.until - now);
      if (left === 0 && s.failures === 0 && s.ejections === 0 && s.active === undefined) continue;
      (out ??= {})[key] = {
        ejected: left > 0,
        ejectedForMs: left,
        failures: s.failures,
        ejections: s.ejections,
        ...(s.active !== undefined ? { active: s.active ? 'healthy' : 'unhealthy' } : {}),
      };
    }
    return out;
  }

  private failed(key: string, failure: Failure): void {
    let state = this.states.get(key);
    if (!state) this.states.set(key, (state = new OutlierState()));
    const now = this.now();
    const reason = state.fail(failure, now, this.rules);
    if (reason === undefined || !this.mayEject(now)) return;
    state.eject(now, this.rules);
    this.dirty = true;
    this.onEjection?.(this.id, reason);
  }

  /** Max ejection percent: one more ejection must stay within it, but one is always allowed. */
  private mayEject(now: number): boolean {
    if (this.rules.maxEjectionPercent >= 100) return true;
    this.refreshAt(now);
    if (this.ejectedCount === 0) return true;
    return (this.ejectedCount + 1) * 100 <= this.rules.maxEjectionPercent * this.live.size;
  }

  private forget(key: string): void {
    if (this.states.delete(key)) this.dirty = true;
  }

  private clearActive(): void {
    for (const [key, state] of this.states) {
      if (state.active === undefined) continue;
      state.active = undefined;
      this.dirty = true;
      if (state.idle(this.now(), this.rules)) this.states.delete(key);
    }
  }

  private refresh(): void {
    if (this.dirty) this.recount(this.now());
    else if (this.recountAt !== 0) {
      const now = this.now();
      if (now >= this.recountAt) this.recount(now);
    }
  }

  private refreshAt(now: number): void {
    if (this.dirty || (this.recountAt !== 0 && now >= this.recountAt)) this.recount(now);
  }

  private recount(now: number): void {
    let excluded = 0;
    let ejected = 0;
    let next = Infinity;
    for (const s of this.states.values()) {
      const out = s.ejected(now);
      if (out) {
        ejected++;
        if (s.until < next) next = s.until;
      }
      if (out || s.active === false) excluded++;
    }
    this.excludedCount = excluded;
    this.ejectedCount = ejected;
    this.recountAt = next === Infinity ? 0 : next;
    this.dirty = false;
  }
}

export class OutlierEndpointHealth implements EndpointHealth {
  private readonly clusters = new Map<string, ClusterEndpointHealth>();
  private readonly now: () => number;
  private readonly onEjection: ((clusterId: string, reason: EjectionReason) => void) | undefined;

  constructor(options: EndpointHealthOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.onEjection = options.onEjection;
  }

  forCluster(clusterId: string): ClusterEndpointHealth {
    let health = this.clusters.get(clusterId);
    if (!health) this.clusters.set(clusterId, (health = new ClusterEndpointHealth(clusterId, this.now, this.onEjection)));
    return health;
  }

  setActive(clusterId: string, key: string, healthy: boolean): void {
    const health = this.clusters.get(clusterId);
    if (health) health.setActive(key, healthy);
    else if (!healthy) this.forCluster(clusterId).setActive(key, healthy);
  }

  retain(live: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [id, health] of this.clusters) {
      const keys = live.get(id);
      if (keys) health.retain(keys);
      else this.clusters.delete(id);
    }
  }

  snapshot(): HealthSnapshot {
    const out: Record<string, Record<string, EndpointHealthState>> = {};
    for (const [id, health] of this.clusters) {
      const endpoints = health.snapshot();
      if (endpoints) out[id] = endpoints;
    }
    return out;
  }

  /** Every endpoint of every cluster (as of the latest retain) with its state, for sluice_endpoint_health. */
  *states(): IterableIterator<{ readonly clusterId: string; readonly key: string; readonly state: EndpointHealthLabel }> {
    for (const [clusterId, health] of this.clusters) {
      for (const key of health.live) yield { clusterId, key, state: health.state(key) };
    }
  }
}
