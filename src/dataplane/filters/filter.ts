// The data-plane filter seam. A filter is compiled once per route (or per weighted backend) from
// the table and acts in up to three phases of a request: where it goes (path and Host), the
// upstream request headers, and the upstream response headers before delivery. A route's
// filters are composed into one FilterChain, so the hot path calls at most one function per
// phase and none for phases no filter uses. New filters (CORS, compression, rate limits, auth)
// are new modules here plus a line in registry.ts.
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestFacts } from '../router.js';

/** Where the request goes upstream; the rewrite phase may change both. */
export interface RequestTarget {
  /** Path and query to send. */
  path: string;
  /** Host header to send. */
  host: string;
}

export interface RouteFilter {
  /** Changes where the request goes (URL rewrite); runs before the upstream headers exist. */
  readonly rewrite?: (target: RequestTarget, facts: RequestFacts) => void;
  /** Edits the upstream request headers (flat [name, value, ...]); returns the list to send. */
  readonly requestHeaders?: (headers: string[]) => string[];
  /** Edits the upstream response headers in place before they are delivered. */
  readonly responseHeaders?: (headers: IncomingHttpHeaders) => void;
}

/** A list of filters as one: each phase is one function, or undefined when no filter has it. */
export type FilterChain = RouteFilter;

export const NO_FILTERS: FilterChain = Object.freeze({});

/** Composes filters in order; a phase only the one filter has is that filter's own function. */
export function chain(filters: readonly (RouteFilter | undefined)[]): FilterChain {
  const present = filters.filter((f): f is RouteFilter => f !== undefined);
  const rewrites = present.flatMap((f) => (f.rewrite ? [f.rewrite] : []));
  const requests = present.flatMap((f) => (f.requestHeaders ? [f.requestHeaders] : []));
  const responses = present.flatMap((f) => (f.responseHeaders ? [f.responseHeaders] : []));
  if (rewrites.length + requests.length + responses.length === 0) return NO_FILTERS;
  return {
    ...(rewrites.length === 0 ? {} : { rewrite: rewrites.length === 1 ? rewrites[0] : (t, f) => rewrites.forEach((r) => r(t, f)) }),
    ...(requests.length === 0 ? {} : { requestHeaders: requests.length === 1 ? requests[0] : (h) => requests.reduce((acc, r) => r(acc), h) }),
    ...(responses.length === 0 ? {} : { responseHeaders: responses.length === 1 ? responses[0] : (h) => responses.forEach((r) => r(h)) }),
  };
}
