// Exponential backoff with jitter for reconnecting to the apiserver. Pure: the random source is
// injectable so tests can pin the jitter.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction of the delay that is randomised (0.2 → the delay varies by ±20 %). */
  readonly jitter: number;
  readonly random?: () => number;
}

export const INFORMER_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, jitter: 0.2 };

export class Backoff {
  private readonly o: BackoffOptions;
  private attempt = 0;

  constructor(options: BackoffOptions) {
    this.o = options;
  }

  /** The delay before the next attempt; each call doubles the base, up to maxMs. */
  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const random = this.o.random ?? Math.random;
    const spread = base * this.o.jitter * (2 * random() - 1);
    return Math.max(0, Math.round(Math.min(this.o.maxMs * (1 + this.o.jitter), base + spread)));
  }

  /** Attempts since the last reset. */
  attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
