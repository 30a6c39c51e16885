// Checks of the names and paths a policy writes into requests and responses: a header, a cookie,
// a query parameter, a cookie path. Each returns why a value is unusable, or undefined.
import { isHeaderName } from '../../table/canonical.js';

/** RFC 6265 cookie-name: an RFC 9110 token (case kept). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A cookie Path attribute: absolute, no ';' (it would end the attribute), no spaces or controls. */
const COOKIE_PATH = /^\/[^;\s\x00-\x1f\x7f]*$/;

export const MAX_NAME_LENGTH = 128;

export function headerNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return `must be 1 to ${MAX_NAME_LENGTH} characters`;
  return isHeaderName(name.toLowerCase()) ? undefined : 'is not a valid HTTP header name';
}

export function cookieNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return `must be 1 to ${MAX_NAME_LENGTH} characters`;
  return TOKEN.test(name) ? undefined : 'is not a valid cookie name (an HTTP token)';
}

export function queryParamNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return `must be 1 to ${MAX_NAME_LENGTH} characters`;
  return /[&=#\s]/.test(name) ? 'must not contain "&", "=", "#" or spaces' : undefined;
}

export function cookiePathProblem(path: string): string | undefined {
  if (path.length > 1024) return 'must be at most 1024 characters';
  return COOKIE_PATH.test(path) ? undefined : 'must start with "/" and contain no ";", spaces or control characters';
}

/** Whether n is a prime (trial division; table sizes are at most a few million). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
