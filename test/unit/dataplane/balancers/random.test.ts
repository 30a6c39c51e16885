import { describe, expect, it } from '@jest/globals';
import { createBalancer } from '../../../../src/dataplane/balancer/balancer.js';
import { FakeClock, maxDeviation, noKey, skipKeys, tally, target, targets } from './support.js';

describe('Random', () => {
  it('picks every endpoint about equally often', () => {
    const ts = targets(8);
    const random = createBalancer({ type: 'Random' }, ts, new FakeClock(3));
    const counts = tally(() => random.pick(noKey, undefined), 80_000);
    expect(counts.size).toBe(8);
    expect(maxDeviation(counts, ts.map((t) => t.key))).toBeLessThan(0.05);
  });

  it('uses its clock’s chance: each draw maps to the endpoint at that fraction of the list', () => {
    const ts = targets(4);
    const draws = [0, 0.3, 0.99, 0.5];
    const clock = new FakeClock();
    clock.random = () => draws.shift()!;
    const random = createBalancer({ type: 'Random' }, ts, clock);
    expect(Array.from({ length: 4 }, () => random.pick(noKey, undefined))).toEqual([ts[0], ts[1], ts[3], ts[2]]);
  });

  it('stays uniform over the endpoints not skipped, and never returns a skipped one', () => {
    const ts = targets(6);
    const random = createBalancer({ type: 'Random' }, ts, new FakeClock(5));
    const skip = skipKeys(ts[0]!.key, ts[1]!.key, ts[2]!.key, ts[3]!.key);
    const counts = tally(() => random.pick(noKey, skip), 40_000);
    expect([...counts.keys()].sort()).toEqual([ts[4]!.key, ts[5]!.key]);
    expect(maxDeviation(counts, [ts[4]!.key, ts[5]!.key])).toBeLessThan(0.03);
    // Almost everything skipped: found by counting, not by luck.
    const many = targets(200);
    const rare = createBalancer({ type: 'Random' }, many, new FakeClock());
    const allButOne = skipKeys(...many.slice(1).map((t) => t.key));
    expect(tally(() => rare.pick(noKey, allButOne), 50)).toEqual(new Map([[many[0]!.key, 50]]));
    expect(rare.pick(noKey, skipKeys(...many.map((t) => t.key)))).toBeUndefined();
    expect(createBalancer({ type: 'Random' }, [], new FakeClock()).pick(noKey, undefined)).toBeUndefined();
  });

  it('gives a ramping endpoint its slow-start share', () => {
    const clock = new FakeClock(9);
    const ts = [...targets(3), target('10.0.9.9:80', 0)];
    const random = createBalancer({ type: 'Random', slowStartMs: 2000 }, ts, clock);
    // Weights 1 : 1 : 1 : share → the new endpoint's part is share / (3 + share).
    for (const [time, share] of [[0, 0.1], [1000, 0.55], [2000, 1]] as const) {
      clock.time = time;
      const part = tally(() => random.pick(noKey, undefined), 60_000).get('10.0.9.9:80')! / 60_000;
      expect([time, Math.abs(part - share / (3 + share)) < 0.01]).toEqual([time, true]);
    }
  });
});
