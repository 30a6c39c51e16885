// HTTP/1.1 "Upgrade: h2c" (RFC 7540 §3.2) on HTTP listeners with --http2-cleartext. Node's HTTP/2 server
// has no upgrade path, so Sluice answers 101 itself and hands the connection to the socket's
// Http2Edge with the upgrade request turned into what HTTP/2 makes of it: stream 1, a HEADERS
// frame (END_STREAM, HPACK literals without indexing, so the decoder's table is untouched)
// placed right after the client's preface and first SETTINGS frame. Only requests without a
// body are upgraded (RFC 7540 lets a server ignore the offer; those stay HTTP/1.1), and the
// client's HTTP2-Settings header is not needed: its SETTINGS frame says the same.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { H2_PREFACE, type Http2Edge, peek, prefaceMatch } from './http2.js';

/** The default SETTINGS_MAX_FRAME_SIZE: the synthetic HEADERS frame must fit in one. */
const MAX_FRAME = 16_384;

/** Request headers HTTP/2 does not carry (connection-specific, RFC 9113 §8.2.2) or carries as pseudo-headers. */
const DROPPED = new Set(['connection', 'upgrade', 'http2-settings', 'host', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te']);

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const text = Array.isArray(value) ? value.join(',') : value;
  return text.split(',').some((t) => t.trim().toLowerCase() === token);
}

/** Whether an HTTP/1.1 request is an h2c upgrade Sluice takes: Upgrade h2c, HTTP2-Settings, no body. */
export function isH2cUpgrade(req: IncomingMessage): boolean {
  const h = req.headers;
  if (!hasToken(h.upgrade, 'h2c') || h['http2-settings'] === undefined || !hasToken(h.connection, 'http2-settings')) return false;
  if (h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')) return false;
  let size = 0;
  for (const part of req.rawHeaders) size += part.length + 2;
  return size + (req.url?.length ?? 0) < MAX_FRAME / 2;
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); the prefix bits above N are 0. */
function hpackInt(value: number, prefixBits: number, out: number[]): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(value);
    return;
  }
  out.push(max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  out.push(rest);
}

function hpackLiteral(name: string, value: string, out: number[]): void {
  // 0000 0000: literal header field without indexing, new name (RFC 7541 §6.2.2); no Huffman.
  out.push(0);
  const n = Buffer.from(name, 'latin1');
  hpackInt(n.length, 7, out);
  for (const b of n) out.push(b);
  const v = Buffer.from(value, 'latin1');
  hpackInt(v.length, 7, out);
  for (const b of v) out.push(b);
}

/** Stream 1's HEADERS frame for the upgraded request. */
export function upgradeHeadersFrame(req: IncomingMessage): Buffer {
  const block: number[] = [];
  hpackLiteral(':method', req.method ?? 'GET', block);
  hpackLiteral(':scheme', 'http', block);
  hpackLiteral(':path', req.url ?? '/', block);
  hpackLiteral(':authority', req.headers.host ?? '', block);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (DROPPED.has(name)) {
      if (name === 'te' && raw[i + 1]!.trim().toLowerCase() === 'trailers') hpackLiteral('te', 'trailers', block);
      continue;
    }
    hpackLiteral(name, raw[i + 1]!, block);
  }
  const frame = Buffer.alloc(9 + block.length);
  frame.writeUIntBE(block.length, 0, 3);
  frame[3] = 0x1; // HEADERS
  frame[4] = 0x1 | 0x4; // END_STREAM | END_HEADERS
  frame.writeUInt32BE(1, 5); // stream 1
  Buffer.from(block).copy(frame, 9);
  return frame;
}

/**
 * Answers 101 and, once the client's preface and first SETTINGS frame are in, gives the
 * connection to `h2` with stream 1 inserted behind them. A client that sends anything else,
 * or nothing within `timeoutMs`, is disconnected.
 */
export function acceptH2cUpgrade(h2: Http2Edge, req: IncomingMessage, client: Duplex, head: Buffer, timeoutMs: number): void {
  const socket = client as Socket;
  const stream1 = upgradeHeadersFrame(req);
  const settingsAt = H2_PREFACE.length;
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
  peek<boolean>(
    socket,
    timeoutMs,
    (seen) => {
      const m = prefaceMatch(seen);
      if (m === 'no') return { verdict: false, unshift: seen };
      if (seen.length < settingsAt + 9) return undefined;
      // The first frame after the preface must be SETTINGS (RFC 9113 §3.4).
      if (seen[settingsAt + 3] !== 0x4) return { verdict: false, unshift: seen };
      const end = settingsAt + 9 + seen.readUIntBE(settingsAt, 3);
      if (seen.length < end) return undefined;
      return { verdict: true, unshift: Buffer.concat([seen.subarray(0, end), stream1, seen.subarray(end)]) };
    },
    head,
  ).then(
    (ok) => (ok ? h2.take(socket) : socket.destroy()),
    () => undefined,
  );
}
