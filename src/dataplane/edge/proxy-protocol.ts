// Reads the PROXY protocol header (v1 or v2) off a freshly accepted TCP connection, before the
// HTTP or TLS server sees it, and remembers the client address it carries for the HTTP layer.
//
// Hand-off: after acceptProxyHeader resolves, `server.emit('connection', socket)` on an
// http.Server or an https/tls.Server. Bytes that arrived behind the header are unshifted onto the
// socket, and both servers read them first: node:http feeds them to its parser through the
// socket's 'data' event, and a TLSSocket wrapping a net.Socket drains the socket's readable
// buffer into the TLS engine before reading from the handle. The reader uses 'readable' +
// read(), never 'data' + pause(): an explicitly paused socket stays paused when node:http adds
// its 'data' listener, and the unshifted request would sit there until the header timeout.
//
// Emit 'connection' in the .then() itself: between resolution and the server attaching its own
// 'error' listener the socket has none. The server's own timers (TLS handshake, request
// headers) start at that emit, after the PROXY header's time.
//
//   acceptProxyHeader(socket, { timeoutMs, isTrusted }).then(
//     () => server.emit('connection', socket),
//     (err: ProxyHeaderRejected) => metrics.proxyProtocolErrors.inc({ reason: err.reason }));
//
// Per request: for HTTP, `req.socket` is the raw socket itself. For HTTPS, `req.socket` is the
// TLSSocket that tls.Server created around the raw socket, and Node keeps the raw one as its
// `_parent` (checked on Node 24: `tlsSocket._parent === rawSocket`). proxiedPeer() looks in both
// places, so it answers for either socket.
import type { Socket } from 'node:net';
import { Errors, SluiceError } from '../../errors.js';
import { NOT_A_PROXY_HEADER, parseProxyHeader, type ProxiedEndpoint, type ProxyHeader } from './proxy-header.js';

export { NOT_A_PROXY_HEADER, parseProxyHeader, type ProxiedEndpoint, type ProxyHeader, type ProxyParseResult } from './proxy-header.js';

/** Why a connection was closed; low-cardinality, for the sluice_proxy_protocol_errors_total label. */
export type ProxyRejectReason =
  /** The peer is not in --trusted-proxies. */
  | 'untrusted'
  /** The connection began with something that is not a PROXY header (plain HTTP, TLS, junk). */
  | 'missing'
  /** A PROXY header that breaks the spec. */
  | 'malformed'
  /** No complete header within the timeout. */
  | 'timeout'
  /** The peer closed or reset the connection before the header was complete. */
  | 'closed';

export class ProxyHeaderRejected extends SluiceError {
  readonly reason: ProxyRejectReason;
  constructor(reason: ProxyRejectReason, peer: string, detail: string) {
    super(Errors.ProxyProtocolRejected.code, Errors.ProxyProtocolRejected.message(peer, detail));
    this.reason = reason;
  }
}

export interface AcceptProxyHeaderOptions {
  /** Milliseconds the peer has, from the call, to send a complete header. */
  readonly timeoutMs: number;
  /** Whether the TCP peer (socket.remoteAddress, possibly "::ffff:a.b.c.d") may send PROXY headers. */
  isTrusted(address: string): boolean;
}

/**
 * Consumes exactly the PROXY header from a just-accepted socket and resolves with it; for a
 * `proxy` header, proxiedPeer(socket) then returns its source. On an untrusted peer, a missing or
 * malformed header, a timeout or an early close, the socket is destroyed and the promise rejects
 * with a ProxyHeaderRejected. Leaves no timer and none of its listeners behind (a destroyed
 * socket keeps one no-op 'error' listener, so a late error cannot crash the process).
 */
export function acceptProxyHeader(socket: Socket, options: AcceptProxyHeaderOptions): Promise<ProxyHeader> {
  const peer = socket.remoteAddress;
  if (peer === undefined) {
    socket.destroy();
    return Promise.reject(new ProxyHeaderRejected('closed', 'unknown peer', 'the connection closed before it was read'));
  }
  if (!options.isTrusted(peer)) {
    socket.destroy();
    return Promise.reject(new ProxyHeaderRejected('untrusted', peer, 'the peer is not in --trusted-proxies'));
  }
  return new Promise<ProxyHeader>((resolve, reject) => {
    // A header normally arrives in one segment and is parsed in place; only a split one is
    // copied into `pending`, which grows by doubling, so even 1-byte segments cost linear time.
    let pending: Buffer | undefined;
    let pendingLength = 0;

    const finish = (): void => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
    };
    const fail = (reason: ProxyRejectReason, detail: string): void => {
      finish();
      // A late error event from the dying socket must not become an uncaught exception.
      socket.on('error', ignore);
      socket.destroy();
      reject(new ProxyHeaderRejected(reason, peer, detail));
    };

    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        let received = chunk;
        if (pending !== undefined) {
          pending = append(pending, pendingLength, chunk);
          pendingLength += chunk.length;
          received = pending.subarray(0, pendingLength);
        }
        const result = parseProxyHeader(received);
        if (result.kind === 'incomplete') {
          if (pending === undefined) {
            pending = append(undefined, 0, chunk);
            pendingLength = chunk.length;
          }
          continue;
        }
        if (result.kind === 'error') {
          fail(result.reason === NOT_A_PROXY_HEADER ? 'missing' : 'malformed', result.reason);
          return;
        }
        finish();
        if (result.consumed < received.length) socket.unshift(received.subarray(result.consumed));
        if (result.header.command === 'proxy') peers.set(socket, result.header);
        resolve(result.header);
        return;
      }
    };
    const onEnd = (): void => fail('closed', 'the peer closed the connection before the header was complete');
    const onClose = (): void => fail('closed', 'the connection closed before the header was complete');
    const onError = (err: Error): void => fail('closed', `the connection failed before the header was complete: ${err.message}`);
    const timer = setTimeout(() => fail('timeout', `no complete header within ${options.timeoutMs} ms`), options.timeoutMs);
    timer.unref();

    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

function ignore(): void {}

/** buffer[0, length) followed by chunk, in buffer itself when it has room, else in a buffer twice as big. */
function append(buffer: Buffer | undefined, length: number, chunk: Buffer): Buffer {
  const needed = length + chunk.length;
  let target = buffer;
  if (target === undefined || target.length < needed) {
    target = Buffer.allocUnsafe(Math.max(needed, 2 * (buffer?.length ?? 64)));
    buffer?.copy(target, 0, 0, length);
  }
  chunk.copy(target, length);
  return target;
}

const peers = new WeakMap<Socket, Extract<ProxyHeader, { command: 'proxy' }>>();

/** The `proxy` header read on this connection (raw socket or the TLSSocket around it), if any. */
function proxyHeaderOf(socket: Socket): Extract<ProxyHeader, { command: 'proxy' }> | undefined {
  const direct = peers.get(socket);
  if (direct !== undefined) return direct;
  const parent = (socket as { _parent?: Socket | null })._parent;
  return parent ? peers.get(parent) : undefined;
}

/**
 * The client a PROXY header named for this connection, or undefined (no header, or a LOCAL /
 * UNKNOWN one: use socket.remoteAddress). Accepts the raw socket or the TLSSocket around it.
 */
export function proxiedPeer(socket: Socket): ProxiedEndpoint | undefined {
  return proxyHeaderOf(socket)?.source;
}

/** Where the client connected to, as the PROXY header says (the load balancer's address), or undefined. */
export function proxiedDestination(socket: Socket): ProxiedEndpoint | undefined {
  return proxyHeaderOf(socket)?.destination;
}
