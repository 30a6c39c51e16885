// The Node server behind each data-plane socket, built here rather than by Fastify so the edge
// settings apply: request-head and TLS-handshake timeouts enforced within a second (Node checks
// its timers every connectionsCheckingInterval, 30 s by default), HTTP upgrades only for
// WebSocket (any other Upgrade, h2c included, is proxied as a plain HTTP/1.1 request with the
// upgrade headers stripped), and an optional gate every new connection passes first (the PROXY
// protocol reader) before the HTTP or TLS layer sees a byte.
import http, { type IncomingMessage, type RequestListener } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';

export interface ListenerServerOptions {
  readonly headerTimeoutMs: number;
  readonly keepAliveMs: number;
  /** HTTPS sockets: TLS settings; absent for plain HTTP. */
  readonly tls?: {
    readonly SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
    readonly handshakeTimeoutMs: number;
  };
  /**
   * Runs on every accepted connection before HTTP/TLS; resolves to let it through, rejects (after
   * destroying the socket) to drop it.
   */
  readonly gate?: (socket: Socket) => Promise<void>;
}

/** Whether an Upgrade request asks for WebSocket, the one upgrade Sluice tunnels. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return upgrade !== undefined && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}

function checkingIntervalMs(headerTimeoutMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(headerTimeoutMs / 4)));
}

export function createListenerServer(handler: RequestListener, options: ListenerServerOptions): http.Server {
  const common = {
    headersTimeout: options.headerTimeoutMs,
    // Whole-request deadlines belong to routes (HTTPRoute timeouts), not to the socket.
    requestTimeout: 0,
    keepAliveTimeout: options.keepAliveMs,
    connectionsCheckingInterval: checkingIntervalMs(options.headerTimeoutMs),
    shouldUpgradeCallback: isWebSocketUpgrade,
  };
  const server: http.Server = options.tls
    ? (https.createServer({ ...common, SNICallback: options.tls.SNICallback, handshakeTimeout: options.tls.handshakeTimeoutMs }, handler) as unknown as http.Server)
    : http.createServer(common, handler);
  if (options.gate) gateConnections(server, options.gate);
  return server;
}

/** Puts `gate` in front of the server's own connection handling (HTTP parser or TLS). */
function gateConnections(server: http.Server, gate: (socket: Socket) => Promise<void>): void {
  const own = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    gate(socket).then(
      () => {
        if (socket.destroyed) return;
        for (const listener of own) listener.call(server, socket);
      },
      () => socket.destroy(),
    );
  });
}
