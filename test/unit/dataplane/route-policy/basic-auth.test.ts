// Basic auth's defences, on the check itself with a counting verifier (no timing asserts): an
// unknown user pays the same verification as a known one; verified and failed credentials are
// remembered; a flood of new credentials is bounded (parallel + queue) and the rest answered 503.
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { EventEmitter } from 'node:events';
import { BCRYPT_PARALLEL, BCRYPT_QUEUE, basicAuthCheck, dummyHash, type PasswordVerifier, WorkBound } from '../../../../src/dataplane/route-policy/basic-auth.js';
import type { Admission, Verdict } from '../../../../src/dataplane/route-policy/check.js';
import { hashScheme } from '../../../../src/dataplane/route-policy/htpasswd.js';
import { Metrics } from '../../../../src/metrics.js';
import type { BasicAuthPolicy } from '../../../../src/table/types.js';

const ALICE_BCRYPT = '$2y$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW';
const BOB_SHA = '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Records every verification; bcrypt answers when `release` is called (or at once). */
function countingVerifier(good: Record<string, string>) {
  const calls: { scheme: 'sha' | 'bcrypt'; password: string; hash: string }[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const verifier: PasswordVerifier = {
    sha: (password, hash) => (calls.push({ scheme: 'sha', password, hash }), good[hash] === password),
    bcrypt: (password, hash) => {
      calls.push({ scheme: 'bcrypt', password, hash });
      const ok = good[hash] === password;
      if (!hold) return Promise.resolve(ok);
      return new Promise((r) => held.push(() => r(ok)));
    },
  };
  return {
    verifier,
    calls,
    holdBcrypt: () => void (hold = true),
    releaseAll: () => held.splice(0).forEach((f) => f()),
  };
}

function admission(authorization: string | undefined, now: () => number = () => 0): Admission {
  const req = { headers: authorization ? { authorization } : {} } as IncomingMessage;
  return { ctx: { metrics: new Metrics() }, req, client: new EventEmitter(), services: { clock: now }, gone: false } as unknown as Admission;
}

const policy = (users: BasicAuthPolicy['users']): BasicAuthPolicy => ({ users, realm: 'r' });

async function verdict(v: Verdict | Promise<Verdict>): Promise<number | undefined> {
  return (await v)?.status;
}

describe('basicAuth timing: unknown users pay a verification too', () => {
  it('verifies an unknown user against a dummy hash of the policy’s costliest scheme, and refuses', async () => {
    const v = countingVerifier({ [ALICE_BCRYPT]: 'wonderland' });
    const check = basicAuthCheck('r', policy([{ name: 'alice', hash: ALICE_BCRYPT }, { name: 'bob', hash: BOB_SHA }, { name: 'carol', hash: '$apr1$x$y' }]), v.verifier);
    expect(await verdict(check(admission(basic('alice', 'wonderland'))))).toBeUndefined();
    expect(await verdict(check(admission(basic('mallory', 'wonderland'))))).toBe(401);
    // An entry Sluice cannot verify is treated as unknown: it pays the dummy too.
    expect(await verdict(check(admission(basic('carol', 'x'))))).toBe(401);
    expect(v.calls.map((c) => c.scheme)).toEqual(['bcrypt', 'bcrypt', 'bcrypt']);
    expect(v.calls[1]!.hash).toBe(dummyHash([ALICE_BCRYPT, BOB_SHA]));
    expect(v.calls[1]!.hash.slice(0, 7)).toBe('$2b$12$');
  });

  it('even a dummy that the password would match does not let an unknown user in', async () => {
    const dummy = dummyHash([ALICE_BCRYPT]);
    const v = countingVerifier({ [dummy]: 'guess' });
    const check = basicAuthCheck('r', policy([{ name: 'alice', hash: ALICE_BCRYPT }]), v.verifier);
    expect(await verdict(check(admission(basic('mallory', 'guess'))))).toBe(401);
    expect(v.calls).toHaveLength(1);
  });

  it('uses a {SHA} dummy when every entry is {SHA}', async () => {
    const v = countingVerifier({ [BOB_SHA]: 'password' });
    const check = basicAuthCheck('r', policy([{ name: 'bob', hash: BOB_SHA }]), v.verifier);
    expect(await verdict(check(admission(basic('bob', 'password'))))).toBeUndefined();
    expect(await verdict(check(admission(basic('eve', 'password'))))).toBe(401);
    expect(v.calls.map((c) => c.scheme)).toEqual(['sha', 'sha']);
    expect(hashScheme(v.calls[1]!.hash)).toBe('sha');
  });

  it('makes well-formed dummies (60 characters, the highest cost)', () => {
    const d = dummyHash(['$2a$05$abcdefghijklmnopqrstuu5VlMvPEwhl0YVnC6Ht6DC3yrqKqgWsa', ALICE_BCRYPT]);
    expect(d).toHaveLength(60);
    expect(hashScheme(d)).toBe('bcrypt');
    expect(d.slice(4, 6)).toBe('12');
  });
});

describe('basicAuth memos and the bcrypt bound', () => {
  it('remembers verified credentials for 60 s and failed ones for 10 s', async () => {
    let now = 0;
    const v = countingVerifier({ [ALICE_BCRYPT]: 'wonderland' });
    const check = basicAuthCheck('r', policy([{ name: 'alice', hash: ALICE_BCRYPT }]), v.verifier);
    const good = basic('alice', 'wonderland');
    const bad = basic('alice', 'nope');
    expect(await verdict(check(admission(good, () => now)))).toBeUndefined();
    expect(await verdict(check(admission(bad, () => now)))).toBe(401);
    now = 9_000;
    expect(await verdict(check(admission(good, () => now)))).toBeUndefined();
    expect(await verdict(check(admission(bad, () => now)))).toBe(401);
    expect(v.calls).toHaveLength(2);
    now = 11_000; // the failure is forgotten, the success is not
    expect(await verdict(check(admission(bad, () => now)))).toBe(401);
    expect(await verdict(check(admission(good, () => now)))).toBeUndefined();
    expect(v.calls).toHaveLength(3);
    now = 61_000;
    expect(await verdict(check(admission(good, () => now)))).toBeUndefined();
    expect(v.calls).toHaveLength(4);
  });

  it('runs at most BCRYPT_PARALLEL verifications, queues BCRYPT_QUEUE, answers the rest 503; remembered users still pass', async () => {
    const v = countingVerifier({ [ALICE_BCRYPT]: 'wonderland' });
    const check = basicAuthCheck('r', policy([{ name: 'alice', hash: ALICE_BCRYPT }]), v.verifier);
    const good = basic('alice', 'wonderland');
    expect(await verdict(check(admission(good)))).toBeUndefined();
    v.holdBcrypt();
    const flood = Array.from({ length: BCRYPT_PARALLEL + BCRYPT_QUEUE + 5 }, (_, i) => check(admission(basic('alice', `guess-${i}`))));
    // The last five found the bound full: answered at once, no verification.
    const busy = flood.slice(BCRYPT_PARALLEL + BCRYPT_QUEUE);
    expect(busy.map((r) => (r instanceof Promise ? 'pending' : r?.status))).toEqual([503, 503, 503, 503, 503]);
    expect((busy[0] as { headers: Record<string, string> }).headers['retry-after']).toBe('1');
    expect(v.calls).toHaveLength(1 + BCRYPT_PARALLEL);
    // Credentials verified before are not held up by the flood.
    expect(check(admission(good))).toBeUndefined();
    // As verifications finish, queued ones start, never more than BCRYPT_PARALLEL at once.
    while (v.calls.length < 1 + BCRYPT_PARALLEL + BCRYPT_QUEUE) {
      v.releaseAll();
      await new Promise((r) => setImmediate(r));
    }
    v.releaseAll();
    const statuses = await Promise.all(flood.slice(0, BCRYPT_PARALLEL + BCRYPT_QUEUE).map(verdict));
    expect(statuses.every((s) => s === 401)).toBe(true);
  });

  it('WorkBound never runs more than its parallel count', async () => {
    const bound = new WorkBound(2, 10);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
    };
    const runs = Array.from({ length: 12 }, () => bound.run(task));
    expect(runs.filter((r) => r === undefined)).toHaveLength(0);
    expect(bound.run(task)).toBeUndefined();
    await Promise.all(runs);
    expect(peak).toBe(2);
  });
});
