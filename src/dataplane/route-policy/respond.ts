// Writing a rejection: on an HTTP response, or as a raw HTTP/1.1 answer on an upgrade's socket.
// A request with a body it did not read gets `Connection: close`, so the unread body is never
// taken for the next request and is not read at all; so does every answer while draining.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { hasBody } from '../plan.js';
import { isHttp2 } from '../edge/version.js';
import { isGrpc, writeGrpcAnswer } from '../grpc-answer.js';
import type { Rejection } from './check.js';

export function writeRejection(res: ServerResponse, req: IncomingMessage, r: Rejection, draining: boolean): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  if (r.grpc !== undefined && isGrpc(req)) return writeGrpcAnswer(res, r.grpc, String(r.body), r.headers);
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
