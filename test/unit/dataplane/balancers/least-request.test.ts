import { describe, expect, it } from '@jest/globals';
import { createBalancer } from '../../../../src/dataplane/balancer/balancer.js';
import type { UpstreamTarget } from '../../../../src/dataplane/balancer/balancer.js';
import { FakeClock, maxDeviation, noKey, skipKeys, tally, target, targets } from './support.js';

const keys = (ts: readonly UpstreamTarget[]) => ts.map((t) => t.key);

describe('LeastRequest, power of two choices (the default)', () => {
  it('is fair over many picks when loads are equal (each within 3 % of 1/n)', () => {
    for (const n of [2, 3, 5, 10]) {
      const ts = targets(n);
      const lr = createBalancer({ type: 'LeastRequest' }, ts, new FakeClock(n));
      const counts = tally(() => lr.pick(noKey, undefined), 20_000 * n);
      expect([n, maxDeviation(counts, keys(ts)) < 0.03]).toEqual([n, true]);
    }
  });

  it('never picks the most loaded of its two samples: with distinct loads the busiest endpoint gets nothing', () => {
    const ts = targets(3);
    ts[0]!.inflight = 5;
    ts[1]!.inflight = 1;
    ts[2]!.inflight = 3;
    const lr = createBalancer({ type: 'LeastRequest' }, ts, new FakeClock());
    const counts = tally(() => lr.pick(noKey, undefined), 30_000);
    // Two distinct samples of three: the least loaded wins whenever sampled (2/3), the middle one otherwise.
    expect(counts.get(ts[0]!.key)).toBeUndefined();
    expect(Math.abs(counts.get(ts[1]!.key)! / 30_000 - 2 / 3)).toBeLessThan(0.02);
    expect(Math.abs(counts.get(ts[2]!.key)! / 30_000 - 1 / 3)).toBeLessThan(0.02);
  });

  it('keeps in-flight counts balanced when requests stay open (the exchange counts them)', () => {
    const ts = targets(4);
    const lr = createBalancer({ type: 'LeastRequest' }, ts, new FakeClock());
    for (let i = 0; i < 400; i++) lr.pick(noKey, undefined)!.inflight++;
    const loads = ts.map((t) => t.inflight);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(2);
  });

  it('moves away from a slow endpoint whose requests pile up', () => {
    const clock = new FakeClock();
    const ts = targets(3);
    const lr = createBalancer({ type: 'LeastRequest' }, ts, clock);
    // Endpoint 0 takes 10 ticks per request, the others 1: completions due per tick.
    const due: Map<number, UpstreamTarget[]> = new Map();
    const sent = new Map<string, number>();
    for (let tick = 0; tick < 2000; tick++) {
      for (const t of due.get(tick) ?? []) t.inflight--;
      due.delete(tick);
      for (let r = 0; r < 4; r++) {
        const t = lr.pick(noKey, undefined)!;
        t.inflight++;
        sent.set(t.key, (sent.get(t.key) ?? 0) + 1);
        const at = tick + (t === ts[0] ? 10 : 1);
        due.set(at, [...(due.get(at) ?? []), t]);
      }
    }
    // Round robin would send it a third; least request sends it well under that.
    expect(sent.get(ts[0]!.key)! / 8000).toBeLessThan(0.2);
  });

  it('never returns a skipped endpoint, and scans the rest when both samples are skipped', () => {
    const ts = targets(10);
    const lr = createBalancer({ type: 'LeastRequest' }, ts, new FakeClock());
    const skipped = keys(ts).slice(0, 8);
    const counts = tally(() => lr.pick(noKey, skipKeys(...skipped)), 2000);
    expect([...counts.keys()].sort()).toEqual(keys(ts).slice(8).sort());
    expect(lr.pick(noKey, skipKeys(...keys(ts).slice(0, 9)))).toBe(ts[9]);
    expect(lr.pick(noKey, skipKeys(...keys(ts)))).toBeUndefined();
    expect(createBalancer({ type: 'LeastRequest' }, [], new FakeClock()).pick(noKey, undefined)).toBeUndefined();
  });

  it('samples choiceCount endpoints: with 3 of 4 the busiest is never picked, the least loaded 3/4 of the time', () => {
    const ts = targets(4);
    ts.forEach((t, i) => (t.inflight = i));
    const lr = createBalancer({ type: 'LeastRequest', choiceCount: 3 }, ts, new FakeClock());
    const counts = tally(() => lr.pick(noKey, undefined), 40_000);
    expect(counts.get(ts[3]!.key)).toBeUndefined();
    expect(Math.abs(counts.get(ts[0]!.key)! / 40_000 - 3 / 4)).toBeLessThan(0.02);
  });
});

