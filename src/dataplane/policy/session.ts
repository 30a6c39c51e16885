// Session persistence (Gateway API SessionPersistence, BackendTrafficPolicy sessionPersistence):
// the first answer carries a cookie or header naming the endpoint; requests that bring it back
// go to that endpoint while it is eligible and healthy, else they are re-pinned to another one
// (never an error for that reason). The value names the endpoint by a digest of its address
// (not the address itself), identical in every worker and replica, plus when the session began
// (absoluteTimeout) and, with an idleTimeout, when it was last used.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SessionPersistence } from '../../table/types.js';
import type { UpstreamTarget } from '../balancer/balancer.js';
import { findCookie, setCookie } from './cookies.js';

/** The token of an endpoint: 16 hex digits of SHA-256 of its key. */
export function sessionToken(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A session a request brought: the endpoint token and when the session began (seconds). */
export interface Session {
  readonly token: string;
  readonly issued: number;
}

export class StickySessions {
  readonly config: SessionPersistence;
  private readonly now: () => number;

  constructor(config: SessionPersistence, nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {
    this.config = config;
    this.now = nowSeconds;
  }

  /** The request's session, if it carries one that has not expired. */
  read(headers: IncomingHttpHeaders): Session | undefined {
    const c = this.config;
    const raw = c.type === 'Cookie' ? findCookie(headers.cookie, c.name) : headers[c.name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value) return undefined;
    const [token, issued36, seen36] = value.split('.');
    if (!token || token.length !== 16) return undefined;
    const issued = issued36 ? parseInt(issued36, 36) : NaN;
    if (!Number.isFinite(issued)) return undefined;
    const now = this.now();
    if (c.absoluteTimeoutMs !== undefined && now - issued >= c.absoluteTimeoutMs / 1000) return undefined;
    if (c.idleTimeoutMs !== undefined) {
      const seen = seen36 ? parseInt(seen36, 36) : issued;
      if (!Number.isFinite(seen) || now - seen >= c.idleTimeoutMs / 1000) return undefined;
    }
    return { token, issued };
  }

  /**
   * What the answer must carry: a new session (none, or `kept` undefined) or, with an idle
   * timeout, the same one with its last use moved to now; undefined when nothing changes.
   */
  issue(token: string, kept: Session | undefined, secure: boolean): { readonly name: string; readonly value: string } | undefined {
    const c = this.config;
    if (kept && c.idleTimeoutMs === undefined) return undefined;
    const now = this.now();
    const issued = kept?.issued ?? now;
    const value = c.idleTimeoutMs !== undefined ? `${token}.${issued.toString(36)}.${now.toString(36)}` : `${token}.${issued.toString(36)}`;
    if (c.type === 'Header') return { name: c.name, value };
    const maxAge = c.lifetime === 'Permanent' && c.absoluteTimeoutMs !== undefined ? Math.max(0, Math.ceil(c.absoluteTimeoutMs / 1000) - (now - issued)) : undefined;
    return { name: 'set-cookie', value: setCookie(c.name, value, { secure, ...(maxAge !== undefined ? { maxAge } : {}) }) };
  }
}

/** A cluster's endpoints by session token. */
export function tokensOf(targets: readonly UpstreamTarget[]): ReadonlyMap<string, UpstreamTarget> {
  return new Map(targets.map((t) => [sessionToken(t.key), t] as const));
}
