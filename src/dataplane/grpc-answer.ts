// The proxy's own answers as a gRPC client needs them. A gRPC client reads the outcome from
// grpc-status, not from the HTTP status, so an answer of the catalog (src/errors.ts: each entry
// names its gRPC status) goes to a request whose content-type is application/grpc* as HTTP 200
// with a trailers-only response: one HEADERS frame carrying grpc-status and grpc-message.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { endWithoutBody } from './edge/version.js';

/** Whether the request is a gRPC call (application/grpc, application/grpc+proto, ...). */
export function isGrpc(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && type.startsWith('application/grpc');
}

/** grpc-message is percent-encoded (gRPC over HTTP/2: printable ASCII except %, as is). */
function grpcMessage(text: string): string {
  return encodeURIComponent(text.trim()).replace(/%20/g, ' ');
}

/** Headers of a plain answer that mean nothing in a trailers-only gRPC answer. */
const NOT_FOR_GRPC = new Set(['connection', 'content-length', 'content-type']);

export function writeGrpcAnswer(res: ServerResponse, grpcStatus: number, message: string, extra?: Readonly<Record<string, string | readonly string[]>>): void {
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/grpc', 'grpc-status': String(grpcStatus), 'grpc-message': grpcMessage(message) };
  if (extra) for (const name in extra) if (!NOT_FOR_GRPC.has(name)) headers[name] = extra[name] as string | string[];
  endWithoutBody(res, 200, headers);
}
