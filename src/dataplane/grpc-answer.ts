// The proxy's own answers as a gRPC client needs them. A gRPC client reads the outcome from
// grpc-status, not from the HTTP status, so an answer of the catalog (src/errors.ts: each entry
// names its gRPC status) goes to a request whose content-type is application/grpc* as HTTP 200
// with a trailers-only response: one HEADERS frame carrying grpc-status and grpc-message
// (gRPC-Web: the same headers, with its own content-type).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GrpcStatus } from '../errors.js';
import { endWithoutBody } from './edge/version.js';

/**
 * The gRPC status of an HTTP answer that names none (one Sluice relays, as a forward-auth
 * service's refusal): gRPC's HTTP to gRPC status code mapping (doc/http-grpc-status-mapping.md),
 * the table gRPC clients themselves apply to an intermediary's HTTP error.
 */
export function grpcStatusOfHttp(status: number): GrpcStatus {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

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
const NOT_FOR_GRPC = new Set(['connection', 'content-length', 'content-type', 'content-encoding']);

/** The content-type of the answer: gRPC-Web clients (browsers, through CORS) read only their own. */
function answerType(req: IncomingMessage | undefined): string {
  const type = req?.headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc-web')) return 'application/grpc';
  return type.startsWith('application/grpc-web-text') ? 'application/grpc-web-text' : 'application/grpc-web';
}

export function writeGrpcAnswer(res: ServerResponse, grpcStatus: number, message: string, extra?: Readonly<Record<string, string | readonly string[]>>): void {
  const headers: OutgoingHttpHeaders = { 'content-type': answerType(res.req), 'grpc-status': String(grpcStatus), 'grpc-message': grpcMessage(message) };
  if (extra) for (const name in extra) if (!NOT_FOR_GRPC.has(name)) headers[name] = extra[name] as string | string[];
  endWithoutBody(res, 200, headers);
}
