// Token buckets in integer units with an injected clock: exact counts, refill, shares.
import { describe, expect, it } from '@jest/globals';
import { createAdmissionServices } from '../../../../src/dataplane/route-policy/services.js';
import { bucketShape, LocalBuckets } from '../../../../src/dataplane/route-policy/token-bucket.js';
import { silentLogger } from '../../../../src/log.js';

function clocked(rule: { requests: number; unitMs: number; burst: number }, share = 1, maxKeys?: number) {
  let now = 1_000_000;
  const buckets = new LocalBuckets(bucketShape(rule, share), () => now, maxKeys);
  return { buckets, advance: (ms: number) => (now += ms) };
}

function allowedOf(buckets: LocalBuckets, key: string, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (buckets.take(key).allowed) allowed++;
  return allowed;
}

describe('token bucket', () => {
  it('allows the burst at once, then one request per refill interval', () => {
    const { buckets, advance } = clocked({ requests: 2, unitMs: 1000, burst: 5 });
    const first = buckets.take('k');
    expect(first).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
    expect(allowedOf(buckets, 'k', 10)).toBe(4);
    // 2 per second: one token every 500 ms.
    expect(buckets.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    advance(499);
    expect(buckets.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    advance(1);
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 500 });
    advance(10_000);
    // Refill stops at the burst.
    expect(allowedOf(buckets, 'k', 10)).toBe(5);
  });

  it('keeps one bucket per key', () => {
    const { buckets } = clocked({ requests: 1, unitMs: 60_000, burst: 2 });
    expect(allowedOf(buckets, 'a', 5)).toBe(2);
    expect(allowedOf(buckets, 'b', 5)).toBe(2);
    expect(buckets.take('a').retryAfterMs).toBe(60_000);
  });

  it('gives a process 1/N of rate and burst, without rounding', () => {
    // 10 per second, burst 20, split over 4 workers: 5 at once, then 2.5 per second.
    const { buckets, advance } = clocked({ requests: 10, unitMs: 1000, burst: 20 }, 4);
    expect(allowedOf(buckets, 'k', 100)).toBe(5);
    advance(400);
    expect(allowedOf(buckets, 'k', 100)).toBe(1);
    advance(399);
    expect(allowedOf(buckets, 'k', 100)).toBe(0);
    advance(1);
    expect(allowedOf(buckets, 'k', 100)).toBe(1);
    // Over 10 s of steady traffic: exactly 25 more.
    let allowed = 0;
    for (let t = 0; t < 10_000; t += 10) {
      advance(10);
      allowed += allowedOf(buckets, 'k', 3);
    }
    expect(allowed).toBe(25);
  });

  it('stays bounded in keys, dropping full buckets first', () => {
    const { buckets, advance } = clocked({ requests: 1, unitMs: 1000, burst: 1 }, 1, 10);
    buckets.take('busy');
    for (let i = 0; i < 9; i++) buckets.take(`idle${i}`);
    advance(1000); // every bucket refilled (full again): all evictable
    buckets.take('busy');
    for (let i = 0; i < 50; i++) buckets.take(`new${i}`);
    expect(buckets.size).toBeLessThanOrEqual(10);
  });
});

describe('Local buckets across table swaps', () => {
  it('keep a rule\'s buckets for the same numbers, start fresh for new ones, and forget unused rules', () => {
    let now = 0;
    const services = createAdmissionServices({ log: silentLogger, workers: 1, redisUrl: undefined, clock: () => now });
    const shape = bucketShape({ requests: 1, unitMs: 60_000, burst: 1 });
    const a = services.localBuckets('route#0', shape);
    a.take('k');
    expect(services.localBuckets('route#0', shape)).toBe(a);
    expect(services.localBuckets('route#0', bucketShape({ requests: 2, unitMs: 60_000, burst: 1 }))).not.toBe(a);
    now += 11 * 60_000;
    services.localBuckets('other#0', shape);
    expect(services.localBuckets('route#0', shape)).not.toBe(a);
  });
});
