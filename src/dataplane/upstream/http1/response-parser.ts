// An incremental, strict HTTP/1.1 response parser for Sluice's own upstream client (RFC 9112).
// It is fed the socket's chunks as they come and calls back with the head, body pieces (views
// into the chunks: nothing is copied) and the end. It is strict where leniency would let an
// endpoint smuggle a second response or inject a header into the client's answer: obs-fold,
// a Content-Length with Transfer-Encoding, differing Content-Lengths, bytes no header may
// carry (node's writeHead would throw on them) are errors, never guesses.
import type { IncomingHttpHeaders } from 'node:http';
import { connectionTokens, HOP_BY_HOP } from '../../headers.js';
import { INVALID_VALUE, TOKEN } from './syntax.js';

/** Most bytes of a status line plus headers (and of a chunked body's trailers). Envoy allows 60 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Most bytes of one chunk-size line (the size and its extensions). */
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF = Buffer.from('\r\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const DIGITS = /^\d+$/;
const HEX = /^[0-9A-Fa-f]+$/;

export class ResponseProtocolError extends Error {
  readonly code = 'SLUICE_UPSTREAM_PROTOCOL';
  constructor(message: string) {
    super(`invalid upstream response: ${message}`);
  }
}

/** What the head says about the body and the connection after it. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** The end-to-end fields: hop-by-hop ones, and those Connection names, are left out. */
  readonly headers: IncomingHttpHeaders;
  /** The connection may carry another request once this response has ended. */
  readonly keepAlive: boolean;
  /** The endpoint's Keep-Alive timeout hint in ms (0: none). */
  readonly keepAliveHintMs: number;
}

export interface ResponseSink {
  /** The final (non-1xx) head. Returns false when the consumer stopped the exchange: parsing stops. */
  head(head: ResponseHead): boolean;
  /** A piece of the body; false when the consumer stopped the exchange. */
  body(chunk: Buffer): boolean;
  end(trailers: IncomingHttpHeaders | undefined): void;
}

const State = { Head: 0, LengthBody: 1, ChunkSize: 2, ChunkData: 3, ChunkDataEnd: 4, Trailers: 5, CloseBody: 6, Done: 7 } as const;
type State = (typeof State)[keyof typeof State];

function add(into: IncomingHttpHeaders, name: string, value: string): void {
  const prev = into[name];
  if (prev === undefined) into[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else into[name] = [prev, value];
}

/** The hop-by-hop fields the parser reads itself (repeats joined with ", "); the others are dropped. */
interface HopFields {
  connection: string | undefined;
  keepAlive: string | undefined;
  transferEncoding: string | undefined;
}

function joined(prev: string | undefined, value: string): string {
  return prev === undefined ? value : `${prev}, ${value}`;
}

interface KnownField {
  /** As commonly written. */
  readonly written: string;
  readonly lower: string;
  readonly hopByHop: boolean;
}

/**
 * Field names endpoints send most, and every hop-by-hop one, by length: a name written either
 * way is found by comparing in place, and its lower-case constant keys the header object (no
 * substring, lower-casing, token check or set lookup per field).
 */
const KNOWN: readonly (readonly KnownField[] | undefined)[] = (() => {
  const names = ['Date', 'ETag', 'Vary', 'Server', 'Expires', 'Location', 'Set-Cookie', 'Content-Type', 'Cache-Control', 'Accept-Ranges', 'Last-Modified', 'Content-Length', 'Content-Encoding'];
  const hop = ['TE', 'Trailer', 'Upgrade', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'Proxy-Connection', 'Proxy-Authenticate', 'Proxy-Authorization', 'HTTP2-Settings'];
  const byLength: KnownField[][] = [];
  for (const written of [...names, ...hop]) {
    const lower = written.toLowerCase();
    (byLength[written.length] ??= []).push({ written, lower, hopByHop: HOP_BY_HOP.has(lower) });
  }
  return byLength;
})();

function knownField(text: string, at: number, length: number): KnownField | undefined {
  const candidates = KNOWN[length];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    const field = candidates[i]!;
    if (text.startsWith(field.written, at) || text.startsWith(field.lower, at)) return field;
  }
  return undefined;
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Parses the header lines of `text` from `at` (each ended by CRLF, the last one by the end of
 * the text) into lower-cased fields; duplicates become arrays. With `hop`, hop-by-hop fields
 * (RFC 9110 §7.6.1) are read into it, or dropped, instead of going into `into`, which the
 * client's answer is built from: kept apart rather than deleted later, since a delete would
 * turn the header object into a slow dictionary for node's writeHead.
 */
function parseFields(text: string, at: number, into: IncomingHttpHeaders, hop?: HopFields): void {
  const length = text.length;
  while (at < length) {
    let eol = text.indexOf('\r\n', at);
    if (eol < 0) eol = length;
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > eol) {
      const c = text.charCodeAt(at);
      throw new ResponseProtocolError(eol > at && isWhitespace(c) ? 'obsolete line folding' : 'header line without a name');
    }
    const known = knownField(text, at, colon - at);
    let name: string;
    if (known !== undefined) name = known.lower;
    else {
      const raw = text.slice(at, colon);
      if (!TOKEN.test(raw)) throw new ResponseProtocolError('invalid header name');
      name = raw.toLowerCase();
    }
    let from = colon + 1;
    let to = eol;
    while (from < to && isWhitespace(text.charCodeAt(from))) from++;
    while (to > from && isWhitespace(text.charCodeAt(to - 1))) to--;
    const value = text.slice(from, to);
    if (INVALID_VALUE.test(value)) throw new ResponseProtocolError(`invalid character in header ${text.slice(at, colon)}`);
    at = eol + 2;
    if (hop && (known !== undefined ? known.hopByHop : HOP_BY_HOP.has(name))) {
      if (name === 'connection') hop.connection = joined(hop.connection, value);
      else if (name === 'keep-alive') hop.keepAlive = joined(hop.keepAlive, value);
      else if (name === 'transfer-encoding') hop.transferEncoding = joined(hop.transferEncoding, value);
      continue;
    }
    add(into, name, value);
  }
}

