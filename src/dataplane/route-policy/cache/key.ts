// What makes two requests "the same" for the cache and for coalescing. The primary key is the
// route, the scheme, the host (lower-case) and the path and query exactly as the router saw them (after the
// edge's normalization, before any rewrite): two routes never share entries. The secondary key
// is the values of the request headers a response's Vary names (RFC 9111 §4.1): absent and empty
// are different, repeated fields are joined with ", ", surrounding whitespace is dropped.
import type { IncomingHttpHeaders } from 'node:http';
import type { Forward } from '../../plan.js';

/** route \0 scheme://host path?query. */
export function primaryKey(plan: Forward): string {
  // plan.facts is the edge's InboundRequest (plan.ts hands it on as is), which knows the host.
  // Host names are case-insensitive (the router ignores case too).
  const host = ((plan.facts as { readonly host?: string }).host ?? '').toLowerCase();
  const f = plan.facts;
  return `${plan.rt.route.id}\0${plan.secure ? 'https' : 'http'}://${host}${f.path}${f.query ? `?${f.query}` : ''}`;
}

/** The lower-case header names a Vary field lists ('*' stays '*'), in order, without repeats. */
export function varyNames(vary: string | string[] | undefined): readonly string[] {
  if (vary === undefined) return NO_NAMES;
  const names: string[] = [];
  for (const part of (typeof vary === 'string' ? vary : vary.join(',')).split(',')) {
    const name = part.trim().toLowerCase();
    if (name && !names.includes(name)) names.push(name);
  }
  return names.length > 0 ? names : NO_NAMES;
}

export const NO_NAMES: readonly string[] = Object.freeze([]);

/** A header's value as Vary compares it; undefined when absent. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(', ') : String(v)).trim();
}

/** The request's values for `names`, as one string (\u0001 marks an absent header). */
export function secondaryKey(headers: IncomingHttpHeaders, names: readonly string[]): string {
  if (names.length === 0) return '';
  let key = '';
  for (const name of names) key += `${headerValue(headers, name) ?? '\u0001'}\0`;
  return key;
}

/** Two requests agree on every header `names` lists. */
export function sameVary(a: IncomingHttpHeaders, b: IncomingHttpHeaders, names: readonly string[]): boolean {
  for (const name of names) if (headerValue(a, name) !== headerValue(b, name)) return false;
  return true;
}

/**
 * Requests the cache and coalescing leave alone (they go upstream as they are): ranges and the
 * conditionals Sluice does not evaluate itself (If-Match, If-Unmodified-Since, If-Range).
 */
export function passThrough(headers: IncomingHttpHeaders): boolean {
  return headers.range !== undefined || headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined || headers['if-range'] !== undefined;
}
