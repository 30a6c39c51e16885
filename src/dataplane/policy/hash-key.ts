// The consistent-hash key of a request (BackendTrafficPolicy loadBalancer.consistentHash), read
// once per request and hashed with stableHash, so every worker and replica maps it alike. A
// Cookie key the request lacks is created here: a random value the answer sets as the cookie,
// so the client's next requests hash the same.
import { randomBytes } from 'node:crypto';
import type { HashKey } from '../../table/types.js';
import { stableHash } from '../balancer/stable-hash.js';
import { findCookie, setCookie } from './cookies.js';
import type { Forward } from '../plan.js';

/** The hashed key of a request, and a Set-Cookie for the answer when Sluice made the key up. */
export interface RequestHash {
  readonly hash: number | undefined;
  readonly setCookie?: string;
}

const NONE: RequestHash = Object.freeze({ hash: undefined });

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The value of query parameter `name` in a raw query string (no URLSearchParams per request). */
export function queryValue(query: string, name: string): string | undefined {
  let at = 0;
  while (at <= query.length) {
    const end = query.indexOf('&', at);
    const stop = end === -1 ? query.length : end;
    const eq = query.indexOf('=', at);
    const nameEnd = eq !== -1 && eq < stop ? eq : stop;
    if (nameEnd - at === name.length && query.startsWith(name, at)) {
      const raw = nameEnd === stop ? '' : query.slice(nameEnd + 1, stop);
      try {
        return decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        return raw;
      }
    }
    if (end === -1) return undefined;
    at = end + 1;
  }
  return undefined;
}

export function requestHash(key: HashKey, plan: Forward): RequestHash {
  let value: string | undefined;
  switch (key.type) {
    case 'SourceIP':
      value = plan.client.address;
      break;
    case 'Header':
      value = firstValue(plan.facts.headers[key.name]);
      break;
    case 'QueryParam':
      value = queryValue(plan.facts.query, key.name);
      break;
    case 'Cookie': {
      value = findCookie(plan.facts.headers.cookie, key.name);
      if (value) break;
      const made = randomBytes(12).toString('base64url');
      const cookie = setCookie(key.name, made, { secure: plan.secure, ...(key.path !== undefined ? { path: key.path } : {}), ...(key.ttlSeconds !== undefined ? { maxAge: key.ttlSeconds } : {}) });
      return { hash: stableHash(made), setCookie: cookie };
    }
  }
  return value === undefined || value === '' ? NONE : { hash: stableHash(value) };
}
