// The Node server behind each data-plane socket, built here rather than by Fastify so the edge
// settings apply: request-head and TLS-handshake timeouts enforced within a second (Node checks
// its timers every connectionsCheckingInterval, 30 s by default), HTTP upgrades only for
// WebSocket (any other Upgrade is proxied as a plain HTTP/1.1 request with the upgrade headers
// stripped, h2c excepted when --http2-cleartext is on), an optional gate every new connection passes first
// (the PROXY protocol reader) before the HTTP or TLS layer sees a byte, and the hand-over of h2
// connections to the socket's Http2Edge (http2.ts): by ALPN on TLS, by the preface on plain.
// On TLS sockets a takeover (Ingress passthrough) may claim a connection by its ClientHello
// before node's TLS server reads it.
import http, { type IncomingMessage, type RequestListener } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { type Http2Edge, sniffPreface } from './http2.js';
import { isH2cUpgrade } from './h2c-upgrade.js';

export interface ListenerServerOptions {
  readonly headerTimeoutMs: number;
  readonly keepAliveMs: number;
  /** HTTPS sockets: TLS settings; absent for plain HTTP. */
  readonly tls?: {
    readonly SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
    readonly handshakeTimeoutMs: number;
    /**
     * Runs on every connection before TLS (after the gate): true (or a promise of it) when it
     * has taken the connection itself; false hands it to TLS. Returns false at once to cost nothing.
     */
    readonly takeover?: (socket: Socket) => false | Promise<boolean>;
  };
  /**
   * Runs on every accepted connection before HTTP/TLS; resolves to let it through, rejects (after
   * destroying the socket) to drop it.
   */
  readonly gate?: (socket: Socket) => Promise<void>;
  /** HTTP/2 on this socket (ALPN h2 on TLS, prior knowledge and Upgrade: h2c on plain); absent: HTTP/1.1 only. */
  readonly http2?: Http2Edge;
  /** Plain sockets: whether a new connection may be h2c with prior knowledge (asked per connection). */
  readonly priorKnowledge?: () => boolean;
  /** Plain sockets: whether Upgrade: h2c is taken (--http2-cleartext). */
  readonly upgradeH2c?: boolean;
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
  const h2 = options.http2;
  const common = {
    headersTimeout: options.headerTimeoutMs,
    // Whole-request deadlines belong to routes (HTTPRoute timeouts), not to the socket.
    requestTimeout: 0,
    keepAliveTimeout: options.keepAliveMs,
    connectionsCheckingInterval: checkingIntervalMs(options.headerTimeoutMs),
    shouldUpgradeCallback: h2 && options.upgradeH2c ? (req: IncomingMessage) => isWebSocketUpgrade(req) || isH2cUpgrade(req) : isWebSocketUpgrade,
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3): node
    // (24.12+; older ones ignore the option) hands it over already ended, with none of a
    // readable stream's life cycle (resume, 'end', destroy and 'close' on later ticks) to run.
    // Nothing in the data plane reads or waits on such a request (hasBody() says it has none).
    optimizeEmptyRequests: true,
  };
  const server: http.Server = options.tls
    ? (https.createServer(
        { ...common, SNICallback: options.tls.SNICallback, handshakeTimeout: options.tls.handshakeTimeoutMs, ...(h2 ? { ALPNProtocols: ['h2', 'http/1.1'] } : {}) },
        handler,
      ) as unknown as http.Server)
    : http.createServer(common, handler);
  if (h2 && options.tls) {
    // ALPN has chosen by the time the handshake completes: h2 sockets never reach the HTTP/1.1 parser.
    intercept(server, 'secureConnection', (socket) => (socket as TLSSocket).alpnProtocol === 'h2', (socket) => h2.take(socket));
  }
  const priorKnowledge = options.priorKnowledge;
  if (h2 && !options.tls && priorKnowledge) intercept(server, 'connection', (socket) => (priorKnowledge() ? sniffPreface(socket, options.headerTimeoutMs) : false), (socket) => h2.take(socket));
  const takeover = options.tls?.takeover;
  if (takeover) intercept(server, 'connection', takeover, taken);
  // The gate goes in front of everything else (it reads the PROXY header before any sniffing).
  if (options.gate) {
    const gate = options.gate;
    intercept(server, 'connection', (socket) => gate(socket).then(() => false), taken);
  }
  return server;
}

/** A socket already handled by whoever claimed it. */
function taken(): void {}

/**
 * Puts `route` in front of the server's own listeners of `event`: a socket it resolves true for
 * goes to `claim`, false to the server's own handling; a rejection (the socket destroyed) drops it.
 */
function intercept(server: http.Server, event: 'connection' | 'secureConnection', route: (socket: Socket) => boolean | Promise<boolean>, claim: (socket: Socket) => void): void {
  const own = server.listeners(event) as ((socket: Socket) => void)[];
  server.removeAllListeners(event);
  server.on(event, (socket: Socket) => {
    const decided = route(socket);
    // Decided at once (h2c not possible on this connection): no promise, no turn lost.
    if (decided === false) {
      for (const listener of own) listener.call(server, socket);
      return;
    }
    Promise.resolve(decided).then(
      (toClaim) => {
        if (socket.destroyed) return;
        if (toClaim) return claim(socket);
        for (const listener of own) listener.call(server, socket);
      },
      () => socket.destroy(),
    );
  });
}
