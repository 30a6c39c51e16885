// Passive health: an endpoint that refused a connection (or timed out connecting) is skipped by
// every balancer for a short while, doubling on repeated failures, and cleared by its next
// success. Kept per endpoint address, outside the table, so it outlives swaps and is shared by
// every cluster that lists the endpoint. During a rolling update this keeps requests off pods
// that stopped listening before their EndpointSlice said so.

const FIRST_EJECTION_MS = 1000;
const MAX_EJECTION_MS = 30_000;

interface Ejection {
  until: number;
  lengthMs: number;
}

export class PassiveHealth {
  private readonly ejected = new Map<string, Ejection>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** True while the endpoint should not get new requests. */
  isEjected(key: string): boolean {
    if (this.ejected.size === 0) return false;
    const e = this.ejected.get(key);
    return e !== undefined && this.now() < e.until;
  }

  /** A connect-level failure: eject for 1 s, then 2 s, 4 s … up to 30 s while it keeps failing. */
  failed(key: string): void {
    const prev = this.ejected.get(key);
    const lengthMs = prev ? Math.min(prev.lengthMs * 2, MAX_EJECTION_MS) : FIRST_EJECTION_MS;
    this.ejected.set(key, { until: this.now() + lengthMs, lengthMs });
  }

  succeeded(key: string): void {
    if (this.ejected.size !== 0) this.ejected.delete(key);
  }

  /** Forgets endpoints that left every table. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.ejected.keys()) if (!keys.has(key)) this.ejected.delete(key);
  }

  get size(): number {
    return this.ejected.size;
  }
}
