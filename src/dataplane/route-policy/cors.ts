// CORS (RoutePolicy cors, or an HTTPRoute CORS filter): a preflight the policy covers is
// answered here (204, no backend asked); an actual request from an allowed origin gets the
// Access-Control-* response headers; an origin the policy does not allow gets none (the browser
// then refuses). Origins are matched as serialized (lower-case scheme://host[:port], the
// scheme's default port left out): exact, "*", or a wildcard host "scheme://*.suffix[:port]"
// (one or more labels before the suffix) or "scheme://*[:port]" (any host). "*" (origins,
// methods, headers) is answered as "*" only without credentials; with credentials the request's
// own origin, method and headers are echoed, as the Fetch standard ignores "*" there.
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../../table/types.js';
import { addVary } from '../headers.js';
import type { Check, Rejection } from './check.js';

/** Methods a browser sends without asking (CORS-safelisted). */
const SAFELISTED = new Set(['GET', 'HEAD', 'POST']);

/** An origin without its scheme's default port ("https://a.test:443" → "https://a.test"). */
function withoutDefaultPort(origin: string): string {
  if (origin.endsWith(':443') && origin.startsWith('https://')) return origin.slice(0, -4);
  if (origin.endsWith(':80') && origin.startsWith('http://')) return origin.slice(0, -3);
  return origin;
}

const HOST_LABELS = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

export class CorsRules {
  private readonly policy: CorsPolicy;
  private readonly exact: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  /** "https://*.example.com" → ["https://", ".example.com"]; "http://*:8080" → ["http://", ":8080"]. */
  private readonly wildcards: readonly (readonly [string, string])[];
  private readonly methods: ReadonlySet<string>;
  private readonly anyMethod: boolean;
  private readonly headers: ReadonlySet<string>;
  private readonly anyHeader: boolean;
  private readonly allowMethods: string;
  private readonly expose: string;

  constructor(policy: CorsPolicy) {
    this.policy = policy;
    this.anyOrigin = policy.allowOrigins.includes('*');
    this.exact = new Set(policy.allowOrigins.filter((o) => !o.includes('*')).map(withoutDefaultPort));
    this.wildcards = policy.allowOrigins
      .filter((o) => o.includes('://*'))
      .map(withoutDefaultPort)
      .map((o) => [o.slice(0, o.indexOf('*')), o.slice(o.indexOf('*') + 1)] as const);
    this.anyMethod = policy.allowMethods.includes('*');
    this.methods = new Set(policy.allowMethods);
    this.anyHeader = policy.allowHeaders.includes('*');
    this.headers = new Set(policy.allowHeaders);
    this.allowMethods = policy.allowMethods.join(', ');
    this.expose = policy.exposeHeaders.join(', ');
  }

  allows(origin: string): boolean {
    if (this.anyOrigin) return true;
    const o = withoutDefaultPort(origin);
    if (this.exact.has(o)) return true;
    for (const [scheme, suffix] of this.wildcards) {
      // One or more whole labels where the "*" is, and only host characters (no port, no path).
      if (o.length > scheme.length + suffix.length && o.startsWith(scheme) && o.endsWith(suffix) && HOST_LABELS.test(o.slice(scheme.length, o.length - suffix.length))) return true;
    }
    return false;
  }

  /** What Access-Control-Allow-Origin says for an allowed origin. */
  private allowOrigin(origin: string): string {
    return this.anyOrigin && !this.policy.allowCredentials ? '*' : origin;
  }

  /** The answer to a preflight this policy covers; undefined for any other request. */
  preflight(req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders }): Rejection | undefined {
    const origin = req.headers.origin;
    const method = req.headers['access-control-request-method'];
    if (req.method !== 'OPTIONS' || typeof origin !== 'string' || typeof method !== 'string') return undefined;
    const headers: Record<string, string> = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers', 'content-length': '0' };
    const requested = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0);
    const methodOk = this.anyMethod || SAFELISTED.has(method) || this.methods.has(method);
    const headersOk = this.anyHeader || requested.every((h) => this.headers.has(h));
    if (!this.allows(origin) || !methodOk || !headersOk) return { status: 204, headers, body: '', reason: 'cors-preflight-refused' };
    headers['access-control-allow-origin'] = this.allowOrigin(origin);
    if (this.anyMethod) headers['access-control-allow-methods'] = method;
    else if (this.allowMethods) headers['access-control-allow-methods'] = this.allowMethods;
    if (requested.length > 0) headers['access-control-allow-headers'] = this.anyHeader ? requested.join(', ') : this.policy.allowHeaders.join(', ');
    if (this.policy.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(this.policy.maxAgeSeconds);
    if (this.policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    // Ignored by browsers on a preflight, but the Gateway API conformance suite expects it there too.
    if (this.expose) headers['access-control-expose-headers'] = this.expose;
    return { status: 204, headers, body: '', reason: 'cors-preflight' };
  }

  /** Adds the CORS response headers of an actual request (the backend's own CORS headers are replaced). */
  decorate(headers: IncomingHttpHeaders, origin: string | string[] | undefined): void {
    addVary(headers, 'Origin');
    delete headers['access-control-allow-origin'];
    delete headers['access-control-allow-credentials'];
    delete headers['access-control-expose-headers'];
    if (typeof origin !== 'string' || !this.allows(origin)) return;
    headers['access-control-allow-origin'] = this.allowOrigin(origin);
    if (this.policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (this.expose) headers['access-control-expose-headers'] = this.expose;
  }
}

/**
 * A refusal of a later check (401, 403, 429, 503) with the CORS headers an answer from the
 * backend would get, so a browser script can read why it was refused instead of seeing a CORS
 * failure. Preflight answers already carry their own.
 */
export function withCorsHeaders(rules: CorsRules | undefined, r: Rejection, origin: string | string[] | undefined): Rejection {
  if (!rules || r.reason === 'cors-preflight' || r.reason === 'cors-preflight-refused') return r;
  const headers: IncomingHttpHeaders = { ...(r.headers as IncomingHttpHeaders) };
  rules.decorate(headers, origin);
  return { ...r, headers: headers as Rejection['headers'] };
}

/** The admission check answering preflights. */
export function corsPreflightCheck(rules: CorsRules): Check {
  return (a) => rules.preflight(a.req);
}
