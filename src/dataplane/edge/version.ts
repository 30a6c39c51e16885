// What differs per request between HTTP/1.1 and HTTP/2 clients, in one place. Node serves h2
// through compat objects (Http2ServerRequest/Response) that look like IncomingMessage and
// ServerResponse; the differences the proxy must mind: the authority is a pseudo-header, a body
// needs no Content-Length (the HEADERS frame's END_STREAM says there is none), `req.socket` is a
// proxy object rather than the connection's socket, connection-specific response headers are
// refused, there is no reason phrase, and an answer without body is one HEADERS frame.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';

export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** The socket of the client's connection (for h2, the session's: the same object for every stream). */
export function connectionSocket(req: IncomingMessage): Socket {
  if (!isHttp2(req)) return req.socket;
  return ((req as unknown as Http2ServerRequest).stream.session?.socket as Socket | undefined) ?? req.socket;
}

/** An h2 request carries a body unless its HEADERS frame ended the stream. */
export function http2HasBody(req: IncomingMessage): boolean {
  return !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
}

/** The TLS server name the client's connection asked for (undefined: plain, or no SNI). */
export function serverName(req: IncomingMessage): string | undefined {
  const name = (connectionSocket(req) as Socket & { servername?: string | false }).servername;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A complete answer without body: on h2 a single HEADERS frame with END_STREAM (what gRPC calls
 * trailers-only), on HTTP/1.1 the ordinary head.
 */
export function endWithoutBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  res.statusCode = status;
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined) res.setHeader(name, v);
  }
  res.end();
}
