// One accepted L4 connection from its route to the end of the splice: connect to an endpoint
// (connect.ts), replay what was read while routing (the ClientHello of a passthrough), splice,
// and account for it (metrics by route, the endpoint's open-connection count). Shared by the
// TCP and the TLS passthrough listeners.
import type { Socket } from 'node:net';
import type { Metrics } from '../../metrics.js';
import { type ConnectionEndpoint, encodeProxyHeader } from '../edge/proxy-header.js';
import type { ClusterRuntime } from '../clusters.js';
import { connectEndpoint } from './connect.js';
import type { L4RouteRuntime } from './l4-table.js';
import { splice } from './splice.js';

export interface L4Context {
  readonly cluster: (id: string) => ClusterRuntime | undefined;
  readonly metrics: Metrics;
  readonly connectMs: number;
  readonly idleMs: number;
  /** Client sockets open now (the drain deadline cuts them). */
  readonly connections: Set<Socket>;
  /** The client: the PROXY header's source with --proxy-protocol, else the TCP peer. */
  readonly clientEndpoint: (client: Socket) => ConnectionEndpoint;
  /** Where the client connected to: the PROXY header's destination, else Sluice's own socket. */
  readonly localEndpoint: (client: Socket) => ConnectionEndpoint;
}

/** Why a connection was closed without reaching an endpoint (the `reason` label of sluice_l4_rejected_total). */
export type L4Reject =
  | 'no_sni'
  | 'unknown_sni'
  | 'malformed_client_hello'
  | 'not_tls'
  | 'client_hello_too_large'
  | 'handshake_timeout'
  | 'client_closed'
  | 'no_route'
  | 'no_endpoint'
  | 'connect_failed'
  /** The cluster's circuit-breaker maxConnections is reached. */
  | 'overflow';

export function rejectConnection(ctx: L4Context, client: Socket, listener: string, reason: L4Reject): void {
  ctx.metrics.l4Rejected.labels(listener, reason).inc();
  // A reset, not a FIN: nothing of Sluice's (no alert, no certificate) reaches the client.
  client.resetAndDestroy();
}

/** Forwards `client` through `route`; `head`: bytes already read from the client, sent first. */
export function forward(ctx: L4Context, client: Socket, listener: string, route: L4RouteRuntime, head: Buffer | undefined): void {
  const id = route.route.id;
  let clientGone = false;
  const onGone = (): void => {
    clientGone = true;
    pending.abort();
  };
  client.once('close', onGone);
  client.on('error', () => undefined); // closing is handled by 'close'
  const from = ctx.clientEndpoint(client);
  const pending = connectEndpoint(route.pickBackend, from.address, {
    cluster: ctx.cluster,
    connectMs: ctx.connectMs,
    onConnectFailure: (cluster, kind) => ctx.metrics.l4ConnectFailures.labels(cluster, kind).inc(),
  }, (result) => {
    client.removeListener('close', onGone);
    if (clientGone) {
      if (typeof result !== 'string') {
        result.socket.destroy();
        result.target.inflight--;
        result.cluster.load.releaseSlot();
      }
      return;
    }
    if (typeof result === 'string') return rejectConnection(ctx, client, listener, result);
    const { socket, target, cluster } = result;
    ctx.metrics.l4Connections.labels(id).inc();
    const active = ctx.metrics.l4ActiveConnections.labels(id);
    active.inc();
    // The endpoint learns who the client is before any of the client's bytes.
    const proxyProtocol = cluster.cluster.policy?.proxyProtocol;
    if (proxyProtocol) socket.write(encodeProxyHeader(proxyProtocol.version, from, ctx.localEndpoint(client)));
    if (head) socket.write(head);
    splice(client, socket, {
      idleMs: ctx.idleMs,
      onClose: (up, down) => {
        target.inflight--;
        cluster.load.releaseSlot();
        active.dec();
        ctx.metrics.l4Bytes.labels(id, 'upstream').inc(up);
        ctx.metrics.l4Bytes.labels(id, 'downstream').inc(down);
      },
    });
  });
  if (clientGone) pending.abort();
}
