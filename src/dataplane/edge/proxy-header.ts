// PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2): the encoder Sluice
// writes to backends that want one (BackendTrafficPolicy proxyProtocol, L4), and the parser for
// what a load balancer in front of Sluice sends. The parser is pure and incremental: feed it everything received so far; it says "incomplete" until the header is
// whole, and rejects as early as the bytes allow (plain HTTP or a TLS ClientHello fails on the
// first byte), so a socket reader never waits for bytes that cannot make a valid header.
import { isIPv4, isIPv6, SocketAddress } from 'node:net';

export interface ProxiedEndpoint {
  /** IPv4 dotted quad or canonical (RFC 5952, as Node prints socket.remoteAddress) IPv6. */
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/**
 * `proxy`: the connection was relayed for `source`. `local`: use the real peer (v1 UNKNOWN, v2
 * LOCAL health checks, and v2 families Sluice cannot use as a client address: UNSPEC, UNIX, DGRAM).
 */
export type ProxyHeader =
  | { readonly command: 'proxy'; readonly version: 1 | 2; readonly source: ProxiedEndpoint; readonly destination: ProxiedEndpoint }
  | { readonly command: 'local'; readonly version: 1 | 2 };

export type ProxyParseResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'error'; readonly reason: string }
  | { readonly kind: 'ok'; readonly header: ProxyHeader; readonly consumed: number };

/** v1 lines are at most 107 bytes including CRLF (the spec's worst case, UNKNOWN with IPv6). */
export const V1_MAX_BYTES = 107;
/** v2 headers are 16 bytes plus a 16-bit length. */
export const V2_MAX_BYTES = 16 + 0xffff;

/** The reason for input that starts like neither version: the peer speaks HTTP, TLS, or junk. */
export const NOT_A_PROXY_HEADER = 'not a PROXY protocol header';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

const INCOMPLETE: ProxyParseResult = Object.freeze({ kind: 'incomplete' });

function error(reason: string): ProxyParseResult {
  return { kind: 'error', reason };
}

function ok(header: ProxyHeader, consumed: number): ProxyParseResult {
  return { kind: 'ok', header, consumed };
}

/** Whether the first min(buf.length, expected.length) bytes equal expected's. */
function startsLike(buf: Buffer, expected: Buffer): boolean {
  const n = Math.min(buf.length, expected.length);
  return buf.compare(expected, 0, n, 0, n) === 0;
}

/** Parses a PROXY header at the start of buf (all bytes received so far on the connection). */
export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  if (buf[0] === V2_SIGNATURE[0]) return startsLike(buf, V2_SIGNATURE) ? parseV2(buf) : error(NOT_A_PROXY_HEADER);
  if (buf[0] === V1_PREFIX[0]) return startsLike(buf, V1_PREFIX) ? parseV1(buf) : error(NOT_A_PROXY_HEADER);
  return error(NOT_A_PROXY_HEADER);
}

// ---- version 1: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n" -------------------------------

