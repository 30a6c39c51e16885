// A minute of traffic in twelve 5-second slots: requests, 5xx answers and a latency histogram
// per slot. Recording is a few typed-array increments; slots are keyed by wall-clock epoch so
// the controller can add up the windows of several workers slot by slot.

export const SLOT_MS = 5000;
export const SLOTS = 12;

/** Upper bounds (ms) of the latency buckets: 0.25 ms × √2^k up to 30 s; the last bucket is open. */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 35 }, (_, k) => Math.round(0.25 * 2 ** (k / 2) * 1000) / 1000);
const BUCKETS = LATENCY_BOUNDS_MS.length + 1;
const FIRST_BOUND = LATENCY_BOUNDS_MS[0]!;

export function latencyBucket(ms: number): number {
  if (!(ms > FIRST_BOUND)) return 0;
  const k = Math.ceil(2 * Math.log2(ms / FIRST_BOUND));
  // Rounding of the bounds: step back when ms fits the bucket below.
  const b = k > 0 && ms <= LATENCY_BOUNDS_MS[k - 1]! ? k - 1 : k;
  return b < BUCKETS ? b : BUCKETS - 1;
}

/** One slot as it crosses IPC. */
export interface WindowSlot {
  /** Slot epoch: floor(wall-clock ms / SLOT_MS). */
  readonly t: number;
  readonly requests: number;
  readonly errors: number;
  /** Requests per latency bucket (LATENCY_BOUNDS_MS, then the open bucket). */
  readonly latency: readonly number[];
}

export class RollingWindow {
  private readonly epochs = new Float64Array(SLOTS).fill(-1);
  private readonly requests = new Uint32Array(SLOTS);
  private readonly errors = new Uint32Array(SLOTS);
  private readonly latency = new Uint32Array(SLOTS * BUCKETS);

  record(wallMs: number, status: number, ms: number): void {
    const epoch = Math.floor(wallMs / SLOT_MS);
    const i = epoch % SLOTS;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.requests[i] = 0;
      this.errors[i] = 0;
      this.latency.fill(0, i * BUCKETS, (i + 1) * BUCKETS);
    }
    this.requests[i]!++;
    if (status >= 500) this.errors[i]!++;
    this.latency[i * BUCKETS + latencyBucket(ms)]!++;
  }

  /** The slots of the last minute that saw traffic, oldest first. */
  slots(wallMs: number): WindowSlot[] {
    const now = Math.floor(wallMs / SLOT_MS);
    const out: WindowSlot[] = [];
    for (let t = now - SLOTS + 1; t <= now; t++) {
      const i = t % SLOTS;
      if (this.epochs[i] !== t || this.requests[i] === 0) continue;
      out.push({ t, requests: this.requests[i]!, errors: this.errors[i]!, latency: Array.from(this.latency.subarray(i * BUCKETS, (i + 1) * BUCKETS)) });
    }
    return out;
  }
}

/** The latency (ms, a bucket's upper bound) under which `q` of the requests fell; undefined with none. */
export function quantileMs(latency: readonly number[], q: number): number | undefined {
  let total = 0;
  for (const n of latency) total += n;
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let b = 0; b < latency.length; b++) {
    seen += latency[b]!;
    if (seen >= rank) return b < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[b]! : Infinity;
  }
  return Infinity;
}
