// The canonical forms the table requires of its values, in one place: translators build values
// with these functions and validate() checks the table against the same rules, so the two can
// never disagree about what a header name or a prefix may look like.
import type { HeaderModifier } from './types.js';

const SLASH = 0x2f;
/** An HTTP field name (RFC 9110 token), lower-cased as the data plane compares them. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

export function isHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

/** Every name a modifier sets, adds or removes that is not a lower-case header name, in order. */
export function invalidHeaderNames(modifier: HeaderModifier): string[] {
  const names = [...(modifier.set ?? []).map((h) => h.name), ...(modifier.add ?? []).map((h) => h.name), ...(modifier.remove ?? [])];
  return names.filter((n) => !isHeaderName(n));
}

/**
 * A prefix path (starting with "/") in the table's form: trailing slashes dropped ("/api/"
 * matches what "/api" matches, element-wise), the root stays "/". Ingress and HTTPRoute
 * prefixes both go through it.
 */
export function canonicalPrefix(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === SLASH) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** Whether a prefix path is already in canonical form. */
export function isCanonicalPrefix(path: string): boolean {
  return canonicalPrefix(path) === path;
}

/**
 * The longest route timeout the data plane can arm: Node timers take at most 2^31 - 1 ms
 * (about 24.8 days) and fire at once on anything larger.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Whether a route timeout can be armed as given: a whole number of ms, 1 to MAX_TIMEOUT_MS. */
export function isTimeout(ms: number): boolean {
  return Number.isInteger(ms) && ms >= 1 && ms <= MAX_TIMEOUT_MS;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why a host name is not a lower-case DNS name (RFC 1123 labels, at most 253 characters), exact
 * or with a leading "*." wildcard; undefined when it is one. Ingress hosts, Gateway API
 * hostnames and the table's virtual hosts are all checked here.
 */
export function dnsNameProblem(name: string): string | undefined {
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  if (name.length === 0 || name.length > 253 || labels.some((l) => !DNS_LABEL.test(l))) return 'is not a valid DNS name (wildcards only as a leading "*.")';
  return undefined;
}
