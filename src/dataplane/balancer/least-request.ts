// Least request: send to the endpoint with the fewest requests in flight from this process
// (UpstreamTarget.inflight). With choiceCount k < n endpoints, k distinct endpoints are sampled
// and the least loaded of them wins ("power of k choices": k = 2 is nearly as good as a full
// scan and O(1)); with k = 0 or k ≥ n every endpoint is compared (nginx least_conn, HAProxy
// leastconn), equal loads taking turns so that ties do not all land on the first endpoint.
//
// Slow start: a ramping endpoint that wins is admitted `share` of the times it wins (a
// deterministic credit, no extra randomness); the other times the next least loaded endpoint
// (the other sample, or in a full scan the least loaded of the rest) gets the request.
// So at equal loads it gets `share` of a fair share; under load, where it tends to win more
// because it holds fewer requests, it gets `share` of what least-request alone would give it.
// (choiceCount 1 is a single random draw with nothing to hand a declined turn to: no slow start.)
import type { Balancer, BalancerClock, PickContext, SkipSet, UpstreamTarget } from './balancer.js';
import type { SlowStart } from './slow-start.js';

/** Power of two choices. */
export const DEFAULT_CHOICE_COUNT = 2;

export class LeastRequestBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private readonly choices: number;
  private readonly clock: BalancerClock;
  private readonly slowStart: SlowStart | undefined;
  /** Slow-start admission credit per endpoint. */
  private readonly credit: Float64Array | undefined;
  /** A permutation of endpoint indices, partially reshuffled by each sample (distinct draws without allocating). */
  private readonly order: Int32Array;
  /** Where the next full scan starts: one past the last winner, so ties rotate. */
  private next = 0;
  /** The same for the turns a ramping endpoint declines. */
  private nextOther = 0;

  constructor(targets: readonly UpstreamTarget[], choiceCount: number, clock: BalancerClock, slowStart?: SlowStart) {
    this.targets = targets;
    const k = Math.floor(choiceCount);
    // 0 (or anything that is not a positive count) and k ≥ n mean a full scan.
    this.choices = k > 0 && k < targets.length ? k : 0;
    this.clock = clock;
    this.slowStart = slowStart;
    this.credit = slowStart ? new Float64Array(targets.length) : undefined;
    this.order = Int32Array.from(targets, (_t, i) => i);
  }

  pick(_context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined {
    if (this.choices > 0) {
      const sampled = this.sample(skip);
      if (sampled !== undefined) return sampled;
      // Every sampled endpoint was skipped: compare all the others.
    }
    return this.scan(skip);
  }

  private sample(skip: SkipSet | undefined): UpstreamTarget | undefined {
    const { targets, order } = this;
    const n = targets.length;
    let best = -1;
    let second = -1;
    for (let t = 0; t < this.choices; t++) {
      const r = t + Math.floor(this.clock.random() * (n - t));
      const i = order[r]!;
      order[r] = order[t]!;
      order[t] = i;
      const target = targets[i]!;
      if (skip && skip.skips(target)) continue;
      if (best === -1 || target.inflight < targets[best]!.inflight) {
        second = best;
        best = i;
      } else if (second === -1 || target.inflight < targets[second]!.inflight) {
        second = i;
      }
    }
    if (best === -1) return undefined;
    return targets[second !== -1 && this.slowStart && this.declines(best) ? second : best];
  }

  private scan(skip: SkipSet | undefined): UpstreamTarget | undefined {
    const n = this.targets.length;
    const best = this.leastLoaded(this.next, -1, skip);
    if (best === -1) return undefined;
    this.next = best + 1 === n ? 0 : best + 1;
    if (this.slowStart && this.declines(best)) {
      // The ramping endpoint's turn goes to the least loaded of the others, those taking turns
      // through a pointer of their own so that no neighbour of it gets more than the rest.
      const other = this.leastLoaded(this.nextOther, best, skip);
      if (other !== -1) {
        this.nextOther = other + 1 === n ? 0 : other + 1;
        return this.targets[other];
      }
    }
    return this.targets[best];
  }

  /** The first endpoint with the fewest in flight, scanning from `start`, leaving out `except` and the skipped; -1 when none. */
  private leastLoaded(start: number, except: number, skip: SkipSet | undefined): number {
    const targets = this.targets;
    const n = targets.length;
    let best = -1;
    for (let s = 0, i = start; s < n; s++, i = i + 1 === n ? 0 : i + 1) {
      if (i === except) continue;
      const target = targets[i]!;
      if (skip && skip.skips(target)) continue;
      if (best === -1 || target.inflight < targets[best]!.inflight) best = i;
    }
    return best;
  }

  /**
   * Whether a winner that is ramping up has no admission credit left: each win adds its share,
   * a full credit is spent on an admission, so it is admitted `share` of its wins (credit stays
   * in [0, 1); a declined win with no other endpoint to go to is taken anyway, uncharged).
   */
  private declines(winner: number): boolean {
    const now = this.slowStart!.now();
    if (now === undefined) return false;
    const share = this.slowStart!.share(this.targets[winner]!, now);
    if (share >= 1) return false;
    const credit = this.credit!;
    credit[winner]! += share;
    if (credit[winner]! < 1 - 1e-9) return true;
    credit[winner]! -= 1;
    return false;
  }
}
