// CORS (RoutePolicy cors): a preflight the policy covers is answered here (204, no backend
// asked); an actual request from an allowed origin gets the Access-Control-* response headers;
// an origin the policy does not allow gets none (the browser then refuses). Origins are matched
// as serialized (lower-case scheme://host[:port]): exact, "*", or "scheme://*.suffix" (one or
// more labels before the suffix). "*" is answered as "*" only without credentials, which
// translate already refuses to combine.
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../../table/types.js';
import { addVary } from '../headers.js';
import type { Check, Rejection } from './check.js';

/** Methods a browser sends without asking (CORS-safelisted). */
const SAFELISTED = new Set(['GET', 'HEAD', 'POST']);

export class CorsRules {
  private readonly policy: CorsPolicy;
  private readonly exact: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  /** "https://*.example.com" → ["https://", ".example.com"]. */
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
    this.exact = new Set(policy.allowOrigins.filter((o) => !o.includes('*')));
    this.wildcards = policy.allowOrigins.filter((o) => o.includes('://*.')).map((o) => [o.slice(0, o.indexOf('*')), o.slice(o.indexOf('*') + 1)] as const);
    this.anyMethod = policy.allowMethods.includes('*');
    this.methods = new Set(policy.allowMethods);
    this.anyHeader = policy.allowHeaders.includes('*');
    this.headers = new Set(policy.allowHeaders);
    this.allowMethods = policy.allowMethods.join(', ');
    this.expose = policy.exposeHeaders.join(', ');
  }

  allows(origin: string): boolean {
    if (this.anyOrigin || this.exact.has(origin)) return true;
    for (const [scheme, suffix] of this.wildcards) {
      // At least one label before the suffix, and only host characters in it (no port, no path).
      if (origin.length > scheme.length + suffix.length && origin.startsWith(scheme) && origin.endsWith(suffix) && /^[a-z0-9.-]+$/.test(origin.slice(scheme.length, -suffix.length)) && !origin.slice(scheme.length, -suffix.length).startsWith('.')) return true;
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
    headers['access-control-allow-methods'] = this.anyMethod ? method : this.allowMethods;
    if (requested.length > 0) headers['access-control-allow-headers'] = this.anyHeader ? requested.join(', ') : this.policy.allowHeaders.join(', ');
    if (this.policy.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(this.policy.maxAgeSeconds);
    if (this.policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
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

/** The admission check answering preflights. */
export function corsPreflightCheck(rules: CorsRules): Check {
  return (a) => rules.preflight(a.req);
}
