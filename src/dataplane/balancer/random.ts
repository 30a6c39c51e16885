// Uniform random choice among the endpoints not skipped. Draws are rejected when they land on a
// skipped endpoint (or, while ramping, with probability 1 − share), which keeps the choice
// exactly uniform (or proportional to the slow-start shares) without scanning; after a few
// rejected draws it counts the endpoints not skipped and picks one of them uniformly.
import type { Balancer, BalancerClock, PickContext, SkipSet, UpstreamTarget } from './balancer.js';
import type { SlowStart } from './slow-start.js';

/** Draws before the counting fallback: with half the endpoints skipped, 1 pick in 256 gets there. */
const DRAWS = 8;

export class RandomBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private readonly clock: BalancerClock;
  private readonly slowStart: SlowStart | undefined;

  constructor(targets: readonly UpstreamTarget[], clock: BalancerClock, slowStart?: SlowStart) {
    this.targets = targets;
    this.clock = clock;
    this.slowStart = slowStart;
  }

  pick(_context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined {
    const { targets, clock } = this;
    const n = targets.length;
    if (n === 0) return undefined;
    const now = this.slowStart?.now();
    for (let draw = 0; draw < DRAWS; draw++) {
      const target = targets[Math.floor(clock.random() * n)]!;
      if (skip && skip.skips(target)) continue;
      if (now !== undefined && clock.random() >= this.slowStart!.share(target, now)) continue;
      return target;
    }
    let left = 0;
    for (const target of targets) if (!skip || !skip.skips(target)) left++;
    if (left === 0) return undefined;
    let r = Math.floor(clock.random() * left);
    for (const target of targets) {
      if (skip && skip.skips(target)) continue;
      if (r-- === 0) return target;
    }
    return undefined;
  }
}
