import { describe, expect, test } from '@jest/globals';
import { Backoff, INFORMER_BACKOFF } from '../../../src/k8s/backoff.js';

describe('Backoff', () => {
  test('doubles from 1 s up to 30 s without jitter', () => {
    const b = new Backoff({ ...INFORMER_BACKOFF, jitter: 0 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts()).toBe(8);
  });

  test('jitter spreads each delay by at most the given fraction', () => {
    const low = new Backoff({ ...INFORMER_BACKOFF, random: () => 0 });
    const high = new Backoff({ ...INFORMER_BACKOFF, random: () => 0.999999 });
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1200);
    for (let i = 0; i < 10; i++) {
      low.next();
      high.next();
    }
    expect(low.next()).toBe(24000);
    expect(high.next()).toBe(36000);
  });

  test('reset starts over; huge attempt counts stay finite', () => {
    const b = new Backoff({ ...INFORMER_BACKOFF, jitter: 0 });
    for (let i = 0; i < 2000; i++) expect(Number.isFinite(b.next())).toBe(true);
    b.reset();
    expect(b.next()).toBe(1000);
  });
});
