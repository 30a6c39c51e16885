// Token buckets in integer arithmetic, so a limit is exact whatever the clock's pace: one token
// is `unitMs × share` units, the bucket holds `burst × unitMs` units and gains `requests` units
// per millisecond. With share N (Local limits across --workers N) each process then allows
// burst/N at once and requests/N per unit, without a fraction anywhere. The same numbers drive
// the Redis script (redis-limiter.ts), so Local and Global agree on what a limit means.
import type { RateLimitRule } from '../../table/types.js';

export interface BucketShape {
  /** Units a full bucket holds. */
  readonly capacity: number;
  /** Units one request takes. */
  readonly cost: number;
  /** Units added per millisecond. */
  readonly refillPerMs: number;
}

/** The outcome of taking one token. */
export interface Take {
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Milliseconds until the next token (0 when one is there now). */
  readonly retryAfterMs: number;
}

/** A rule's bucket shape for a process that owns 1/`share` of the limit. */
export function bucketShape(rule: Pick<RateLimitRule, 'requests' | 'unitMs' | 'burst'>, share = 1): BucketShape {
  return { capacity: Math.max(rule.burst, 1) * rule.unitMs, cost: rule.unitMs * share, refillPerMs: rule.requests };
}

/** What a take leaves: the new level and the outcome (shared by the local buckets and the Redis reply). */
export function outcome(shape: BucketShape, units: number, allowed: boolean): Take {
  const missing = shape.cost - units;
  return { allowed, remaining: Math.floor(units / shape.cost), retryAfterMs: missing <= 0 ? 0 : Math.ceil(missing / shape.refillPerMs) };
}

export type Clock = () => number;

interface Bucket {
  units: number;
  at: number;
}

/**
 * The buckets of one rule in this process, one per key. Bounded: when `maxKeys` distinct keys
 * are held, full buckets (which carry no state worth keeping) are dropped, and if none is full
 * the oldest tenth goes (a Map iterates in insertion order).
 */
export class LocalBuckets {
  readonly shape: BucketShape;
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: Clock;
  private readonly maxKeys: number;
  /** Clock reading of the last take (services.ts drops buckets of rules nobody uses any more). */
  lastUsed: number;

  constructor(shape: BucketShape, clock: Clock = Date.now, maxKeys = 100_000) {
    this.shape = shape;
    this.clock = clock;
    this.maxKeys = maxKeys;
    this.lastUsed = clock();
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): Take {
    const { capacity, cost, refillPerMs } = this.shape;
    const now = this.clock();
    this.lastUsed = now;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      this.buckets.set(key, (b = { units: capacity, at: now }));
    } else if (now > b.at) {
      b.units = Math.min(capacity, b.units + (now - b.at) * refillPerMs);
      b.at = now;
    }
    const allowed = b.units >= cost;
    if (allowed) b.units -= cost;
    return outcome(this.shape, b.units, allowed);
  }

  private evict(now: number): void {
    const { capacity, refillPerMs } = this.shape;
    for (const [key, b] of this.buckets) if (b.units + (now - b.at) * refillPerMs >= capacity) this.buckets.delete(key);
    // None was full: drop the oldest tenth at once, so a flood of new keys pays one scan per many.
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const key of this.buckets.keys()) {
      if (drop-- === 0) break;
      this.buckets.delete(key);
    }
  }
}
