// The endpoint-picking seam. A Balancer chooses among a cluster's eligible endpoints; the
// factory maps the table's `loadBalancer.algorithm` to an implementation, so a new algorithm
// (least-request, hashing, ...) is a new file here and one line in the factory.
import type { EndpointAddress, LoadBalancerAlgorithm } from '../../table/types.js';
import { RoundRobinBalancer } from './round-robin.js';

/** One endpoint of a cluster as balancers see it. */
export interface UpstreamTarget {
  /** Endpoint key ("10.0.0.1:8080", "[fd00::1]:80"): pools and health are keyed by it. */
  readonly key: string;
  readonly endpoint: EndpointAddress;
  /** Requests in flight to this endpoint from this process (the exchange counts them). */
  inflight: number;
}

/** What a balancer may know about the request it picks for. */
export interface PickContext {
  /** The client address (after trusted-proxy resolution). */
  readonly clientAddress: string;
}

/** Endpoints not to pick for this attempt: already tried, or ejected by health. */
export interface SkipSet {
  skips(target: UpstreamTarget): boolean;
}

export interface Balancer {
  /** The next endpoint not in `skip`, or undefined when every endpoint is skipped (or there is none). */
  pick(context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined;
}

export function createBalancer(algorithm: LoadBalancerAlgorithm, targets: readonly UpstreamTarget[]): Balancer {
  switch (algorithm) {
    case 'round-robin':
      return new RoundRobinBalancer(targets);
  }
}
