// HTTP Basic authentication against htpasswd entries: 401 with a WWW-Authenticate challenge
// unless the credentials verify. bcrypt costs milliseconds by design (and bcryptjs runs on this
// event loop), so:
// - credentials that verified are remembered for 60 s, and credentials that failed for 10 s
//   (bounded; keyed by an HMAC of the header under a per-process secret, so no password is
//   kept); concurrent requests with the same credentials share one verification;
// - an unknown user name (or an entry Sluice cannot verify) pays the same verification as a
//   known one, against a dummy hash of the policy's costliest scheme, so the answer's timing does
//   not tell which user names exist;
// - at most BCRYPT_PARALLEL bcrypt verifications run per route, BCRYPT_QUEUE more wait; a request
//   beyond that is answered 503 with Retry-After (AuthBusy), so a flood of bad passwords cannot
//   pin the CPU. Remembered credentials are checked before the bound and still pass.
// A policy change compiles a new check with empty memos, so a removed user or changed password
// takes effect with the new table.
import { createHmac, randomBytes } from 'node:crypto';
import { Answers } from '../../errors.js';
import type { BasicAuthPolicy } from '../../table/types.js';
import { type Check, rejection, type Verdict } from './check.js';
import { authCounter } from './counters.js';
import { hashScheme, verifyBcrypt, verifySha } from './htpasswd.js';

const VERIFIED_TTL_MS = 60_000;
const FAILED_TTL_MS = 10_000;
const MEMO_SIZE = 1024;
export const BCRYPT_PARALLEL = 2;
export const BCRYPT_QUEUE = 16;
const SECRET = randomBytes(32);

/** The password checks, a seam for tests (which count calls). */
export interface PasswordVerifier {
  sha(password: string, hash: string): boolean;
  bcrypt(password: string, hash: string): Promise<boolean>;
}

const VERIFIER: PasswordVerifier = { sha: verifySha, bcrypt: verifyBcrypt };

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

/**
 * What an unknown user is verified against: a well-formed hash nobody's password matches, of
 * the costliest scheme among the policy's entries (bcrypt at their highest cost, else {SHA}).
 */
export function dummyHash(hashes: readonly string[]): string {
  const costs = hashes.filter((h) => hashScheme(h) === 'bcrypt').map((h) => Number(h.slice(4, 6)));
  if (costs.length === 0) return '{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  // 22 characters of salt and 31 of hash in bcrypt's base64 alphabet.
  return `$2b$${String(Math.max(...costs)).padStart(2, '0')}$${'.'.repeat(22)}${'.'.repeat(31)}`;
}

/** A bounded memo of header HMACs with an expiry each. */
class Memo {
  private readonly until = new Map<string, number>();
  private readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  has(digest: string, now: number): boolean {
    const until = this.until.get(digest);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(digest);
    return false;
  }

  add(digest: string, now: number): void {
    if (this.until.size >= MEMO_SIZE) this.until.delete(this.until.keys().next().value!);
    this.until.set(digest, now + this.ttlMs);
  }
}

/** At most `parallel` tasks at once, `queue` more waiting in order; beyond that, `undefined`. */
export class WorkBound {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly parallel: number;
  private readonly queue: number;

  constructor(parallel: number, queue: number) {
    this.parallel = parallel;
    this.queue = queue;
  }

  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.running >= this.parallel && this.waiting.length >= this.queue) return undefined;
    const start = (): Promise<T> => {
      this.running++;
      return task().finally(() => {
        this.running--;
        this.waiting.shift()?.();
      });
    };
    if (this.running < this.parallel) return start();
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(start);
  }
}

export function basicAuthCheck(routeId: string, policy: BasicAuthPolicy, verifier: PasswordVerifier = VERIFIER): Check {
  const users = new Map(policy.users.map((u) => [u.name, u.hash] as const));
  const dummy = dummyHash(policy.users.map((u) => u.hash));
  const challenge = rejection(Answers.Unauthorized, { 'www-authenticate': `Basic realm=${quoted(policy.realm)}, charset="UTF-8"` });
  const busy = rejection(Answers.AuthBusy, { 'retry-after': '1' });
  const counter = authCounter(routeId, 'basic');
  const verified = new Memo(VERIFIED_TTL_MS);
  const failed = new Memo(FAILED_TTL_MS);
  const pending = new Map<string, Promise<boolean>>();
  const bound = new WorkBound(BCRYPT_PARALLEL, BCRYPT_QUEUE);

  return (a) => {
    const metrics = a.ctx.metrics;
    const header = a.req.headers.authorization;
    const creds = parseBasic(header);
    if (!creds) {
      counter.count(metrics, 'missing');
      return challenge;
    }
    const decide = (ok: boolean): Verdict => {
      counter.count(metrics, ok ? 'allowed' : 'denied');
      return ok ? undefined : challenge;
    };
    const own = users.get(creds.user);
    const known = own !== undefined && hashScheme(own) !== 'unsupported';
    // An unknown user is verified too (and always fails), at the cost a known one pays.
    const hash = known ? own : dummy;
    if (hashScheme(hash) === 'sha') return decide(verifier.sha(creds.password, hash) && known);
    const digest = createHmac('sha256', SECRET).update(header!).digest('base64');
    const now = a.services.clock();
    if (verified.has(digest, now)) return decide(true);
    if (failed.has(digest, now)) return decide(false);
    let check = pending.get(digest);
    if (!check) {
      const queued = bound.run(() => verifier.bcrypt(creds.password, hash));
      if (!queued) {
        counter.count(metrics, 'busy');
        return busy;
      }
      check = queued.then(
        (ok) => ok && known,
        () => false,
      ).then((ok) => {
        pending.delete(digest);
        (ok ? verified : failed).add(digest, a.services.clock());
        return ok;
      });
      pending.set(digest, check);
    }
    return check.then(decide);
  };
}