function parseV1(buf: Buffer): ProxyParseResult {
  // Find CRLF within the first 107 bytes; a lone CR or LF, or any byte outside printable
  // US-ASCII, is malformed (the spec forbids tolerating a single CR or LF).
  const scanEnd = Math.min(buf.length, V1_MAX_BYTES);
  let cr = -1;
  for (let i = V1_PREFIX.length; i < scanEnd; i++) {
    const b = buf[i]!;
    if (b === CR) {
      if (i + 1 >= V1_MAX_BYTES) return error('v1 line longer than 107 bytes');
      if (i + 1 >= buf.length) return INCOMPLETE;
      if (buf[i + 1] !== LF) return error('v1 line has a CR without LF');
      cr = i;
      break;
    }
    if (b === LF) return error('v1 line has an LF without CR');
    if (b < 0x20 || b > 0x7e) return error('v1 line has a byte that is not printable US-ASCII');
  }
  if (cr === -1) return buf.length >= V1_MAX_BYTES ? error('v1 line longer than 107 bytes') : INCOMPLETE;

  const fields = buf.toString('latin1', V1_PREFIX.length, cr).split(' ');
  const consumed = cr + 2;
  const protocol = fields[0];
  // UNKNOWN: the receiver must ignore the rest of the line and use the real connection.
  if (protocol === 'UNKNOWN') return ok({ command: 'local', version: 1 }, consumed);
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return error('v1 protocol is not TCP4, TCP6 or UNKNOWN');
  if (fields.length !== 5) return error('v1 line needs exactly 4 fields after the protocol, separated by single spaces');
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6';
  const source = v1Address(fields[1]!, family);
  const destination = v1Address(fields[2]!, family);
  if (source === undefined || destination === undefined) return error(`v1 address is not a valid ${family} address`);
  const sourcePort = v1Port(fields[3]!);
  const destinationPort = v1Port(fields[4]!);
  if (sourcePort === -1 || destinationPort === -1) return error('v1 port is not a decimal 0-65535 without leading zeros');
  return ok(
    {
      command: 'proxy',
      version: 1,
      source: { address: source, port: sourcePort, family },
      destination: { address: destination, port: destinationPort, family },
    },
    consumed,
  );
}

/** The address in canonical form, or undefined if it is not one of the stated family. */
function v1Address(text: string, family: 'IPv4' | 'IPv6'): string | undefined {
  // node's isIPv4 refuses leading zeros (no octal ambiguity); isIPv6 accepts a zone ("%eth0"),
  // which has no meaning on the wire.
  if (family === 'IPv4') return isIPv4(text) ? text : undefined;
  return isIPv6(text) && !text.includes('%') ? canonicalIPv6(text) : undefined;
}

/** 0-65535 in decimal, no sign, no leading zero; -1 otherwise. */
function v1Port(text: string): number {
  if (text.length === 0 || text.length > 5) return -1;
  if (text.length > 1 && text.charCodeAt(0) === 0x30) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value <= 0xffff ? value : -1;
}

// ---- version 2: 12-byte signature, ver/cmd, family/protocol, length, addresses, TLVs ----------

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const FAMILY_UNSPEC = 0x0;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;
const PROTOCOL_UNSPEC = 0x0;
const PROTOCOL_STREAM = 0x1;
const PROTOCOL_DGRAM = 0x2;
/** Bytes of the address block per family: two addresses, then two ports for INET/INET6. */
const ADDRESS_BYTES = [0, 4 + 4 + 2 + 2, 16 + 16 + 2 + 2, 108 + 108] as const;

function parseV2(buf: Buffer): ProxyParseResult {
  // Check each byte as soon as it is there, so junk after the signature fails at once.
  if (buf.length <= 12) return INCOMPLETE;
  const version = buf[12]! >> 4;
  const command = buf[12]! & 0x0f;
  if (version !== 2) return error('v2 version is not 2');
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return error('v2 command is neither LOCAL nor PROXY');
  if (buf.length <= 13) return INCOMPLETE;
  const family = buf[13]! >> 4;
  const protocol = buf[13]! & 0x0f;
  if (family > FAMILY_UNIX) return error('v2 address family is not UNSPEC, INET, INET6 or UNIX');
  if (protocol > PROTOCOL_DGRAM) return error('v2 transport protocol is not UNSPEC, STREAM or DGRAM');
  if (buf.length < 16) return INCOMPLETE;
  const length = buf.readUInt16BE(14);
  const consumed = 16 + length;
  if (buf.length < consumed) return INCOMPLETE;

  // LOCAL: "discard the protocol block including the family". UNSPEC: "ignore address information".
  if (command === COMMAND_LOCAL || family === FAMILY_UNSPEC || protocol === PROTOCOL_UNSPEC) {
    return ok({ command: 'local', version: 2 }, consumed);
  }
  const addressBytes = ADDRESS_BYTES[family]!;
  if (length < addressBytes) return error('v2 length is shorter than the address block of its family');
  const tlvProblem = checkTlvs(buf, 16 + addressBytes, consumed);
  if (tlvProblem !== undefined) return error(tlvProblem);
  // UNIX paths and datagram addresses say nothing usable about a TCP client: use the real peer.
  if (family === FAMILY_UNIX || protocol !== PROTOCOL_STREAM) return ok({ command: 'local', version: 2 }, consumed);

  // Address block offsets (from the start of the header) of the two TCP families left here.
  const v4 = family !== FAMILY_INET6;
  const read = v4 ? ipv4At : ipv6At;
  const [source, destination, sourcePort] = v4 ? [16, 20, 24] : [16, 32, 48];
  const ipFamily = v4 ? 'IPv4' : 'IPv6';
  return ok(
    {
      command: 'proxy',
      version: 2,
      source: { address: read(buf, source), port: buf.readUInt16BE(sourcePort), family: ipFamily },
      destination: { address: read(buf, destination), port: buf.readUInt16BE(sourcePort + 2), family: ipFamily },
    },
    consumed,
  );
}

