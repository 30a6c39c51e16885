// The endpoint-picking seam. A Balancer chooses among a cluster's eligible endpoints; the
// factory maps the table's `loadBalancer.type` to an implementation, so a new algorithm is a
// new file here and one line in the factory.
import type { EndpointAddress, LoadBalancerPolicy } from '../../table/types.js';
import { RoundRobinBalancer } from './round-robin.js';

/** One endpoint of a cluster as balancers see it. */
export interface UpstreamTarget {
  /** Endpoint key ("10.0.0.1:8080", "[fd00::1]:80"): pools and health are keyed by it. */
  readonly key: string;
  readonly endpoint: EndpointAddress;
  /** Requests in flight to this endpoint from this cluster in this process (the exchange counts them). */
  inflight: number;
  /** When this process first saw the endpoint in this cluster (clock of BalancerClock.now); slow start ramps from it. */
  readonly addedAt: number;
}

/** What a balancer may know about the request it picks for. */
export interface PickContext {
  /** The client address (after trusted-proxy resolution). */
  readonly clientAddress: string;
  /** The request's consistent-hash key, already hashed (stableHash of the key string); undefined: the request has none. */
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

export function createBalancer(policy: LoadBalancerPolicy, targets: readonly UpstreamTarget[], _clock: BalancerClock = SYSTEM_CLOCK): Balancer {
  switch (policy.type) {
    case 'RoundRobin':
    case 'LeastRequest':
    case 'Random':
    case 'ConsistentHash':
      // Until their balancers land, every type balances round robin.
      return new RoundRobinBalancer(targets);
  }
}
