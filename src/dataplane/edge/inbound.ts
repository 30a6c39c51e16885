// What the client asked for, checked and normalized once at the edge, before any routing: the
// request target (origin-form "/p?q", or absolute-form "http://host/p?q" whose authority wins
// over Host, RFC 9112 §3.2.2), a single valid Host, and the normalized path. Everything after
// this (matching, rewrites, the upstream request) uses these facts, never the raw URL.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Answers, type ProxyAnswer } from '../../errors.js';
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

/** Length of "http://" or "https://" at the start of an absolute-form target, else 0 (case-insensitive scheme). */
function schemeLength(url: string): number {
  const c = url.charCodeAt(0) | 0x20;
  if (c !== 104 /* h */) return 0;
  const lower = url.slice(0, 8).toLowerCase();
  if (lower.startsWith('http://')) return 7;
  if (lower.startsWith('https://')) return 8;
  return 0;
}

export function readInbound(req: IncomingMessage, options: PathOptions): InboundRequest | ProxyAnswer {
  const url = req.url ?? '/';
  // HTTP/2: the authority is the :authority pseudo-header (a Host field only stands in for it).
  const hostHeader = (req.headers[':authority'] as string | undefined) ?? req.headers.host;
  if (hostHeader !== undefined) {
    if (hostHeaderCount(req.rawHeaders) > 1) return Answers.DuplicateHost;
    if (hostHeader !== '' && !isValidHost(hostHeader)) return Answers.InvalidHost;
  }
  let host = hostHeader ?? '';
  let pathStart = 0;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = schemeLength(url);
    if (scheme === 0) return Answers.InvalidTarget; // "*", authority-form, garbage
    let end = scheme;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 || c === 63 /* ? */ || c === 35 /* # */) break;
      end++;
    }
    const authority = url.slice(scheme, end);
    if (!isValidHost(authority)) return Answers.InvalidHost; // also refuses userinfo ("@")
    host = authority;
    pathStart = end;
  }
  const q = url.indexOf('?', pathStart);
  const rawPath = q === -1 ? (pathStart === 0 ? url : url.slice(pathStart) || '/') : url.slice(pathStart, q) || '/';
  const query = q === -1 ? '' : url.slice(q + 1);
  const path = normalizePath(rawPath, options);
  if (typeof path !== 'string') {
    if (path.rejected === 'bad-escape') return Answers.BadEscape;
    if (path.rejected === 'escaped-slash') return Answers.EscapedSlash;
    return Answers.AboveRoot;
  }
  const unchanged = pathStart === 0 && path === rawPath;
  const target = unchanged ? url : q === -1 ? path : `${path}?${query}`;
  return { method: req.method ?? 'GET', path, query, host, target, headers: req.headers };
}

/** Whether readInbound refused the request (its answer is then a 400 of the catalog). */
export function isRefused(x: InboundRequest | ProxyAnswer): x is ProxyAnswer {
  return (x as ProxyAnswer).code !== undefined;
}
