// Passive health: an endpoint that refused a connection (or timed out connecting) is skipped by
// its cluster's balancer for a short while, doubling on repeated failures, and cleared by its
// next success. During a rolling update this keeps requests off pods that stopped listening
// before their EndpointSlice said so.
import type { UpstreamTarget } from '../balancer/balancer.js';
import type { HealthCheckPolicy } from '../../table/types.js';
import type { ClusterHealth, EndpointHealth, EndpointHealthState, HealthSnapshot } from './health.js';

const FIRST_EJECTION_MS = 1000;
const MAX_EJECTION_MS = 30_000;

interface Ejection {
  until: number;
  lengthMs: number;
  failures: number;
}

class PassiveClusterHealth implements ClusterHealth {
  readonly ejections = new Map<string, Ejection>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  configure(_policy: HealthCheckPolicy | undefined): void {}

  panicking(_total: number): boolean {
    return false;
  }

  isEjected(key: string): boolean {
    if (this.ejections.size === 0) return false;
    const e = this.ejections.get(key);
    return e !== undefined && this.now() < e.until;
  }

  skips(target: UpstreamTarget): boolean {
    return this.isEjected(target.key);
  }

  anyEjected(): boolean {
    return this.ejections.size > 0;
  }

  /** Eject for 1 s, then 2 s, 4 s … up to 30 s while it keeps failing. */
  unreachable(key: string): void {
    const prev = this.ejections.get(key);
    const lengthMs = prev ? Math.min(prev.lengthMs * 2, MAX_EJECTION_MS) : FIRST_EJECTION_MS;
    this.ejections.set(key, { until: this.now() + lengthMs, lengthMs, failures: (prev?.failures ?? 0) + 1 });
  }

  broke(_key: string): void {}

  responded(key: string, _status: number): void {
    if (this.ejections.size !== 0) this.ejections.delete(key);
  }

  state(e: Ejection): EndpointHealthState {
    const left = Math.max(0, e.until - this.now());
    return { ejected: left > 0, ejectedForMs: left, failures: e.failures, ejections: e.failures };
  }
}

export class PassiveHealth implements EndpointHealth {
  private readonly clusters = new Map<string, PassiveClusterHealth>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  forCluster(clusterId: string): ClusterHealth {
    let health = this.clusters.get(clusterId);
    if (!health) this.clusters.set(clusterId, (health = new PassiveClusterHealth(this.now)));
    return health;
  }

  setActive(_clusterId: string, _key: string, _healthy: boolean): void {}

  retain(live: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [id, health] of this.clusters) {
      const keys = live.get(id);
      if (!keys) {
        this.clusters.delete(id);
        continue;
      }
      for (const key of health.ejections.keys()) if (!keys.has(key)) health.ejections.delete(key);
    }
  }

  snapshot(): HealthSnapshot {
    const out: Record<string, Record<string, EndpointHealthState>> = {};
    for (const [id, health] of this.clusters) {
      if (health.ejections.size === 0) continue;
      const endpoints: Record<string, EndpointHealthState> = {};
      for (const [key, e] of health.ejections) endpoints[key] = health.state(e);
      out[id] = endpoints;
    }
    return out;
  }
}
