import { describe, expect, it } from '@jest/globals';
import { createBalancer, type Balancer, type UpstreamTarget } from '../../../../src/dataplane/balancer/balancer.js';
import { buildMaglevTable, DEFAULT_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TABLE_SIZE, maglevTableSize } from '../../../../src/dataplane/balancer/maglev.js';
import { stableHash } from '../../../../src/dataplane/balancer/stable-hash.js';
import { FakeClock, maxDeviation, noKey, skipKeys, tally, targets, withKey } from './support.js';

const KEYS = Array.from({ length: 100_000 }, (_, i) => stableHash(`user-${i}`));

const maglev = (ts: readonly UpstreamTarget[], tableSize?: number): Balancer =>
  createBalancer({ type: 'ConsistentHash', consistentHash: { key: { type: 'SourceIP' }, tableSize: tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE } }, ts, new FakeClock());

/** The endpoint key picked for each of KEYS. */
const picks = (b: Balancer, skip?: ReturnType<typeof skipKeys>): string[] => KEYS.map((h) => b.pick(withKey(h), skip)!.key);

const moved = (a: readonly string[], b: readonly string[]) => a.filter((k, i) => k !== b[i]).length / a.length;

function shuffled<T>(items: readonly T[], clock: FakeClock): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(clock.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('ConsistentHash (Maglev)', () => {
  it('picks the same endpoint for every key whatever the order the endpoints come in', () => {
    const ts = targets(12);
    const reference = picks(maglev(ts));
    const clock = new FakeClock(11);
    for (let round = 0; round < 3; round++) {
      const other = shuffled(ts, clock).map((t) => ({ ...t })); // other objects, same keys: another process
      expect(moved(reference, picks(maglev(other)))).toBe(0);
    }
  });

  it('gives each endpoint ⌊M/N⌋ or ⌈M/N⌉ slots of the table', () => {
    for (const [n, size] of [[10, 65537], [7, 251], [100, 65537]] as const) {
      const table = buildMaglevTable(targets(n).map((t) => t.key), size);
      const slots = new Array<number>(n).fill(0);
      for (const v of table) slots[v]!++;
      expect([n, Math.min(...slots), Math.max(...slots)]).toEqual([n, Math.floor(size / n), Math.ceil(size / n)]);
    }
  });

  it('balances 100k keys over 10 endpoints (each within 20 % of the mean)', () => {
    const ts = targets(10);
    const b = maglev(ts);
    const counts = tally((i) => b.pick(withKey(KEYS[i]!), undefined), KEYS.length);
    expect(counts.size).toBe(10);
    expect(maxDeviation(counts, ts.map((t) => t.key))).toBeLessThan(0.2);
  });

  it('moves at most 1/N + 2 % of keys when one of N endpoints is added or removed', () => {
    for (const n of [5, 10, 20]) {
      const ts = targets(n + 1);
      const before = picks(maglev(ts.slice(0, n)));
      const added = picks(maglev(ts));
      const removedOne = picks(maglev(ts.slice(1, n)));
      expect([n, 'add', moved(before, added) <= 1 / n + 0.02]).toEqual([n, 'add', true]);
      expect([n, 'remove', moved(before, removedOne) <= 1 / n + 0.02]).toEqual([n, 'remove', true]);
      // The keys that must move (those of the removed endpoint) are nearly all that move.
      const mustMove = before.filter((k) => k === ts[0]!.key).length / KEYS.length;
      expect(moved(before, removedOne) - mustMove).toBeLessThan(0.02);
    }
  });

  it('steps over a skipped endpoint: its keys spread over the others, every other key stays, a retry lands the same', () => {
    const ts = targets(10);
    const b = maglev(ts);
    const normal = picks(b);
    const ejected = ts[3]!.key;
    const skip = skipKeys(ejected);
    const skipping = picks(b, skip);
    expect(skipping).not.toContain(ejected);
    const changedElsewhere = normal.filter((k, i) => k !== ejected && skipping[i] !== k).length;
    expect(changedElsewhere).toBe(0);
    // Its keys go to the others, roughly evenly (not all to a neighbour).
    const inherited = new Map<string, number>();
    for (let i = 0; i < KEYS.length; i++) if (normal[i] === ejected) inherited.set(skipping[i]!, (inherited.get(skipping[i]!) ?? 0) + 1);
    expect(inherited.size).toBe(9);
    expect(maxDeviation(inherited, ts.filter((t) => t.key !== ejected).map((t) => t.key))).toBeLessThan(0.35);
    // Deterministic: the same key with the same skips picks the same endpoint, in another balancer too.
    expect(picks(maglev([...ts].reverse()), skip)).toEqual(skipping);
  });

  it('finds the last endpoint not skipped, and none when all are', () => {
    const ts = targets(50);
    const b = maglev(ts);
    const allBut = (i: number) => skipKeys(...ts.filter((_, j) => j !== i).map((t) => t.key));
    for (const h of KEYS.slice(0, 200)) expect(b.pick(withKey(h), allBut(17))).toBe(ts[17]);
    expect(b.pick(withKey(KEYS[0]!), skipKeys(...ts.map((t) => t.key)))).toBeUndefined();
    expect(maglev([]).pick(withKey(KEYS[0]!), undefined)).toBeUndefined();
  });

  it('returns the caller’s target objects (whose inflight the exchange counts)', () => {
    const ts = targets(3);
    const b = maglev(ts);
    for (const h of KEYS.slice(0, 100)) expect(ts).toContain(b.pick(withKey(h), undefined));
  });

  it('takes turns for requests without a key', () => {
    const ts = targets(3);
    const b = maglev(ts);
    expect(Array.from({ length: 4 }, () => b.pick(noKey, undefined))).toEqual([ts[0], ts[1], ts[2], ts[0]]);
    expect(b.pick(noKey, skipKeys(ts[1]!.key))).toBe(ts[2]);
  });

  it('works with a small table (each endpoint still picked) and ignores slow start', () => {
    const ts = targets(5).map((t, i) => ({ ...t, addedAt: i === 0 ? 0 : -Infinity }));
    const b = createBalancer({ type: 'ConsistentHash', consistentHash: { key: { type: 'SourceIP' }, tableSize: 13 }, slowStartMs: 60_000 }, ts, new FakeClock());
    const counts = tally((i) => b.pick(withKey(KEYS[i]!), undefined), 13_000);
    expect(counts.size).toBe(5);
    // 13 slots over 5 endpoints: 3,3,3,2,2 slots → shares within the slot ratio, the new endpoint not slowed.
    for (const c of counts.values()) expect(c / 13_000).toBeGreaterThan(2 / 13 - 0.03);
  });

  it('keeps its picks from one release to the next (replicas of two versions agree during a rolling update)', () => {
    // Pinned: changing the hash, the seeds or the fill order breaks this on purpose.
    const ts = targets(3);
    const b = maglev(ts);
    expect(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((u) => b.pick(withKey(stableHash(u)), undefined)!.key)).toEqual(PINNED);
  });
});

const PINNED = ['10.0.0.1:8080', '10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.0:8080', '10.0.0.2:8080', '10.0.0.0:8080'];

describe('maglevTableSize', () => {
  it('defaults to 65537, rounds up to a prime, and stays within [2, 5000011]', () => {
    expect(maglevTableSize(undefined)).toBe(65537);
    expect(maglevTableSize(65537)).toBe(65537);
    expect(maglevTableSize(1000)).toBe(1009);
    expect(maglevTableSize(0)).toBe(2);
    expect(maglevTableSize(1e12)).toBe(MAX_MAGLEV_TABLE_SIZE);
    expect(maglevTableSize(MAX_MAGLEV_TABLE_SIZE)).toBe(5000011);
  });
});
