import { describe, expect, it } from '@jest/globals';
import { createBalancer } from '../../../../src/dataplane/balancer/balancer.js';
import { FakeClock, noKey, skipKeys, tally, target, targets } from './support.js';

describe('RoundRobin', () => {
  it('rotates through the endpoints in order, each exactly as often', () => {
    const ts = targets(3);
    const rr = createBalancer({ type: 'RoundRobin' }, ts, new FakeClock());
    expect(Array.from({ length: 7 }, () => rr.pick(noKey, undefined))).toEqual([ts[0], ts[1], ts[2], ts[0], ts[1], ts[2], ts[0]]);
    expect(tally(() => rr.pick(noKey, undefined), 3000)).toEqual(new Map(ts.map((t) => [t.key, 1000])));
  });

  it('skips skipped endpoints, keeps rotating over the rest, and has none when all are skipped', () => {
    const ts = targets(4);
    const rr = createBalancer({ type: 'RoundRobin' }, ts, new FakeClock());
    const skip = skipKeys(ts[1]!.key);
    expect(tally(() => rr.pick(noKey, skip), 300)).toEqual(new Map([ts[0], ts[2], ts[3]].map((t) => [t!.key, 100])));
    expect(rr.pick(noKey, skipKeys(...ts.map((t) => t.key)))).toBeUndefined();
    expect(createBalancer({ type: 'RoundRobin' }, [], new FakeClock()).pick(noKey, undefined)).toBeUndefined();
  });

  describe('slow start', () => {
    const window = 10_000;

    it('gives a new endpoint 10 % of a fair share at first, growing linearly to a full one', () => {
      const clock = new FakeClock();
      clock.time = 50_000;
      const ts = [...targets(2), target('10.0.9.9:8080', 50_000)];
      const rr = createBalancer({ type: 'RoundRobin', slowStartMs: window }, ts, clock);
      const newKey = ts[2]!.key;
      // Shares 1 : 1 : 0.1 → over 21 picks, 10 : 10 : 1, exactly.
      expect(tally(() => rr.pick(noKey, undefined), 2100)).toEqual(new Map([[ts[0]!.key, 1000], [ts[1]!.key, 1000], [newKey, 100]]));
      // Half-way through: 0.1 + 0.9 × 0.5 = 0.55 → 20 : 20 : 11 over 51 picks.
      clock.time = 55_000;
      expect(tally(() => rr.pick(noKey, undefined), 5100).get(newKey)).toBe(1100);
      // At the end of the window: plain rotation.
      clock.time = 60_000;
      expect(tally(() => rr.pick(noKey, undefined), 3000)).toEqual(new Map(ts.map((t) => [t.key, 1000])));
    });

    it('spreads the new endpoint’s missed turns over the others, not onto its neighbour', () => {
      const clock = new FakeClock();
      const ts = [target('10.0.0.1:80'), target('10.0.0.2:80', 0), target('10.0.0.3:80'), target('10.0.0.4:80')];
      const rr = createBalancer({ type: 'RoundRobin', slowStartMs: window }, ts, clock);
      const counts = tally(() => rr.pick(noKey, undefined), 3100);
      expect(counts.get('10.0.0.2:80')).toBe(100);
      for (const k of ['10.0.0.1:80', '10.0.0.3:80', '10.0.0.4:80']) expect(counts.get(k)).toBe(1000);
    });

    it('does not slow endpoints that were there before the window (addedAt -Infinity or long ago)', () => {
      const clock = new FakeClock();
      clock.time = 100_000;
      const ts = [target('10.0.0.1:80'), target('10.0.0.2:80', 100_000 - window)];
      const rr = createBalancer({ type: 'RoundRobin', slowStartMs: window }, ts, clock);
      expect(tally(() => rr.pick(noKey, undefined), 100)).toEqual(new Map(ts.map((t) => [t.key, 50])));
    });

    it('still respects skips while ramping', () => {
      const clock = new FakeClock();
      const ts = [target('10.0.0.1:80'), target('10.0.0.2:80', 0), target('10.0.0.3:80')];
      const rr = createBalancer({ type: 'RoundRobin', slowStartMs: window }, ts, clock);
      expect(tally(() => rr.pick(noKey, skipKeys('10.0.0.1:80')), 110)).toEqual(new Map([['10.0.0.2:80', 10], ['10.0.0.3:80', 100]]));
      expect(rr.pick(noKey, skipKeys('10.0.0.1:80', '10.0.0.3:80'))).toBe(ts[1]);
      expect(rr.pick(noKey, skipKeys(...ts.map((t) => t.key)))).toBeUndefined();
    });
  });
});