describe('LeastRequest, full scan (choiceCount 0 or ≥ n)', () => {
  it('always picks the least loaded endpoint', () => {
    for (const choiceCount of [0, 5, 9]) {
      const ts = targets(5);
      [4, 2, 7, 1, 3].forEach((load, i) => (ts[i]!.inflight = load));
      const lr = createBalancer({ type: 'LeastRequest', choiceCount }, ts, new FakeClock());
      expect(tally(() => lr.pick(noKey, undefined), 50)).toEqual(new Map([[ts[3]!.key, 50]]));
      ts[3]!.inflight = 9;
      expect(lr.pick(noKey, undefined)).toBe(ts[1]);
    }
  });

  it('breaks ties in turn, so equal loads do not all go to the first endpoint', () => {
    const ts = targets(3);
    const lr = createBalancer({ type: 'LeastRequest', choiceCount: 0 }, ts, new FakeClock());
    expect(Array.from({ length: 6 }, () => lr.pick(noKey, undefined))).toEqual([ts[0], ts[1], ts[2], ts[0], ts[1], ts[2]]);
    ts[1]!.inflight = 1;
    // Ties between 0 and 2 keep alternating.
    expect(Array.from({ length: 4 }, () => lr.pick(noKey, undefined))).toEqual([ts[0], ts[2], ts[0], ts[2]]);
  });

  it('is true least-connections when the picks stay open', () => {
    const ts = targets(4);
    ts[0]!.inflight = 6;
    const lr = createBalancer({ type: 'LeastRequest', choiceCount: 0 }, ts, new FakeClock());
    for (let i = 0; i < 18; i++) lr.pick(noKey, undefined)!.inflight++;
    expect(ts.map((t) => t.inflight)).toEqual([6, 6, 6, 6]);
  });

  it('skips skipped endpoints even when they are the least loaded', () => {
    const ts = targets(3);
    ts[1]!.inflight = 5;
    ts[2]!.inflight = 9;
    const lr = createBalancer({ type: 'LeastRequest', choiceCount: 0 }, ts, new FakeClock());
    expect(lr.pick(noKey, skipKeys(ts[0]!.key))).toBe(ts[1]);
    expect(lr.pick(noKey, skipKeys(ts[0]!.key, ts[1]!.key))).toBe(ts[2]);
    expect(lr.pick(noKey, skipKeys(...keys(ts)))).toBeUndefined();
  });
});

describe('LeastRequest slow start', () => {
  it('admits a ramping endpoint for its share of the picks it wins, the runner-up taking the rest', () => {
    const clock = new FakeClock();
    const ts = [target('10.0.0.1:80'), target('10.0.0.2:80'), target('10.0.0.3:80', 0)];
    const lr = createBalancer({ type: 'LeastRequest', choiceCount: 0, slowStartMs: 1000 }, ts, clock);
    // Full scan with equal loads: each wins a third; the new one is admitted for 1 in 10 of its wins.
    expect(tally(() => lr.pick(noKey, undefined), 3000).get('10.0.0.3:80')).toBe(100);
    clock.time = 500; // share 0.55
    expect(tally(() => lr.pick(noKey, undefined), 3000).get('10.0.0.3:80')).toBe(550);
    clock.time = 1000;
    expect(tally(() => lr.pick(noKey, undefined), 3000).get('10.0.0.3:80')).toBe(1000);
  });

  it('ramps with power of two choices too', () => {
    const clock = new FakeClock(7);
    const ts = [...targets(3), target('10.0.9.9:80', 0)];
    const lr = createBalancer({ type: 'LeastRequest', slowStartMs: 1000 }, ts, clock);
    const share = (n: number) => tally(() => lr.pick(noKey, undefined), n).get('10.0.9.9:80')! / n;
    expect(share(40_000)).toBeLessThan(0.25 * 0.1 + 0.01);
    clock.time = 500;
    expect(Math.abs(share(40_000) - 0.25 * 0.55)).toBeLessThan(0.015);
    clock.time = 2000;
    expect(Math.abs(share(40_000) - 0.25)).toBeLessThan(0.015);
  });

  it('gives the only endpoint not skipped every pick, ramping or not', () => {
    const ts = [target('10.0.0.1:80'), target('10.0.0.2:80', 0)];
    const lr = createBalancer({ type: 'LeastRequest', slowStartMs: 1000 }, ts, new FakeClock());
    expect(tally(() => lr.pick(noKey, skipKeys('10.0.0.1:80')), 20)).toEqual(new Map([['10.0.0.2:80', 20]]));
  });
});
