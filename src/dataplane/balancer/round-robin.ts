// Smooth weighted round robin (the nginx algorithm): over any window of sum(weights) picks,
// each item is chosen weight times, and picks of one item are spread out rather than bunched.
// Equal weights take an O(1) path. Used for weighted backends of a route; RoundRobinBalancer
// below is the endpoint balancer.
import type { Balancer, PickContext, SkipSet, UpstreamTarget } from './balancer.js';
import type { SlowStart } from './slow-start.js';

export class SmoothWeightedRoundRobin<T> {
  readonly items: readonly T[];
  private readonly weights: readonly number[];
  private readonly current: number[];
  private readonly total: number;
  private readonly uniform: boolean;
  private next = 0;

  constructor(items: readonly T[], weights?: readonly number[]) {
    this.items = items;
    this.weights = weights ?? items.map(() => 1);
    this.current = this.weights.map(() => 0);
    this.total = this.weights.reduce((a, b) => a + b, 0);
    this.uniform = this.weights.every((w) => w === this.weights[0]);
  }

  /** The next item, or undefined when there is none with a positive weight. */
  pick(): T | undefined {
    if (this.total <= 0) return undefined;
    if (this.uniform) {
      const item = this.items[this.next];
      this.next = (this.next + 1) % this.items.length;
      return item;
    }
    let best = -1;
    for (let i = 0; i < this.items.length; i++) {
      this.current[i]! += this.weights[i]!;
      if (best === -1 || this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.items[best];
  }
}

/**
 * Round robin over a cluster's endpoints (equal weights: Kubernetes endpoints carry none).
 * While an endpoint ramps up (slow start), picks are smooth weighted round robin with the
 * slow-start shares as weights, so the ramping endpoint's missed turns are spread over all the
 * others rather than handed to its neighbour; once every ramp is over, plain rotation resumes.
 */
export class RoundRobinBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private readonly slowStart: SlowStart | undefined;
  /** Smooth weighted round robin state while ramping, in thousandths of a full weight (integers: exact). */
  private readonly current: Float64Array | undefined;
  private next = 0;

  constructor(targets: readonly UpstreamTarget[], slowStart?: SlowStart) {
    this.targets = targets;
    this.slowStart = slowStart;
    this.current = slowStart ? new Float64Array(targets.length) : undefined;
  }

  pick(_context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined {
    const now = this.slowStart?.now();
    if (now !== undefined) return this.pickRamping(now, skip);
    const n = this.targets.length;
    for (let i = 0; i < n; i++) {
      const target = this.targets[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      if (!skip || !skip.skips(target)) return target;
    }
    return undefined;
  }

  private pickRamping(now: number, skip: SkipSet | undefined): UpstreamTarget | undefined {
    const current = this.current!;
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[i]!;
      if (skip && skip.skips(target)) continue;
      const weight = Math.round(this.slowStart!.share(target, now) * 1000);
      current[i]! += weight;
      total += weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best === -1) return undefined;
    current[best]! -= total;
    this.next = best + 1 === this.targets.length ? 0 : best + 1;
    return this.targets[best];
  }
}
