// What the client asked for, checked and normalized once at the edge, before any routing: the
// request target (origin-form "/p?q", or absolute-form "http://host/p?q" whose authority wins
// over Host, RFC 9112 §3.2.2), a single valid Host, and the normalized path. Everything after
// this (matching, rewrites, the upstream request) uses these facts, never the raw URL.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { hostHeaderCount, isValidHost } from './host.js';
import { normalizePath, type PathOptions } from './normalize-path.js';

export interface InboundRequest {
  readonly method: string;
  /** Normalized path, without the query. */
  readonly path: string;
  /** Raw query string without "?" ('' when none). */
  readonly query: string;
  /** The host the request is for: the absolute-form authority, else the Host header ('' when none). */
  readonly host: string;
  /** Path and query as they go upstream when no filter rewrites them. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

export interface InboundRejection {
  readonly status: 400;
  readonly body: string;
}

const rejection = (body: string): InboundRejection => Object.freeze({ status: 400, body });

export const InboundRejections = {
  duplicateHost: rejection('bad request: more than one Host header\n'),
  invalidHost: rejection('bad request: invalid Host\n'),
  invalidTarget: rejection('bad request: invalid request target\n'),
  badEscape: rejection('bad request: invalid percent-encoding in path\n'),
  escapedSlash: rejection('bad request: encoded slash or backslash in path\n'),
  aboveRoot: rejection('bad request: path climbs above /\n'),
} as const;

/** Length of "http://" or "https://" at the start of an absolute-form target, else 0 (case-insensitive scheme). */
function schemeLength(url: string): number {
  const c = url.charCodeAt(0) | 0x20;
  if (c !== 104 /* h */) return 0;
  const lower = url.slice(0, 8).toLowerCase();
  if (lower.startsWith('http://')) return 7;
  if (lower.startsWith('https://')) return 8;
  return 0;
}

export function readInbound(req: IncomingMessage, options: PathOptions): InboundRequest | InboundRejection {
  const url = req.url ?? '/';
  const hostHeader = req.headers.host;
  if (hostHeader !== undefined) {
    if (hostHeaderCount(req.rawHeaders) > 1) return InboundRejections.duplicateHost;
    if (hostHeader !== '' && !isValidHost(hostHeader)) return InboundRejections.invalidHost;
  }
  let host = hostHeader ?? '';
  let pathStart = 0;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = schemeLength(url);
    if (scheme === 0) return InboundRejections.invalidTarget; // "*", authority-form, garbage
    let end = scheme;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 || c === 63 /* ? */ || c === 35 /* # */) break;
      end++;
    }
    const authority = url.slice(scheme, end);
    if (!isValidHost(authority)) return InboundRejections.invalidHost; // also refuses userinfo ("@")
    host = authority;
    pathStart = end;
  }
  const q = url.indexOf('?', pathStart);
  const rawPath = q === -1 ? (pathStart === 0 ? url : url.slice(pathStart) || '/') : url.slice(pathStart, q) || '/';
  const query = q === -1 ? '' : url.slice(q + 1);
  const path = normalizePath(rawPath, options);
  if (typeof path !== 'string') {
    if (path.rejected === 'bad-escape') return InboundRejections.badEscape;
    if (path.rejected === 'escaped-slash') return InboundRejections.escapedSlash;
    return InboundRejections.aboveRoot;
  }
  const unchanged = pathStart === 0 && path === rawPath;
  const target = unchanged ? url : q === -1 ? path : `${path}?${query}`;
  return { method: req.method ?? 'GET', path, query, host, target, headers: req.headers };
}

export function isRejection(x: InboundRequest | InboundRejection): x is InboundRejection {
  return (x as InboundRejection).status === 400;
}
