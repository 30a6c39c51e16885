// RFC 9111 arithmetic for a shared cache: whether a response may be stored (§3, §3.5), how long
// it stays fresh (§4.2.1), how old it is (§4.2.3), and whether a stored one may answer a request
// without asking the origin (§4.2, §5.2.1). Pure functions of headers and times (ms, wall clock,
// since Date and Expires are wall-clock times).
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestDirectives, ResponseDirectives } from './cache-control.js';

/**
 * Statuses a shared cache may store and that defaultTTL (heuristic freshness) applies to
 * (RFC 9110 §15.1 "heuristically cacheable", less 206: Sluice does not store partial content).
 */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Also stored, but only with explicit freshness (max-age, s-maxage, Expires). */
const EXPLICIT_ONLY_STATUSES: ReadonlySet<number> = new Set([302, 307]);

/** An HTTP-date in ms; undefined when absent or unreadable. */
export function httpDate(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** True when the response sets explicit freshness: s-maxage, max-age or Expires. */
function explicit(headers: IncomingHttpHeaders, d: ResponseDirectives): boolean {
  return d.sMaxAge !== undefined || d.maxAge !== undefined || headers.expires !== undefined;
}

/**
 * Freshness lifetime in ms (§4.2.1): s-maxage, else max-age, else Expires − Date (an unreadable
 * Expires is already expired), else defaultTtlMs for heuristically cacheable statuses, else 0.
 * `no-cache` makes every use a revalidation: lifetime 0.
 */
export function freshnessLifetimeMs(status: number, headers: IncomingHttpHeaders, d: ResponseDirectives, defaultTtlMs: number, responseTime: number): number {
  if (d.noCache) return 0;
  if (d.sMaxAge !== undefined) return d.sMaxAge * 1000;
  if (d.maxAge !== undefined) return d.maxAge * 1000;
  if (headers.expires !== undefined) {
    const expires = httpDate(headers.expires);
    if (expires === undefined) return 0;
    return Math.max(0, expires - (httpDate(headers.date) ?? responseTime));
  }
  return HEURISTIC_STATUSES.has(status) ? defaultTtlMs : 0;
}

/**
 * The age the response had when it arrived (§4.2.3 corrected_initial_age): the larger of what its
 * Date says (apparent age) and its Age header plus the time the request took.
 */
export function initialAgeMs(headers: IncomingHttpHeaders, requestTime: number, responseTime: number): number {
  const date = httpDate(headers.date);
  const apparent = date === undefined ? 0 : Math.max(0, responseTime - date);
  const ageHeader = typeof headers.age === 'string' && /^\d+$/.test(headers.age.trim()) ? Number(headers.age.trim()) * 1000 : 0;
  return Math.max(apparent, ageHeader + Math.max(0, responseTime - requestTime));
}

export type Unstorable = 'status' | 'no-store' | 'private' | 'set-cookie' | 'vary-star' | 'authorization' | 'no-freshness';

/**
 * Why a response to a GET may not be stored by a shared cache, or undefined when it may.
 * `withAuthorization`: the request carried Authorization (§3.5: only public, s-maxage or
 * must-revalidate let a shared cache store that). A response that sets a cookie is never stored
 * (it would hand one client's session to the next). A response neither fresh for a while nor
 * revalidatable (no ETag, no Last-Modified) is not worth storing.
 */
export function unstorable(status: number, headers: IncomingHttpHeaders, d: ResponseDirectives, withAuthorization: boolean, lifetimeMs: number): Unstorable | undefined {
  if (!HEURISTIC_STATUSES.has(status) && !(EXPLICIT_ONLY_STATUSES.has(status) && explicit(headers, d))) return 'status';
  if (d.noStore) return 'no-store';
  if (d.private) return 'private';
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  if (varyStar(headers.vary)) return 'vary-star';
  if (withAuthorization && !authorizedSharing(d)) return 'authorization';
  if (lifetimeMs <= 0 && headers.etag === undefined && headers['last-modified'] === undefined) return 'no-freshness';
  return undefined;
}

/** §3.5: a stored response may answer a request with Authorization only if one of these said so. */
export function authorizedSharing(d: ResponseDirectives): boolean {
  return d.public || d.sMaxAge !== undefined || d.mustRevalidate;
}

export function varyStar(vary: string | string[] | undefined): boolean {
  if (vary === undefined) return false;
  return (typeof vary === 'string' ? vary : vary.join(',')).split(',').some((n) => n.trim() === '*');
}

/** What a stored response needs to answer from the cache. */
export interface Freshness {
  /** Wall-clock ms when the response arrived (or was last revalidated). */
  readonly responseTime: number;
  /** Its age then (corrected_initial_age). */
  readonly initialAgeMs: number;
  readonly lifetimeMs: number;
}

/** current_age (§4.2.3) at `now`. */
export function currentAgeMs(f: Freshness, now: number): number {
  return f.initialAgeMs + Math.max(0, now - f.responseTime);
}

/**
 * Whether a stored response may answer this request without revalidation: fresh, and within the
 * request's own limits (max-age, min-fresh). A request's no-cache or max-age=0 always asks the
 * origin. Stale responses are never served (no max-stale, stale-while-revalidate, stale-if-error).
 */
export function usableFresh(f: Freshness, r: RequestDirectives, now: number): boolean {
  if (r.noCache || r.maxAge === 0) return false;
  const age = currentAgeMs(f, now);
  if (age >= f.lifetimeMs) return false;
  if (r.maxAge !== undefined && age > r.maxAge * 1000) return false;
  if (r.minFresh !== undefined && f.lifetimeMs - age < r.minFresh * 1000) return false;
  return true;
}
