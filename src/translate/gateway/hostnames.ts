// Gateway API hostname rules. Wildcards ("*.example.com") cover one or more leading labels.
// A listener hostname and a route's hostnames intersect as the spec says: the more specific of
// two names that match each other survives.
import { dnsNameProblem } from '../../table/canonical.js';

/** Lower-cases and validates a Gateway API hostname (exact or "*." wildcard, no port, no IP). */
export function checkHostname(value: string): string | undefined {
  const problem = dnsNameProblem(value);
  if (problem) return problem;
  if (value.split('.').every((l) => /^[0-9]+$/.test(l))) return 'must not be an IP address';
  return undefined;
}

function isWildcard(h: string): boolean {
  return h.startsWith('*.');
}

/** True when `pattern` (exact or wildcard) matches `name` (exact or wildcard, as specific or more). */
export function covers(pattern: string, name: string): boolean {
  if (!isWildcard(pattern)) return pattern === name;
  const suffix = pattern.slice(1); // ".example.com"
  if (isWildcard(name)) return name === pattern || name.slice(1).endsWith(suffix);
  return name.endsWith(suffix) && name.length > suffix.length;
}

/**
 * The hostnames a route serves through a listener: undefined listener hostname means any. An
 * empty result means no intersection (NoMatchingListenerHostname). "*" stands for any host.
 */
export function intersect(listener: string | undefined, route: readonly string[]): string[] {
  if (route.length === 0) return [listener ?? '*'];
  if (listener === undefined) return [...route];
  const out = new Set<string>();
  for (const h of route) {
    if (covers(listener, h)) out.add(h);
    else if (covers(h, listener)) out.add(listener);
  }
  return [...out];
}

/** Listener specificity for isolation: exact names beat wildcards, longer wildcards beat shorter. */
export function specificity(listener: string | undefined): number {
  if (listener === undefined) return 0;
  return isWildcard(listener) ? listener.length : 1_000;
}
