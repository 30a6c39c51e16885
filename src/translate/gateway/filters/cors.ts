// CORS (HTTPRoute filter, Gateway API v1.6 HTTPCORSFilter) → the rule's CorsPolicy, served by the
// same data-plane rules as a RoutePolicy's cors. Where the two differ, the filter follows the
// Gateway API spec rather than RoutePolicy's stricter reading:
// - "*" may be combined with allowCredentials (origins, methods, headers): the data plane then
//   echoes the request's origin, method and headers instead of answering "*"; a "*" in
//   exposeHeaders is dropped with credentials (browsers would read it as a header named "*").
// - allowMethods may be empty (only the CORS-safelisted GET, HEAD, POST then), maxAge is whole
//   seconds with the spec's default of 5, origins must be http or https.
// Values the CRD would refuse (in file mode no apiserver checked them) reject the route
// (Accepted=False, UnsupportedValue), like any other invalid filter.
import type { HTTPCORSFilter } from '../../../api/gateway.js';
import type { CorsPolicy } from '../../../table/types.js';
import { headerNameProblem } from '../../policy/names.js';
import { NO_EFFECT, type FilterContext, type FilterTranslator } from './filter.js';

/** The spec's default Access-Control-Max-Age. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 5;
const MAX_ITEMS = { allowOrigins: 64, allowMethods: 9, allowHeaders: 64, exposeHeaders: 64 } as const;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*']);
/** The CRD's CORSOrigin: "*", or http(s)://host[:port] where the host may be "*" or start with "*.". */
const ORIGIN = /^https?:\/\/((\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+|\*)(:([0-9]{1,5}))?$/;
const INT32_MAX = 2 ** 31 - 1;

function originProblem(origin: string): string | undefined {
  if (origin === '*') return undefined;
  if (origin.length > 253) return 'must be at most 253 characters';
  const m = ORIGIN.exec(origin);
  if (!m) return 'is not an origin ("https://app.example.com", "https://*.example.com", "http://*:8080" or "*")';
  if (m[5] !== undefined && (Number(m[5]) < 1 || Number(m[5]) > 65535)) return 'has a port outside 1 to 65535';
  return undefined;
}

const methodProblem = (m: string) => (METHODS.has(m) ? undefined : 'is not one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH or "*"');
const headerProblem = (h: string) => (h === '*' ? undefined : headerNameProblem(h));

/** One list field: strings, each checked, duplicates dropped, "*" only alone; problems reported. */
function list(f: HTTPCORSFilter, name: keyof typeof MAX_ITEMS, check: (s: string) => string | undefined, c: FilterContext): string[] {
  const value: unknown = f[name];
  if (value === undefined) return [];
  const where = `${c.where}.cors.${name}`;
  if (!Array.isArray(value)) {
    c.problems.unsupportedValue(`${where} must be a list`);
    return [];
  }
  if (value.length > MAX_ITEMS[name]) c.problems.unsupportedValue(`${where} has more than ${MAX_ITEMS[name]} entries`);
  const out: string[] = [];
  value.forEach((v: unknown, i) => {
    const problem = typeof v === 'string' ? check(v) : 'must be a string';
    if (problem !== undefined) return c.problems.unsupportedValue(`${where}[${i}] ${JSON.stringify(v)} ${problem}`);
    if (!out.includes(v as string)) out.push(v as string);
  });
  if (out.includes('*') && out.length > 1) c.problems.unsupportedValue(`${where} cannot contain "*" alongside other values`);
  return out;
}

export function readCorsFilter(f: HTTPCORSFilter, c: FilterContext): CorsPolicy {
  // Scheme and host are compared as browsers serialize them: lower-case.
  const allowOrigins = list(f, 'allowOrigins', (o) => originProblem(o.toLowerCase()), c).map((o) => o.toLowerCase());
  const allowMethods = list(f, 'allowMethods', methodProblem, c);
  const allowHeaders = list(f, 'allowHeaders', headerProblem, c).map((h) => h.toLowerCase());
  const exposed = list(f, 'exposeHeaders', headerProblem, c).map((h) => h.toLowerCase());
  const credentials: unknown = f.allowCredentials;
  if (credentials !== undefined && typeof credentials !== 'boolean') c.problems.unsupportedValue(`${c.where}.cors.allowCredentials ${JSON.stringify(credentials)} is not true or false`);
  const allowCredentials = credentials === true;
  const maxAge: unknown = f.maxAge ?? DEFAULT_CORS_MAX_AGE_SECONDS;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 1 || maxAge > INT32_MAX) {
    c.problems.unsupportedValue(`${c.where}.cors.maxAge ${JSON.stringify(maxAge)} must be a whole number of seconds, at least 1`);
  }
  return {
    allowOrigins,
    allowMethods,
    allowHeaders,
    exposeHeaders: allowCredentials ? exposed.filter((h) => h !== '*') : exposed,
    maxAgeSeconds: typeof maxAge === 'number' ? maxAge : DEFAULT_CORS_MAX_AGE_SECONDS,
    allowCredentials,
  };
}

export const corsFilter: FilterTranslator = (f, c) => {
  if (!f.cors || typeof f.cors !== 'object') {
    c.problems.unsupportedValue(`${c.where}: cors is missing`);
    return NO_EFFECT;
  }
  return { cors: readCorsFilter(f.cors, c) };
};
