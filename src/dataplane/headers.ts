// Header handling on both legs of a proxied request: hop-by-hop headers never cross (RFC 9110
// §7.6.1), and X-Forwarded-* are set (or, from a trusted proxy, kept) as the README says. Route
// filters' header modifiers are data-plane filters (filters/header-modifier.ts).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { randomRequestId } from '../util/request-id.js';

/** Hop-by-hop fields: they describe one connection and never cross the proxy (either way). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // RFC 9113 §3.2.1: connection-specific; an h2c upgrade is never passed on (Sluice proxies such
  // a request as plain HTTP/1.1).
  'http2-settings',
]);

/**
 * Headers Sluice sets itself. An untrusted client's own copies are dropped (XFF is appended to
 * instead); a trusted proxy's X-Forwarded-Proto/-Host/-Port and Forwarded are kept.
 */
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'host', 'forwarded']);

/** Sluice's alone, from the verified client certificate: a client's own is always dropped, even from a trusted proxy. */
const CLIENT_CERT = 'x-forwarded-client-cert';

/** Extra hop-by-hop names a Connection header lists ("close" and "keep-alive" are tokens, not names). */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === 'keep-alive' || text === 'close' || text === 'Keep-Alive' || text === 'Close') return undefined;
  const tokens = new Set<string>();
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

export interface ForwardedFacts {
  /** The client address (X-Real-IP): the peer, or what a trusted proxy said. */
  readonly clientIp: string;
  /** The TCP peer (or PROXY protocol source), appended to X-Forwarded-For. */
  readonly peer: string;
  /** The peer is a trusted proxy: its X-Forwarded-Proto/-Host/-Port and Forwarded are kept. */
  readonly trustedPeer: boolean;
  readonly proto: 'http' | 'https';
  readonly port: number;
  /** Host to send upstream (the client's, or a rewrite's). */
  readonly host: string;
  /** The client's Host header value, for X-Forwarded-Host. */
  readonly originalHost: string;
  /** X-Forwarded-Client-Cert of a verified client certificate (edge/client-certificate.ts). */
  readonly clientCert?: string | undefined;
}

/** A Forwarded (RFC 7239) node for an address: IPv6 quoted and bracketed. */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

/**
 * The request headers to send upstream, as undici's flat [name, value, ...] array: the client's
 * headers minus hop-by-hop, Host as given, X-Forwarded-For appended, the others set (or, from a
 * trusted proxy, kept).
 */
export function upstreamRequestHeaders(req: IncomingMessage, f: ForwardedFacts): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  const out: string[] = ['host', f.host];
  let xff: string | undefined;
  let requestId: string | undefined;
  let proto: string | undefined;
  let forwardedHost: string | undefined;
  let forwardedPort: string | undefined;
  let forwarded: string | undefined;
  let cookieAt = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not headers upstream.
    if (name.charCodeAt(0) === 58 /* : */) continue;
    // h2 may split Cookie into several fields; HTTP/1.1 allows one (RFC 9113 §8.2.3).
    if (name === 'cookie') {
      if (cookieAt === -1) cookieAt = out.push(name, value) - 1;
      else out[cookieAt] = `${out[cookieAt]}; ${value}`;
      continue;
    }
    if (HOP_BY_HOP.has(name) || extra?.has(name)) {
      // "TE: trailers" is the one TE value that may be forwarded.
      if (name === 'te' && value.trim().toLowerCase() === 'trailers') out.push('te', 'trailers');
      continue;
    }
    if (FORWARDED.has(name)) {
      if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
      else if (f.trustedPeer) {
        if (name === 'x-forwarded-proto') proto ??= value;
        else if (name === 'x-forwarded-host') forwardedHost ??= value;
        else if (name === 'x-forwarded-port') forwardedPort ??= value;
        else if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
      }
      continue;
    }
    if (name === CLIENT_CERT) continue;
    if (name === 'x-request-id') requestId = value;
    out.push(name, value);
  }
  out.push(
    'x-forwarded-for', xff === undefined ? f.peer : `${xff}, ${f.peer}`,
    'x-forwarded-proto', proto ?? f.proto,
    'x-forwarded-host', forwardedHost ?? f.originalHost,
    'x-forwarded-port', forwardedPort ?? String(f.port),
    'x-real-ip', f.clientIp,
  );
  // Only a trusted proxy's Forwarded is passed on, extended by this hop like X-Forwarded-For.
  if (forwarded !== undefined) out.push('forwarded', `${forwarded}, for=${forwardedNode(f.peer)};proto=${f.proto}`);
  if (requestId === undefined) out.push('x-request-id', randomRequestId());
  if (f.clientCert !== undefined) out.push(CLIENT_CERT, f.clientCert);
  return out;
}

/** Removes hop-by-hop headers from an upstream response's header object, in place. */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const extra = connectionTokens(headers.connection);
  // Only names that are there are deleted: Sluice's own client hands over headers without them,
  // and a delete of each absent name cost more than looking at the few present.
  for (const name in headers) if (HOP_BY_HOP.has(name) || extra?.has(name)) delete headers[name];
  return headers;
}

/** Adds a field name to an answer's Vary unless it is listed already (or Vary is "*"). */
export function addVary(headers: IncomingHttpHeaders, name: string): void {
  const vary = headers.vary;
  if (vary === undefined || vary === '') {
    headers.vary = name;
    return;
  }
  const text = String(vary);
  if (text === '*') return;
  const lower = name.toLowerCase();
  for (const listed of text.split(',')) if (listed.trim().toLowerCase() === lower || listed.trim() === '*') return;
  headers.vary = `${text}, ${name}`;
}