/** Drops the fields a Connection header names as hop-by-hop too. */
function dropConnectionNamed(connection: string | string[] | undefined, headers: IncomingHttpHeaders): void {
  const named = connectionTokens(connection);
  if (named) for (const name of named) if (headers[name] !== undefined) delete headers[name];
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The body length a Content-Length header declares; repeated equal values are one (RFC 9110 §8.6). */
function contentLength(value: string | string[]): number {
  if (typeof value === 'string' && value.length > 0 && value.length <= 15 && DIGITS.test(value)) return Number(value);
  let length = -1;
  for (const part of single(value)!.split(',')) {
    const v = part.trim();
    if (!DIGITS.test(v) || v.length > 15) throw new ResponseProtocolError('invalid Content-Length');
    const n = Number(v);
    if (length !== -1 && n !== length) throw new ResponseProtocolError('differing Content-Length values');
    length = n;
  }
  return length;
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  if (value === token) return true;
  for (const t of single(value)!.split(',')) if (t.trim().toLowerCase() === token) return true;
  return false;
}

function keepAliveHint(value: string | string[] | undefined): number {
  if (value === undefined) return 0;
  const m = /(?:^|[,;\s])timeout=(\d+)/i.exec(single(value)!);
  return m ? Number(m[1]) * 1000 : 0;
}

export class ResponseParser {
  private state: State = State.Head;
  /** Bytes of an unfinished head, trailer block or chunk-size line. */
  private pending: Buffer | undefined;
  private remaining = 0;
  /** Where the block collect() returned ends in its chunk, terminator included. */
  private after = 0;
  private keepAlive = false;
  private readonly sink: ResponseSink;
  private noBody: boolean;
  private stopped = false;

  /** `noBody`: the request was HEAD, so no answer carries a body whatever its headers say. */
  constructor(sink: ResponseSink, noBody: boolean) {
    this.sink = sink;
    this.noBody = noBody;
  }

  /** Makes the parser ready for the next response on the same connection (one parser serves them all). */
  reset(noBody: boolean): void {
    this.state = State.Head;
    this.pending = undefined;
    this.remaining = 0;
    this.keepAlive = false;
    this.noBody = noBody;
    this.stopped = false;
  }

  /** The response has ended (the connection may be reused if `reusable`). */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Nothing of the response has been parsed yet (no byte of it arrived). */
  get untouched(): boolean {
    return this.state === State.Head && this.pending === undefined;
  }

  /** The connection can carry the next request: the response ended and said keep-alive. */
  get reusable(): boolean {
    return this.state === State.Done && this.keepAlive;
  }

  /**
   * Feeds bytes from the socket. Returns the bytes left after the end of the response (an
   * endpoint that sends more than it announced: the connection must not be reused), or
   * undefined. Throws ResponseProtocolError on a malformed response.
   */
  feed(data: Buffer): Buffer | undefined {
    let at = 0;
    while (at < data.length && !this.stopped) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(data, at);
          break;
        case State.LengthBody:
          at = this.emitCounted(data, at);
          if (at < 0) return undefined;
          if (this.remaining === 0) this.finish(undefined);
          break;
        case State.ChunkSize:
          at = this.readChunkSize(data, at);
          break;
        case State.ChunkData:
          at = this.emitCounted(data, at);
          if (at < 0) return undefined;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        case State.ChunkDataEnd:
          at = this.readChunkDataEnd(data, at);
          break;
        case State.Trailers:
          at = this.readTrailers(data, at);
          break;
        case State.CloseBody: {
          const piece = at === 0 ? data : data.subarray(at);
          at = data.length;
          if (!this.emit(piece)) return undefined;
          break;
        }
        case State.Done:
          return data.subarray(at);
      }
    }
    return undefined;
  }

  /**
   * The connection closed. A body delimited by the close ends here; any other unfinished
   * response is incomplete (the caller reports the close as an error).
   */
  closed(): boolean {
    if (this.state === State.CloseBody) {
      this.finish(undefined);
      return true;
    }
    return this.state === State.Done;
  }

  /** Stops delivering (the exchange was aborted). */
  stop(): void {
    this.stopped = true;
  }

  /** Emits the next of the `remaining` body bytes found from `at`: the index after them, or -1 when the consumer stopped. */
  private emitCounted(data: Buffer, at: number): number {
    const n = Math.min(this.remaining, data.length - at);
    this.remaining -= n;
    const piece = at === 0 && n === data.length ? data : data.subarray(at, at + n);
    return this.emit(piece) ? at + n : -1;
  }

  private emit(piece: Buffer): boolean {
    if (piece.length === 0) return true;
    if (this.sink.body(piece)) return true;
    this.stopped = true;
    return false;
  }

  private finish(trailers: IncomingHttpHeaders | undefined): void {
    this.state = State.Done;
    this.sink.end(trailers);
  }

  /**
   * Collects bytes up to `terminator`: returns the block before it as latin1 text (no copy or
   * view of the bytes when it is all in `data`), with the index after it in `this.after`, or
   * undefined with everything kept pending.
   */
  private collect(data: Buffer, at: number, terminator: Buffer, limit: number, what: string): string | undefined {
    const prev = this.pending;
    if (prev === undefined) {
      const end = data.indexOf(terminator, at);
      if (end >= 0) {
        if (end - at > limit) throw new ResponseProtocolError(`${what} too large`);
        this.after = end + terminator.length;
        return data.toString('latin1', at, end);
      }
      if (data.length - at > limit) throw new ResponseProtocolError(`${what} too large`);
      this.pending = Buffer.from(data.subarray(at));
      return undefined;
    }
    // Search the joined bytes from just before the seam, so a terminator split across reads is found.
    const joined = Buffer.concat([prev, data.subarray(at)]);
    const end = joined.indexOf(terminator, Math.max(0, prev.length - terminator.length + 1));
    if (end < 0) {
      if (joined.length > limit) throw new ResponseProtocolError(`${what} too large`);
      this.pending = joined;
      return undefined;
    }
    if (end > limit) throw new ResponseProtocolError(`${what} too large`);
    this.pending = undefined;
    this.after = at + (end + terminator.length - prev.length);
    return joined.toString('latin1', 0, end);
  }

  private readHead(data: Buffer, at: number): number {
    const text = this.collect(data, at, CRLF_CRLF, MAX_HEAD_BYTES, 'response head');
    if (text === undefined) return data.length;
    const next = this.after;
    const firstEol = text.indexOf('\r\n');
    const statusLine = firstEol < 0 ? text : text.slice(0, firstEol);
    const minor = statusLine.startsWith('HTTP/1.1 ') ? 1 : statusLine.startsWith('HTTP/1.0 ') ? 0 : -1;
    const code = statusLine.slice(9, 12);
    if (minor < 0 || !DIGITS.test(code) || code.length !== 3 || (statusLine.length > 12 && statusLine[12] !== ' ')) throw new ResponseProtocolError('invalid status line');
    const status = Number(code);
    if (status < 100) throw new ResponseProtocolError('invalid status code');
    const reason = statusLine.length > 13 ? statusLine.slice(13) : '';
    if (INVALID_VALUE.test(reason)) throw new ResponseProtocolError('invalid reason phrase');
    const headers: IncomingHttpHeaders = {};
    const hop: HopFields = { connection: undefined, keepAlive: undefined, transferEncoding: undefined };
    if (firstEol >= 0) parseFields(text, firstEol + 2, headers, hop);
    // Interim answers (100 Continue, 103 Early Hints) are not relayed; the final one follows.
    if (status < 200 && status !== 101) return next;
    if (status === 101) throw new ResponseProtocolError('101 Switching Protocols to a request that asked no upgrade');
    const connection = hop.connection;
    dropConnectionNamed(connection, headers);
    const close = connection !== undefined && connection !== 'keep-alive' && hasToken(connection, 'close');
    this.keepAlive = close ? false : minor === 1 || hasToken(connection, 'keep-alive');
    const te = hop.transferEncoding;
    const cl = headers['content-length'];
    const bodyless = this.noBody || status === 204 || status === 304;
    if (te !== undefined && !bodyless) {
      if (cl !== undefined) throw new ResponseProtocolError('both Transfer-Encoding and Content-Length');
      const codings = single(te)!.split(',');
      if (codings[codings.length - 1]!.trim().toLowerCase() === 'chunked') this.state = State.ChunkSize;
      else {
        this.state = State.CloseBody;
        this.keepAlive = false;
      }
    } else if (cl !== undefined) {
      const length = contentLength(cl);
      this.state = bodyless || length === 0 ? State.Done : State.LengthBody;
      this.remaining = length;
    } else if (bodyless) {
      this.state = State.Done;
    } else {
      this.state = State.CloseBody;
      this.keepAlive = false;
    }
    const going = this.sink.head({ status, reason, headers, keepAlive: this.keepAlive, keepAliveHintMs: keepAliveHint(hop.keepAlive) });
    if (!going) {
      this.stopped = true;
      return next;
    }
    if (this.state === State.Done) this.sink.end(undefined);
    return next;
  }

  private readChunkSize(data: Buffer, at: number): number {
    const line = this.collect(data, at, CRLF, MAX_CHUNK_LINE_BYTES, 'chunk size line');
    if (line === undefined) return data.length;
    const semi = line.indexOf(';');
    const size = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!HEX.test(size) || size.length > 12) throw new ResponseProtocolError('invalid chunk size');
    const n = parseInt(size, 16);
    if (n === 0) {
      this.state = State.Trailers;
    } else {
      this.state = State.ChunkData;
      this.remaining = n;
    }
    return this.after;
  }

  private readChunkDataEnd(data: Buffer, at: number): number {
    // The CRLF after a chunk's data, possibly split across reads.
    const block = this.collect(data, at, CRLF, 2, 'chunk end');
    if (block === undefined) return data.length;
    if (block.length !== 0) throw new ResponseProtocolError('chunk data longer than its size');
    this.state = State.ChunkSize;
    return this.after;
  }

  private readTrailers(data: Buffer, at: number): number {
    // The trailer section ends with an empty line; without trailers it is that line alone
    // (possibly split across reads).
    const prev = this.pending;
    const first = prev && prev.length > 0 ? prev[0] : data[at];
    const second = prev ? (prev.length > 1 ? prev[1] : data[at]) : data[at + 1];
    if (first === 13 && second === 10) {
      this.pending = undefined;
      this.finish(undefined);
      return prev ? at + 2 - prev.length : at + 2;
    }
    if (first === 13 && second === undefined) {
      this.pending = Buffer.from([13]);
      return data.length;
    }
    const block = this.collect(data, at, CRLF_CRLF, MAX_HEAD_BYTES, 'trailers');
    if (block === undefined) return data.length;
    const trailers: IncomingHttpHeaders = {};
    parseFields(block, 0, trailers);
    this.finish(trailers);
    return this.after;
  }
}

