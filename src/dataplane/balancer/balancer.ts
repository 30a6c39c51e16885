// The endpoint-picking seam. A Balancer chooses among a cluster's eligible endpoints; the
// factory maps the table's `loadBalancer.type` to an implementation, so a new algorithm is a
// new file here and one line in the factory.
//
//   RoundRobin      round-robin.ts   rotation (smooth weighted while an endpoint ramps up)
//   LeastRequest    least-request.ts power of choiceCount choices (2), or a full scan (0)
//   Random          random.ts        uniform
//   ConsistentHash  maglev.ts        Maglev table over the endpoint keys, by PickContext.hashKey
//
// Slow start (slow-start.ts) applies to RoundRobin, LeastRequest and Random; ConsistentHash
// ignores it (changing shares over time would move keys between endpoints).
import type { EndpointAddress, LoadBalancerPolicy } from '../../table/types.js';
import { DEFAULT_CHOICE_COUNT, LeastRequestBalancer } from './least-request.js';
import { MaglevBalancer } from './maglev.js';
import { RandomBalancer } from './random.js';
import { RoundRobinBalancer } from './round-robin.js';
import { SlowStart } from './slow-start.js';

/** One endpoint of a cluster as balancers see it. */
export interface UpstreamTarget {
  /** Endpoint key ("10.0.0.1:8080", "[fd00::1]:80"): pools and health are keyed by it. */
  readonly key: string;
  readonly endpoint: EndpointAddress;
  /** Requests in flight to this endpoint from this cluster in this process (the exchange counts them). */
  inflight: number;
  /**
   * When this process first saw the endpoint in this cluster (clock of BalancerClock.now);
   * slow start ramps its share from 10 % at addedAt to 100 % at addedAt + window. The
   * endpoints a cluster has when this process first sees the cluster must not ramp: give them
   * -Infinity (any addedAt ≤ now − window means a full share). Balancers are rebuilt on every
   * endpoint change, so the caller keeps first-seen times across rebuilds: another endpoint
   * joining must not restart a ramp.
   */
  readonly addedAt: number;
}

/** What a balancer may know about the request it picks for. */
export interface PickContext {
  /** The client address (after trusted-proxy resolution). */
  readonly clientAddress: string;
  /** The request's consistent-hash key, already hashed (stableHash(key) of stable-hash.ts, unsigned 32-bit); undefined: the request has none. */
  readonly hashKey: number | undefined;
}

/** Endpoints not to pick for this attempt: already tried, or ejected by health. */
export interface SkipSet {
  skips(target: UpstreamTarget): boolean;
}

export interface Balancer {
  /** The next endpoint not in `skip`, or undefined when every endpoint is skipped (or there is none). */
  pick(context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined;
}

/** Time and chance, injectable so tests are exact. */
export interface BalancerClock {
  /** Milliseconds, monotonic (performance.now in production). */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export const SYSTEM_CLOCK: BalancerClock = { now: () => performance.now(), random: Math.random };

/** A balancer over `targets` (the objects it returns are these, so the caller's inflight counts reach it). */
export function createBalancer(policy: LoadBalancerPolicy, targets: readonly UpstreamTarget[], clock: BalancerClock = SYSTEM_CLOCK): Balancer {
  switch (policy.type) {
    case 'RoundRobin':
      return new RoundRobinBalancer(targets, SlowStart.of(policy.slowStartMs, targets, clock));
    case 'LeastRequest':
      return new LeastRequestBalancer(targets, policy.choiceCount ?? DEFAULT_CHOICE_COUNT, clock, SlowStart.of(policy.slowStartMs, targets, clock));
    case 'Random':
      return new RandomBalancer(targets, clock, SlowStart.of(policy.slowStartMs, targets, clock));
    case 'ConsistentHash':
      return new MaglevBalancer(targets, policy.consistentHash?.tableSize);
  }
}
