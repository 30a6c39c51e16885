// Shared pieces of the balancer tests: endpoints, a clock whose time and chance the test owns,
// skip sets, and pick counting.
import type { BalancerClock, PickContext, SkipSet, UpstreamTarget } from '../../../../src/dataplane/balancer/balancer.js';

export function targets(n: number, addedAt = -Infinity): UpstreamTarget[] {
  return Array.from({ length: n }, (_, i) => target(`10.0.${i >> 8}.${i & 255}:8080`, addedAt));
}

export function target(key: string, addedAt = -Infinity): UpstreamTarget {
  const [address, port] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
  return { key, endpoint: { address, port, ready: true, serving: true, terminating: false }, inflight: 0, addedAt };
}

/** Time set by the test; chance from a seeded generator (mulberry32), so runs repeat exactly. */
export class FakeClock implements BalancerClock {
  time = 0;
  private state: number;
  constructor(seed = 1) {
    this.state = seed >>> 0;
  }
  now(): number {
    return this.time;
  }
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export const noKey: PickContext = { clientAddress: '192.0.2.1', hashKey: undefined };
export const withKey = (hashKey: number): PickContext => ({ clientAddress: '192.0.2.1', hashKey });

export function skipKeys(...keys: string[]): SkipSet {
  const set = new Set(keys);
  return { skips: (t) => set.has(t.key) };
}

/** Picks per endpoint key over `n` picks (undefined counted under ''). */
export function tally(pick: (i: number) => UpstreamTarget | undefined, n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = pick(i)?.key ?? '';
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** The largest relative deviation of the counts of `keys` from their mean. */
export function maxDeviation(counts: ReadonlyMap<string, number>, keys: readonly string[]): number {
  const mean = keys.reduce((s, k) => s + (counts.get(k) ?? 0), 0) / keys.length;
  return Math.max(...keys.map((k) => Math.abs((counts.get(k) ?? 0) - mean) / mean));
}