/**
 * TLVs (type, 16-bit length, value) must tile [start, end) exactly; their content is not used.
 * CRC32C (type 0x03) is not verified: the spec requires that only of receivers supporting it.
 */
function checkTlvs(buf: Buffer, start: number, end: number): string | undefined {
  let at = start;
  while (at < end) {
    if (end - at < 3) return 'v2 TLV header is truncated';
    at += 3 + buf.readUInt16BE(at + 1);
    if (at > end) return 'v2 TLV value runs past the header length';
  }
  return undefined;
}

function ipv4At(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

function ipv6At(buf: Buffer, at: number): string {
  let full = buf.readUInt16BE(at).toString(16);
  for (let i = 2; i < 16; i += 2) full += ':' + buf.readUInt16BE(at + i).toString(16);
  return canonicalIPv6(full);
}

/** The form libuv's inet_ntop gives (what socket.remoteAddress shows): "::1", "::ffff:1.2.3.4". */
function canonicalIPv6(text: string): string {
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

/** An endpoint of a connection as Node reports it ("::ffff:a.b.c.d" is taken as IPv4). */
export interface ConnectionEndpoint {
  readonly address: string;
  readonly port: number;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** The 16 bytes of an IPv6 address (with "::" and an embedded IPv4 tail). */
function ipv6Bytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  const [head, tail] = address.includes('::') ? (address.split('::') as [string, string]) : [address, undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else words.push(parseInt(g, 16));
    }
    return words;
  };
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  first.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  last.forEach((w, i) => out.writeUInt16BE(w, 16 - (last.length - i) * 2));
  return out;
}

/**
 * The header announcing a TCP connection from `source` to `destination`. When the two are not
 * of one address family (or not addresses), v1 says UNKNOWN and v2 LOCAL: the receiver then
 * uses the connection's own addresses, as the spec asks.
 */
export function encodeProxyHeader(version: 1 | 2, source: ConnectionEndpoint, destination: ConnectionEndpoint): Buffer {
  const src = unmapped(source.address);
  const dst = unmapped(destination.address);
  const family = isIPv4(src) && isIPv4(dst) ? 4 : isIPv6(src) && isIPv6(dst) ? 6 : 0;
  if (version === 1) {
    return Buffer.from(family === 0 ? 'PROXY UNKNOWN\r\n' : `PROXY TCP${family} ${src} ${dst} ${source.port} ${destination.port}\r\n`, 'latin1');
  }
  if (family === 0) return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const addresses = family === 4 ? Buffer.from([...src.split('.').map(Number), ...dst.split('.').map(Number)]) : Buffer.concat([ipv6Bytes(src), ipv6Bytes(dst)]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length + 4);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, family === 4 ? 0x11 : 0x21]), length, addresses, ports]);
}
