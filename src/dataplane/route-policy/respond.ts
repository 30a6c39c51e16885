// Writing a rejection: on an HTTP response, or as a raw HTTP/1.1 answer on an upgrade's socket.
// A request with a body it did not read gets `Connection: close`, so the unread body is never
// taken for the next request and is not read at all; so does every answer while draining.
// A gRPC call gets every rejection as a gRPC status (grpc-answer.ts): a catalog answer with the
// status it names, one Sluice relays (a forward-auth service's) by gRPC's HTTP status mapping.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { hasBody } from '../plan.js';
import { isHttp2 } from '../edge/version.js';
import { grpcStatusOfHttp, isGrpc, writeGrpcAnswer } from '../grpc-answer.js';
import type { Rejection } from './check.js';

/** A relayed plain-text body up to this size becomes the grpc-message; otherwise the status line does. */
const MAX_RELAYED_MESSAGE = 1024;

/** The grpc-message of a rejection: the catalog text, or what a relayed answer says. */
export function grpcMessageOf(r: Rejection): string {
  if (r.grpc !== undefined) return String(r.body);
  const type = r.headers['content-type'];
  const plain = typeof type === 'string' && type.toLowerCase().startsWith('text/plain');
  const text = plain && Buffer.byteLength(r.body) <= MAX_RELAYED_MESSAGE ? String(r.body).trim() : '';
  return text !== '' ? text : `${r.status} ${STATUS_CODES[r.status] ?? ''}`.trim();
}

export function writeRejection(res: ServerResponse, req: IncomingMessage, r: Rejection, draining: boolean): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  if (isGrpc(req)) return writeGrpcAnswer(res, r.grpc ?? grpcStatusOfHttp(r.status), grpcMessageOf(r), r.headers);
  const headers: Record<string, string | readonly string[]> = { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
  // h2 has no Connection header: the stream ends, the connection stays.
  if ((draining || hasBody(req)) && !isHttp2(req)) headers.connection = 'close';
  res.writeHead(r.status, headers as Record<string, string | string[]>);
  res.end(r.body);
}

export function writeRawRejection(socket: Duplex, r: Rejection): void {
  if (socket.destroyed) return;
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n`;
  for (const [name, v] of Object.entries(r.headers)) for (const value of typeof v === 'string' ? [v] : v) head += `${name}: ${value}\r\n`;
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head), body]));
}
