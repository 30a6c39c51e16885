// HTTP/2 towards clients. Each data-plane socket keeps its HTTP/1.1 server (timeouts, the
// WebSocket upgrade gate, keep-alive handling) and gets, when HTTP/2 is on, one cleartext
// Http2Server beside it that is never listened on: connections that speak h2 are handed to it —
// TLS connections whose ALPN chose "h2" (HTTPS listeners, --http2) and plain connections that
// open with the HTTP/2 connection preface (prior knowledge: with --http2-cleartext, or on a
// listener that forwards to an h2c backend, as gRPC clients expect). Both servers call
// the same request handler (Node's compat request/response objects). Memory per connection is
// bounded by HTTP/2 flow control (Node sends WINDOW_UPDATE only as the proxy consumes a
// request body) and SETTINGS_MAX_CONCURRENT_STREAMS; on drain every session gets a GOAWAY.
import http2, { type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { RequestListener } from 'node:http';
import type { Socket } from 'node:net';

/** The client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Http2EdgeOptions {
  readonly maxConcurrentStreams: number;
  /** A session without any frame for this long is closed gracefully (GOAWAY). */
  readonly idleMs: number;
}

export class Http2Edge {
  readonly server: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  private draining = false;

  constructor(handler: RequestListener, options: Http2EdgeOptions) {
    this.server = http2.createServer(
      {
        // Streams above the announced limit are refused by nghttp2 (RST_STREAM REFUSED_STREAM).
        settings: { maxConcurrentStreams: options.maxConcurrentStreams },
      },
      handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    this.server.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      // A late error on a dying session must not become an uncaught exception.
      session.on('error', () => session.destroy());
      session.setTimeout(options.idleMs, () => session.close());
      if (this.draining) session.close();
    });
  }

  /** Serves HTTP/2 on a connection (TLS with ALPN h2, or plain with the preface unread). */
  take(socket: Socket): void {
    this.server.emit('connection', socket);
  }

  /** GOAWAY on every session: streams in flight finish, new ones go to another connection. */
  drain(): void {
    this.draining = true;
    for (const session of this.sessions) session.close();
  }

  /** Cuts what is left at the drain deadline. */
  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }
}

/** What a look at a connection's first bytes decided, and the bytes to push back in front of the rest. */
export interface Peeked<T> {
  readonly verdict: T;
  readonly unshift: Buffer;
}

/**
 * Reads a connection's first bytes (after `initial`) until `decide` says what they are, then
 * pushes back what it says, so the next reader sees them unread. Rejects (after destroying the
 * socket) when the peer closes or sends too little within `timeoutMs`.
 */
export function peek<T>(socket: Socket, timeoutMs: number, decide: (seen: Buffer) => Peeked<T> | undefined, initial: Buffer = Buffer.alloc(0)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let seen: Buffer = initial;
    const finish = (): void => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onClose);
    };
    const settle = (): boolean => {
      const d = decide(seen);
      if (!d) return false;
      finish();
      socket.unshift(d.unshift);
      resolve(d.verdict);
      return true;
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        if (settle()) return;
      }
    };
    const onClose = (): void => {
      finish();
      socket.destroy();
      reject(new Error('closed before the first request'));
    };
    const timer = setTimeout(onClose, timeoutMs);
    timer.unref();
    socket.on('close', onClose);
    socket.on('error', onClose);
    if (!(seen.length > 0 && settle())) socket.on('readable', onReadable);
  });
}

/** How far `seen` agrees with the preface: 'no' at the first differing byte, 'partial' while shorter. */
export function prefaceMatch(seen: Buffer): 'yes' | 'no' | 'partial' {
  const n = Math.min(seen.length, H2_PREFACE.length);
  if (!seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return 'no';
  return n < H2_PREFACE.length ? 'partial' : 'yes';
}

/**
 * Whether a plain connection opens with the HTTP/2 preface, its bytes left unread (false as soon
 * as one byte differs, so HTTP/1.1 requests pass at once).
 */
export function sniffPreface(socket: Socket, timeoutMs: number): Promise<boolean> {
  return peek(socket, timeoutMs, (seen) => {
    const m = prefaceMatch(seen);
    return m === 'partial' ? undefined : { verdict: m === 'yes', unshift: seen };
  });
}
