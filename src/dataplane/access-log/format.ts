// One JSON object per line, fields in a fixed order, compiled once from the field selection
// into a list of small writers (no per-request decisions about which fields to write).
import type { Socket } from 'node:net';
import type { AccessLogField } from './fields.js';
import type { RequestRecord } from './record.js';
import type { LineEncoder } from './line-encoder.js';
import { connectionSocket, isHttp2 } from '../edge/version.js';

type Writer = (r: RequestRecord, out: LineEncoder) => void;

/** The ISO time of the current millisecond, in quotes: requests finishing in the same one share the string. */
let clockMs = 0;
let clockText = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== clockMs) {
    clockMs = now;
    clockText = `"${new Date(now).toISOString()}"`;
  }
  return clockText;
}
/** The first value of a header (Node joins most repeated headers; a few stay arrays). */
const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Where the previous request on each keep-alive connection stopped reading. A WeakMap, not a
 * property on the socket: a socket that changes shape slows every access Node's HTTP code makes.
 */
const readMarks = new WeakMap<Socket, number>();

/** Bytes read from the client connection since its previous request finished (this request's head and body). */
function bytesIn(r: RequestRecord): number {
  // h2: the connection's count, shared by its concurrent streams (an approximation per request).
  const socket = r.req.socket ? connectionSocket(r.req) : null;
  if (!socket) return 0;
  const read = socket.bytesRead;
  const from = readMarks.get(socket) ?? 0;
  readMarks.set(socket, read);
  return read - from;
}

function rawPath(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function rawQuery(url: string): string | undefined {
  const q = url.indexOf('?');
  return q === -1 ? undefined : url.slice(q + 1);
}

// Header names are literal property reads: a computed key would make every read megamorphic.
const WRITERS: Record<AccessLogField, Writer> = {
  time: (_, out) => out.ascii(isoNow()),
  client: (r, out) => out.str(r.client ?? r.req.socket?.remoteAddress),
  method: (r, out) => out.str(r.req.method),
  // Only h2 has :authority: on HTTP/1.1 looking it up would be a miss in a large header object.
  host: (r, out) => out.str(isHttp2(r.req) ? (first(r.req.headers[':authority']) ?? r.req.headers.host) : r.req.headers.host),
  path: (r, out) => out.str(rawPath(r.req.url ?? '')),
  query: (r, out) => out.str(rawQuery(r.req.url ?? '')),
  protocol: (r, out) => out.str(r.req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${r.req.httpVersion}`),
  status: (r, out) => out.int(r.status),
  bytes_in: (r, out) => out.int(bytesIn(r)),
  bytes_out: (r, out) => out.int(r.bytesOut),
  duration_ms: (r, out) => out.ms(r.ended - r.started),
  upstream: (r, out) => out.str(r.upstream),
  upstream_ms: (r, out) => (r.upstreamMs === undefined ? out.ascii('null') : out.ms(r.upstreamMs)),
  route: (r, out) => out.str(r.route),
  cluster: (r, out) => out.str(r.cluster),
  request_id: (r, out) => out.str(r.requestId ?? first(r.req.headers['x-request-id'])),
  user_agent: (r, out) => out.str(r.req.headers['user-agent']),
  retries: (r, out) => out.int(r.retries),
  reason: (r, out) => out.str(r.reason),
};

/** Encodes one record as a JSON line (with its newline) carrying exactly `fields`, into `out` after what it holds. */
export type LineFormatter = (r: RequestRecord, out: LineEncoder) => void;

export function compileFormatter(fields: readonly AccessLogField[]): LineFormatter {
  // Field names are ASCII identifiers: written as they stand.
  const names = fields.map((f, i) => `${i === 0 ? '{' : ','}"${f}":`);
  const writers = fields.map((f) => WRITERS[f]);
  const n = writers.length;
  return (r, out) => {
    for (let i = 0; i < n; i++) {
      out.ascii(names[i]!);
      writers[i]!(r, out);
    }
    out.ascii('}\n');
  };
}
