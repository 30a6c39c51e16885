// The L4 half of the data plane: one net.Server per L4 listener socket, each reading the
// current L4 table at accept time (so a swap changes routes and even TCP ↔ TLS passthrough
// without reopening the socket, and a listener that remains keeps its socket). A listener that
// leaves the table stops accepting; its open connections run on (they end by themselves, by the
// idle timeout, or at the drain deadline). Endpoint removal never cuts a spliced connection:
// the endpoint just gets no new ones.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { ConnectionEndpoint } from '../edge/proxy-header.js';
import type { RoutingTable } from '../../table/types.js';
import type { ClusterRuntime } from '../clusters.js';
import { acceptPassthrough, takePassthrough } from './passthrough-listener.js';
import { L4Table } from './l4-table.js';
import type { L4Context } from './session.js';
import { acceptTcp } from './tcp-listener.js';

export interface L4PlaneOptions {
  readonly cluster: (id: string) => ClusterRuntime | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly connectMs: number;
  readonly idleMs: number;
  /** --tls-handshake-timeout: how long a passthrough client has to send its ClientHello. */
  readonly handshakeMs: number;
  /**
   * --proxy-protocol: reads the PROXY header of every new connection (rejecting destroys the
   * socket), as on the HTTP sockets; absent: connections start with the client's bytes.
   */
  readonly gate?: (socket: Socket) => Promise<void>;
  /** The client of a connection, and where it connected to, when a PROXY header named them. */
  readonly proxied?: {
    readonly source: (client: Socket) => ConnectionEndpoint | undefined;
    readonly destination: (client: Socket) => ConnectionEndpoint | undefined;
  };
  /** Where a listener without its own address binds, and its socket port. */
  readonly bind: (address: string | undefined, port: number) => { readonly host: string; readonly port: number };
}

export class L4Plane {
  private table: L4Table | undefined;
  private readonly servers = new Map<string, Server>();
  private readonly bindFailures = new Map<string, string>();
  private readonly ctx: L4Context;
  private readonly o: L4PlaneOptions;

  constructor(o: L4PlaneOptions) {
    this.o = o;
    const proxied = o.proxied;
    this.ctx = {
      cluster: o.cluster,
      metrics: o.metrics,
      connectMs: o.connectMs,
      idleMs: o.idleMs,
      connections: new Set(),
      clientEndpoint: (client) => proxied?.source(client) ?? { address: client.remoteAddress ?? '', port: client.remotePort ?? 0 },
      localEndpoint: (client) => proxied?.destination(client) ?? { address: client.localAddress ?? '', port: client.localPort ?? 0 },
    };
  }

  /** Socket keys of the L4 listeners in the current table. */
  keys(): ReadonlySet<string> {
    return new Set(this.table?.listeners.keys() ?? []);
  }

  async install(table: RoutingTable): Promise<void> {
    const next = new L4Table(table, this.table);
    this.table = next;
    for (const [key, server] of this.servers) {
      if (next.listeners.has(key)) continue;
      server.close();
      this.servers.delete(key);
    }
    for (const [key, l] of next.listeners) {
      if (this.servers.has(key)) continue;
      await this.open(key, l.listener.name, l.listener.address, l.listener.port).catch(() => undefined);
    }
  }

  /**
   * A new connection on an HTTPS socket (key): when the listener has Ingress passthrough hosts,
   * its ClientHello is read and a passthrough SNI is spliced (true); otherwise it is for the
   * socket's TLS server (false, at once when there are no passthrough hosts: no cost).
   */
  takeover(key: string, client: Socket): false | Promise<boolean> {
    const p = this.table?.passthroughs.get(key);
    if (!p) return false;
    this.track(client);
    return takePassthrough(this.ctx, client, p.name, p.sni, this.o.handshakeMs).then((taken) => {
      if (!taken) this.ctx.connections.delete(client);
      return taken;
    });
  }

  private accept(key: string, client: Socket): void {
    this.track(client);
    const gate = this.o.gate;
    if (!gate) return this.route(key, client);
    // The listener is looked up after the header: a table swapped meanwhile is the one to use.
    gate(client).then(
      () => this.route(key, client),
      () => undefined, // destroyed and counted by the gate
    );
  }

  private route(key: string, client: Socket): void {
    const l = this.table?.listeners.get(key);
    if (!l) return void client.resetAndDestroy();
    if (l.listener.protocol === 'TCP') acceptTcp(this.ctx, client, l);
    else acceptPassthrough(this.ctx, client, l.listener.name, l.sni!, this.o.handshakeMs);
  }

  /** Counts a client socket as this plane's until it closes (the drain deadline cuts it). */
  private track(client: Socket): void {
    const connections = this.ctx.connections;
    connections.add(client);
    client.once('close', () => connections.delete(client));
  }

  private async open(key: string, name: string, address: string | undefined, port: number): Promise<void> {
    const bind = this.o.bind(address, port);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (client) => this.accept(key, client));
    this.servers.set(key, server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: bind.host, port: bind.port }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.o.log.error({ err, listener: name }, 'L4 listener error'));
      this.bindFailures.delete(key);
      this.o.log.info({ listener: name, address: bind.host, port: bind.port }, 'listening');
    } catch (err) {
      this.servers.delete(key);
      const code = (err as { code?: string }).code ?? 'error';
      this.o.metrics.listenerBindFailures.labels(name, code).inc();
      // Every install tries again; one log line per listener and cause, not one per table.
      if (this.bindFailures.get(key) !== code) this.o.log.error({ err, listener: name, address: bind.host, port: bind.port }, 'cannot listen');
      this.bindFailures.set(key, code);
      throw err;
    }
  }

  /** Stops accepting; open connections get until drainMs, then are cut. */
  async stop(drainMs: number): Promise<void> {
    const closing = [...this.servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.servers.clear();
    const deadline = setTimeout(() => {
      for (const c of this.ctx.connections) c.destroy();
    }, drainMs);
    await Promise.allSettled(closing);
    clearTimeout(deadline);
  }
}
