// Slow start: an endpoint that joins a running cluster gets a share of its fair traffic that
// grows linearly from 10 % to 100 % over the window, so a cold pod (empty caches, unoptimised
// code) is not handed a full share at once. The share is computed from UpstreamTarget.addedAt;
// an endpoint with addedAt ≤ now − window (-Infinity for the endpoints a cluster started with)
// has the full share. Balancers built once no endpoint ramps any more never read the clock.
import type { BalancerClock, UpstreamTarget } from './balancer.js';

/** The share of a just-added endpoint (Envoy's min_weight_percent default is the same 10 %). */
export const SLOW_START_MIN_SHARE = 0.1;

export class SlowStart {
  private readonly windowMs: number;
  private readonly clock: BalancerClock;
  /** When the newest endpoint's ramp ends. */
  private readonly endsAt: number;
  private over = false;

  private constructor(windowMs: number, endsAt: number, clock: BalancerClock) {
    this.windowMs = windowMs;
    this.endsAt = endsAt;
    this.clock = clock;
  }

  /** The ramp state of a balancer over `targets`; undefined when there is no window or no endpoint still inside it. */
  static of(windowMs: number | undefined, targets: readonly UpstreamTarget[], clock: BalancerClock): SlowStart | undefined {
    if (windowMs === undefined || !(windowMs > 0)) return undefined;
    let newest = -Infinity;
    for (const t of targets) if (t.addedAt > newest) newest = t.addedAt;
    const endsAt = newest + windowMs;
    if (!(endsAt > clock.now())) return undefined;
    return new SlowStart(windowMs, endsAt, clock);
  }

  /** The current time while some endpoint still ramps; undefined once every ramp is over (and from then on without reading the clock). */
  now(): number | undefined {
    if (this.over) return undefined;
    const now = this.clock.now();
    if (now < this.endsAt) return now;
    this.over = true;
    return undefined;
  }

  /** The endpoint's share of a full weight at `now`, in [SLOW_START_MIN_SHARE, 1]. */
  share(target: UpstreamTarget, now: number): number {
    const age = now - target.addedAt;
    if (age >= this.windowMs) return 1;
    if (!(age > 0)) return SLOW_START_MIN_SHARE;
    return SLOW_START_MIN_SHARE + ((1 - SLOW_START_MIN_SHARE) * age) / this.windowMs;
  }
}
