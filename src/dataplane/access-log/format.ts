// One JSON object per line, fields in a fixed order, compiled once from the field selection
// into a list of small writers (no per-request decisions about which fields to write).
import type { Socket } from 'node:net';
import type { AccessLogField } from './fields.js';
import type { RequestRecord } from './record.js';
import { connectionSocket } from '../edge/version.js';

type Writer = (r: RequestRecord) => string;

/** What JSON must escape (and lone surrogates, which JSON.stringify writes as \u escapes). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const str = (v: string | undefined): string => (v === undefined ? 'null' : NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`);

/** The ISO time of the current millisecond: requests finishing in the same one share the string. */
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
/** Milliseconds with three decimals, from integers (formatting a double is slower). */
function ms(v: number): string {
  const us = Math.round(v * 1000);
  if (!(us >= 0)) return String(Math.round(v * 1000) / 1000);
  const frac = us % 1000;
  const whole = (us - frac) / 1000;
  if (frac === 0) return String(whole);
  const digits = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : String(frac);
  // Trailing zeros dropped, as a JSON number would print them.
  return `${whole}.${digits.charCodeAt(2) === 48 ? (digits.charCodeAt(1) === 48 ? digits.slice(0, 1) : digits.slice(0, 2)) : digits}`;
}
const header = (r: RequestRecord, name: string): string | undefined => {
  const v = r.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

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

const WRITERS: Record<AccessLogField, Writer> = {
  time: isoNow,
  client: (r) => str(r.client ?? r.req.socket?.remoteAddress),
  method: (r) => str(r.req.method),
  host: (r) => str(header(r, ':authority') ?? header(r, 'host')),
  path: (r) => str(rawPath(r.req.url ?? '')),
  query: (r) => str(rawQuery(r.req.url ?? '')),
  protocol: (r) => `"HTTP/${r.req.httpVersion}"`,
  status: (r) => String(r.status),
  bytes_in: (r) => String(bytesIn(r)),
  bytes_out: (r) => String(r.bytesOut),
  duration_ms: (r) => ms(r.ended - r.started),
  upstream: (r) => str(r.upstream),
  upstream_ms: (r) => (r.upstreamMs === undefined ? 'null' : ms(r.upstreamMs)),
  route: (r) => str(r.route),
  cluster: (r) => str(r.cluster),
  request_id: (r) => str(r.requestId ?? header(r, 'x-request-id')),
  user_agent: (r) => str(header(r, 'user-agent')),
  retries: (r) => String(r.retries),
  reason: (r) => str(r.reason),
};

/** A function writing one record as a JSON line (with its newline) carrying exactly `fields`. */
export function compileFormatter(fields: readonly AccessLogField[]): (r: RequestRecord) => string {
  const names = fields.map((f, i) => `${i === 0 ? '{' : ','}"${f}":`);
  const writers = fields.map((f) => WRITERS[f]);
  const n = writers.length;
  return (r) => {
    let line = '';
    for (let i = 0; i < n; i++) line += names[i]! + writers[i]!(r);
    return `${line}}\n`;
  };
}
