// Smooth weighted round robin (the nginx algorithm): over any window of sum(weights) picks,
// each item is chosen weight times, and picks of one item are spread out rather than bunched.
// Equal weights take an O(1) path. Used for weighted backends of a route; RoundRobinBalancer
// below is the endpoint balancer.
import type { Balancer, PickContext, SkipSet, UpstreamTarget } from './balancer.js';

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

/** Round robin over a cluster's endpoints (equal weights: Kubernetes endpoints carry none). */
export class RoundRobinBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private next = 0;

  constructor(targets: readonly UpstreamTarget[]) {
    this.targets = targets;
  }

  pick(_context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined {
    const n = this.targets.length;
    for (let i = 0; i < n; i++) {
      const target = this.targets[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      if (!skip || !skip.skips(target)) return target;
    }
    return undefined;
  }
}
