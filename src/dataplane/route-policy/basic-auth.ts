// HTTP Basic authentication against htpasswd entries: 401 with a WWW-Authenticate challenge
// unless the credentials verify. bcrypt costs milliseconds by design, so credentials that
// verified are remembered for a short while (bounded; keyed by an HMAC of the header under a
// per-process secret, so no password is kept), and concurrent requests with the same
// credentials share one verification. A policy change compiles a new check with an empty cache,
// so a removed user or changed password takes effect with the new table.
import { createHmac, randomBytes } from 'node:crypto';
import { Answers } from '../../errors.js';
import type { BasicAuthPolicy } from '../../table/types.js';
import { type Check, rejection, type Verdict } from './check.js';
import { authCounter } from './counters.js';
import { hashScheme, verifyBcrypt, verifySha } from './htpasswd.js';

const CACHE_TTL_MS = 60_000;
const CACHE_SIZE = 1024;
const SECRET = randomBytes(32);

/** user and password of a Basic Authorization header, or undefined when it is not one. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A quoted-string for the realm (RFC 9110 §5.6.4). */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

export function basicAuthCheck(routeId: string, policy: BasicAuthPolicy): Check {
  const users = new Map(policy.users.map((u) => [u.name, u.hash] as const));
  const challenge = rejection(Answers.Unauthorized, { 'www-authenticate': `Basic realm=${quoted(policy.realm)}, charset="UTF-8"` });
  const counter = authCounter(routeId, 'basic');
  /** HMAC of a verified header → when it stops counting as verified. */
  const verified = new Map<string, number>();
  const pending = new Map<string, Promise<boolean>>();

  const remember = (digest: string, now: number) => {
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(digest, now + CACHE_TTL_MS);
  };

  return (a) => {
    const metrics = a.ctx.metrics;
    const header = a.req.headers.authorization;
    const creds = parseBasic(header);
    if (!creds) {
      counter.count(metrics, 'missing');
      return challenge;
    }
    const hash = users.get(creds.user);
    const scheme = hash === undefined ? 'unsupported' : hashScheme(hash);
    if (scheme === 'unsupported') {
      counter.count(metrics, 'denied');
      return challenge;
    }
    const decide = (ok: boolean): Verdict => {
      counter.count(metrics, ok ? 'allowed' : 'denied');
      return ok ? undefined : challenge;
    };
    if (scheme === 'sha') return decide(verifySha(creds.password, hash!));
    const digest = createHmac('sha256', SECRET).update(header!).digest('base64');
    const now = a.services.clock();
    const until = verified.get(digest);
    if (until !== undefined) {
      if (until > now) return decide(true);
      verified.delete(digest);
    }
    let check = pending.get(digest);
    if (!check) {
      check = verifyBcrypt(creds.password, hash!).then(
        (ok) => {
          pending.delete(digest);
          if (ok) remember(digest, a.services.clock());
          return ok;
        },
        () => {
          pending.delete(digest);
          return false;
        },
      );
      pending.set(digest, check);
    }
    return check.then(decide);
  };
}
