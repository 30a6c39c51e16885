// The L4 exchange: one client connection → one endpoint, chosen the way HTTP requests choose
// them (the route's backends by weight, then the cluster's balancer over its eligible endpoints,
// skipping what health excludes), connected with the cluster's connect timeout and retried on
// another endpoint while the connect fails (up to the cluster's retry numRetries, default 2).
// The endpoint counts the connection in `inflight` until it closes, so LeastRequest balances
// by open connections. Outcomes feed endpoint health: a failed connect is `unreachable`, a
// completed one clears the failures like an answer does.
import { connect, type Socket } from 'node:net';
import type { L4Backend } from '../../table/types.js';
import type { UpstreamTarget } from '../balancer/balancer.js';
import { stableHash } from '../balancer/stable-hash.js';
import type { ClusterRuntime } from '../clusters.js';
import { DEFAULT_RETRY } from '../policy/defaults.js';

export interface L4Connected {
  readonly socket: Socket;
  readonly target: UpstreamTarget;
  readonly cluster: ClusterRuntime;
}

export type L4ConnectFailure = 'no_endpoint' | 'connect_failed' | 'overflow';

export interface ConnectOptions {
  readonly cluster: (id: string) => ClusterRuntime | undefined;
  /** --upstream-connect-timeout (a cluster's BackendTrafficPolicy timeouts.connect wins). */
  readonly connectMs: number;
  readonly onConnectFailure: (clusterId: string, kind: 'refused' | 'timeout' | 'other') => void;
}

/** A live connect attempt the caller can abandon (the client went away). */
export interface PendingConnect {
  abort(): void;
}

/**
 * Connects to an endpoint of one of `pickBackend()`'s clusters; calls `done` once with the
 * connected socket (the caller owns it, and when it closes must decrement the target's
 * `inflight` and release the cluster's connection slot) or the failure. The connection holds a
 * circuit-breaker slot (maxConnections) from the first attempt: at the limit it is refused
 * (`overflow`).
 */
export function connectEndpoint(
  pickBackend: () => L4Backend | undefined,
  clientAddress: string,
  o: ConnectOptions,
  done: (result: L4Connected | L4ConnectFailure) => void,
): PendingConnect {
  const backend = pickBackend();
  const cluster = backend && o.cluster(backend.cluster);
  /** The attempt in progress, until it connects or fails. */
  let current: { socket: Socket; timer: NodeJS.Timeout; target: UpstreamTarget } | undefined;
  if (!cluster || cluster.targets.length === 0) {
    done('no_endpoint');
    return { abort: () => undefined };
  }
  if (!cluster.load.acquireConnection()) {
    done('overflow');
    return { abort: () => undefined };
  }
  const finish = done;
  done = (result) => {
    if (typeof result === 'string') cluster.load.releaseSlot();
    finish(result);
  };
  const policy = cluster.cluster.policy;
  const lb = cluster.cluster.loadBalancer;
  // Only the client address exists at L4: a consistent hash on anything else falls back to unkeyed picks.
  const hashKey = lb.type === 'ConsistentHash' && lb.consistentHash?.key.type === 'SourceIP' ? stableHash(clientAddress) : undefined;
  const context = { clientAddress, hashKey };
  const retry = policy?.retry;
  const retries = retry ? (retry.retryOn.includes('connect-failure') ? retry.numRetries : 0) : DEFAULT_RETRY.numRetries;
  const connectMs = policy?.timeouts?.connectMs ?? o.connectMs;
  const tried = new Set<string>();

  const attempt = (): void => {
    const target = cluster.pick(context, tried.size > 0 ? tried : undefined);
    if (!target || tried.has(target.key)) return done(tried.size === 0 ? 'no_endpoint' : 'connect_failed');
    tried.add(target.key);
    target.inflight++;
    const socket = connect({ host: target.endpoint.address, port: target.endpoint.port, allowHalfOpen: true });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), connectMs);
    current = { socket, timer, target };
    const failed = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      target.inflight--;
      current = undefined;
      cluster.health.unreachable(target.key);
      o.onConnectFailure(cluster.cluster.id, err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ETIMEDOUT' ? 'timeout' : 'other');
      if (tried.size <= retries && tried.size < cluster.targets.length) attempt();
      else done('connect_failed');
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      current = undefined;
      socket.removeListener('error', failed);
      // An L4 endpoint that accepts the connection has answered, as far as health can tell.
      cluster.health.responded(target.key, 200);
      done({ socket, target, cluster });
    });
  };
  attempt();
  return {
    abort: () => {
      if (!current) return;
      const { socket, timer, target } = current;
      current = undefined;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.destroy();
      target.inflight--;
      cluster.load.releaseSlot();
    },
  };
}
