// What admission checks share across routes and table swaps in one process: the Redis client of
// Global limits, the Local buckets (kept per rule, so a table swap or an unrelated route change
// does not refill every bucket), this process's share of Local limits, the clock and the log.
//
// Local limits across --workers N: each worker enforces 1/N of the rate and of the burst. The
// workers are separate processes with no memory in common, and a shared counter (through the
// controller over IPC) would put a round trip on every request — the very cost Local exists to
// avoid. The workers accept on one shared socket (the kernel spreads connections), so with many
// clients each worker sees about 1/N of them and the sum is the configured limit. A single
// keep-alive client stays on one worker and gets 1/N of it (and a burst across few connections
// may find some workers' buckets fuller than others); where that matters, or where the limit
// must hold across replicas, use type Global (Redis).
import { type Logger, silentLogger } from '../../log.js';
import type { GlobalBuckets } from './redis-limiter.js';
import { type BucketShape, type Clock, LocalBuckets } from './token-bucket.js';

/** Local buckets of a rule nobody took from for this long are forgotten. */
const UNUSED_MS = 10 * 60_000;

export interface AdmissionServices {
  readonly log: Logger;
  readonly clock: Clock;
  /** The number of processes a Local limit is split between (--workers). */
  readonly localShare: number;
  /** Global buckets (Redis, --redis-url); undefined without --redis-url. */
  readonly global: GlobalBuckets | undefined;
  /** The Local buckets of a rule, created on first use and kept across table swaps. */
  localBuckets(id: string, shape: BucketShape): LocalBuckets;
  /** Logs once per process per `key` (configuration problems seen on the request path). */
  warnOnce(key: string, message: string, fields?: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface AdmissionServicesOptions {
  readonly log: Logger;
  readonly workers: number;
  readonly redisUrl: string | undefined;
  readonly clock?: Clock;
  /** Test seam: Global buckets other than Redis at redisUrl. */
  readonly global?: GlobalBuckets;
}

/**
 * Redis buckets, with @redis/client (≈ 480 modules) imported only when --redis-url is set. A take
 * before the import is done waits for it, then fails open like any take before Redis is connected.
 */
function redisBuckets(url: string, log: Logger): GlobalBuckets {
  const loading = import('./redis-limiter.js').then(({ RedisBuckets }) => new RedisBuckets({ url, log }));
  return {
    take: async (key, shape) => (await loading).take(key, shape),
    close: async () => (await loading).close(),
  };
}

class Services implements AdmissionServices {
  readonly log: Logger;
  readonly clock: Clock;
  readonly localShare: number;
  readonly global: GlobalBuckets | undefined;
  private readonly buckets = new Map<string, LocalBuckets>();
  private readonly warned = new Set<string>();

  constructor(o: AdmissionServicesOptions) {
    this.log = o.log;
    this.clock = o.clock ?? Date.now;
    this.localShare = o.workers;
    this.global = o.global ?? (o.redisUrl ? redisBuckets(o.redisUrl, o.log) : undefined);
  }

  localBuckets(id: string, shape: BucketShape): LocalBuckets {
    // A rule whose numbers changed starts with fresh buckets.
    const key = `${id}|${shape.capacity}|${shape.cost}|${shape.refillPerMs}`;
    let b = this.buckets.get(key);
    if (!b) {
      this.sweep();
      this.buckets.set(key, (b = new LocalBuckets(shape, this.clock)));
    }
    return b;
  }

  /**
   * Drops the buckets of rules unused for a while (removed routes, changed limits). Runs when a
   * rule is compiled, not per request; a rule that comes back after that starts full.
   */
  private sweep(): void {
    const now = this.clock();
    for (const [key, b] of this.buckets) if (now - b.lastUsed > UNUSED_MS) this.buckets.delete(key);
  }

  warnOnce(key: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, message);
  }

  async close(): Promise<void> {
    await this.global?.close();
  }
}

export function createAdmissionServices(options: AdmissionServicesOptions): AdmissionServices {
  return new Services(options);
}

let fallback: AdmissionServices | undefined;

/** For proxy contexts built without services (tests): one process, no Redis, a silent log. */
export function fallbackServices(): AdmissionServices {
  return (fallback ??= new Services({ log: silentLogger, workers: 1, redisUrl: undefined }));
}
