// Reads the SNI name from the start of a TLS stream without terminating it (RFC 8446 §4.1.2,
// RFC 6066 §3). The bytes collected so far are parsed from the start on every call: the
// ClientHello may span several TLS records (each at most 2^14 bytes) and arrive in any number
// of TCP segments. Only what routing needs is read; the stream is replayed to the backend as it
// came, so nothing here has to be re-encoded. Bounded: the caller stops at MAX_CLIENT_HELLO_BYTES.

/** Largest ClientHello prefix Sluice buffers before giving up (post-quantum key shares fit). */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
/** RFC 8446 §5.1: a plaintext record fragment is at most 2^14 bytes. */
const MAX_RECORD = 1 << 14;

export type RejectReason = 'not_tls' | 'malformed_client_hello' | 'client_hello_too_large';

export type ClientHelloRead =
  /** More bytes are needed. */
  | { readonly kind: 'incomplete' }
  /** A whole ClientHello; serverName is lower-case, undefined when the client sent none. */
  | { readonly kind: 'hello'; readonly serverName: string | undefined }
  | { readonly kind: 'rejected'; readonly reason: RejectReason };

const INCOMPLETE: ClientHelloRead = { kind: 'incomplete' };
const reject = (reason: RejectReason): ClientHelloRead => ({ kind: 'rejected', reason });
const MALFORMED = reject('malformed_client_hello');

/**
 * The handshake bytes carried by the leading handshake records of `data` (record headers
 * stripped, a record not yet complete contributes what has arrived), or a rejection.
 */
function handshakeBytes(data: Buffer, max: number): Buffer | ClientHelloRead {
  const parts: Buffer[] = [];
  let at = 0;
  let total = 0;
  while (at < data.length) {
    if (data[at] !== RECORD_HANDSHAKE) return at === 0 ? reject('not_tls') : MALFORMED;
    if (data.length - at < 5) break;
    const major = data[at + 1]!;
    if (major !== 3) return at === 0 ? reject('not_tls') : MALFORMED;
    const length = data.readUInt16BE(at + 3);
    if (length === 0 || length > MAX_RECORD) return MALFORMED;
    const end = Math.min(data.length, at + 5 + length);
    parts.push(data.subarray(at + 5, end));
    total += end - at - 5;
    if (total > max) return reject('client_hello_too_large');
    if (end < at + 5 + length) break; // the rest of this record has not arrived
    at = end;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** A bounds-checked reader over one ClientHello body. */
class Cursor {
  at = 0;
  private readonly b: Buffer;
  private readonly end: number;
  constructor(b: Buffer, end: number) {
    this.b = b;
    this.end = end;
  }
  left(): number {
    return this.end - this.at;
  }
  u8(): number {
    if (this.left() < 1) throw MALFORMED;
    return this.b[this.at++]!;
  }
  u16(): number {
    if (this.left() < 2) throw MALFORMED;
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  skip(n: number): void {
    if (this.left() < n) throw MALFORMED;
    this.at += n;
  }
  /** A sub-cursor over the next n bytes (and this one moves past them). */
  take(n: number): Cursor {
    if (this.left() < n) throw MALFORMED;
    const c = new Cursor(this.b, this.at + n);
    c.at = this.at;
    this.at += n;
    return c;
  }
  string(n: number): string {
    if (this.left() < n) throw MALFORMED;
    const s = this.b.toString('latin1', this.at, this.at + n);
    this.at += n;
    return s;
  }
}

/** A host name as RFC 6066 carries it: ASCII letters, digits, hyphens and dots, no trailing dot. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function serverNameOf(ext: Cursor): string | undefined {
  const list = ext.take(ext.u16());
  if (ext.left() !== 0) throw MALFORMED;
  let name: string | undefined;
  while (list.left() > 0) {
    const type = list.u8();
    const len = list.u16();
    if (type !== NAME_TYPE_HOST) {
      list.skip(len);
      continue;
    }
    // RFC 6066: at most one name of each type.
    if (name !== undefined || len === 0 || len > 253) throw MALFORMED;
    const lower = list.string(len).toLowerCase();
    if (!HOST_NAME.test(lower)) throw MALFORMED;
    name = lower;
  }
  return name;
}

function parseClientHello(body: Cursor): string | undefined {
  body.skip(2 + 32); // legacy_version, random
  body.skip(body.u8()); // legacy_session_id (≤ 32)
  const suites = body.u16();
  if (suites < 2 || suites % 2 !== 0) throw MALFORMED;
  body.skip(suites);
  const compression = body.u8();
  if (compression < 1) throw MALFORMED;
  body.skip(compression);
  if (body.left() === 0) return undefined; // no extensions at all (TLS 1.2 and older may do that)
  const extensions = body.take(body.u16());
  if (body.left() !== 0) throw MALFORMED;
  let serverName: string | undefined;
  let seenSni = false;
  while (extensions.left() > 0) {
    const type = extensions.u16();
    const ext = extensions.take(extensions.u16());
    if (type !== EXTENSION_SERVER_NAME) continue;
    if (seenSni) throw MALFORMED; // RFC 8446 §4.2: no extension type twice
    seenSni = true;
    serverName = serverNameOf(ext);
  }
  return serverName;
}

/** Reads the ClientHello at the start of `data` (everything the client sent so far). */
export function readClientHello(data: Buffer, max = MAX_CLIENT_HELLO_BYTES): ClientHelloRead {
  if (data.length === 0) return INCOMPLETE;
  const hs = handshakeBytes(data, max);
  if (!Buffer.isBuffer(hs)) return hs as ClientHelloRead;
  if (hs.length < 4) return INCOMPLETE;
  if (hs[0] !== HANDSHAKE_CLIENT_HELLO) return MALFORMED;
  const length = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
  if (length + 4 > max) return reject('client_hello_too_large');
  if (hs.length < length + 4) return INCOMPLETE;
  try {
    return { kind: 'hello', serverName: parseClientHello(cursorAt(hs, 4, length + 4)) };
  } catch (err) {
    if (err === MALFORMED) return MALFORMED;
    throw err;
  }
}

function cursorAt(b: Buffer, start: number, end: number): Cursor {
  const c = new Cursor(b, end);
  c.at = start;
  return c;
}
