// What the live stats page shows of this worker's traffic: a rolling minute per route and per
// backend cluster, and the last error each endpoint gave. Fed once per finished request (next to
// the Prometheus counters), read by the controller over IPC (sluice:stats) and merged there.
import { RollingWindow, type WindowSlot } from './rolling.js';

export interface EndpointError {
  /** Wall-clock ms. */
  readonly at: number;
  readonly error: string;
}

/** One worker's view, as it crosses IPC. */
export interface TrafficSnapshot {
  readonly routes: Readonly<Record<string, readonly WindowSlot[]>>;
  readonly clusters: Readonly<Record<string, readonly WindowSlot[]>>;
  /** cluster id → endpoint key → its last error. */
  readonly lastErrors: Readonly<Record<string, Readonly<Record<string, EndpointError>>>>;
}

/** Label of "no route" / "no cluster" (plan.ts NO_ROUTE). */
const NONE = '-';

export class TrafficStats {
  private readonly routes = new Map<string, RollingWindow>();
  private readonly clusters = new Map<string, RollingWindow>();
  private readonly lastErrors = new Map<string, Map<string, EndpointError>>();

  /**
   * One finished request: `now` is performance.now() at its end. A caller that keeps the route's
   * window (routeWindow, per route runtime) passes it, sparing a lookup among all routes.
   */
  record(route: string, cluster: string, status: number, ms: number, now: number, window?: RollingWindow): void {
    const wall = performance.timeOrigin + now;
    (window ?? this.routeWindow(route)).record(wall, status, ms);
    if (cluster === NONE) return;
    let c = this.clusters.get(cluster);
    if (!c) this.clusters.set(cluster, (c = new RollingWindow()));
    c.record(wall, status, ms);
  }

  /** The rolling window of a route, created on first use. */
  routeWindow(route: string): RollingWindow {
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = new RollingWindow()));
    return r;
  }

  /** An endpoint failed an attempt (connect error, reset, timeout, a 5xx answer). */
  endpointError(cluster: string, key: string, error: string): void {
    let byKey = this.lastErrors.get(cluster);
    if (!byKey) this.lastErrors.set(cluster, (byKey = new Map()));
    byKey.set(key, { at: Date.now(), error });
  }

  /** Forgets routes and clusters no longer in the table (called on install). */
  retain(routeIds: ReadonlySet<string>, clusterIds: ReadonlySet<string>): void {
    for (const id of this.routes.keys()) if (id !== NONE && !routeIds.has(id)) this.routes.delete(id);
    for (const id of this.clusters.keys()) if (!clusterIds.has(id)) this.clusters.delete(id);
    for (const id of this.lastErrors.keys()) if (!clusterIds.has(id)) this.lastErrors.delete(id);
  }

  snapshot(wallMs = Date.now()): TrafficSnapshot {
    const windows = (m: Map<string, RollingWindow>) => {
      const out: Record<string, WindowSlot[]> = {};
      for (const [id, w] of m) {
        const slots = w.slots(wallMs);
        if (slots.length > 0) out[id] = slots;
      }
      return out;
    };
    const lastErrors: Record<string, Record<string, EndpointError>> = {};
    for (const [id, byKey] of this.lastErrors) lastErrors[id] = Object.fromEntries(byKey);
    return { routes: windows(this.routes), clusters: windows(this.clusters), lastErrors };
  }
}
