// A cluster's load in this worker and the circuit-breaker limits on it (BackendTrafficPolicy
// circuitBreaker; none without a policy). Kept per cluster id across table swaps, so an
// EndpointSlice update neither resets the counts nor lets a burst through.
//   maxParallelRequests  requests in flight to the cluster; beyond: 503 at once
//   maxConnections       upstream attempts in flight (an HTTP/1.1 attempt holds one connection,
//                        an L4 connection one for its whole life); beyond: the request waits for
//                        one to end, in FIFO order; an L4 connection is refused
//   maxPendingRequests   requests waiting so; beyond: 503 at once
//   maxParallelRetries   retries in flight; beyond: the failure is answered, not retried
// The retry budget (retry.budget) bounds retries to a share of the requests in flight.
import type { CircuitBreaker, RetryPolicy } from '../../table/types.js';

export type OverflowLimit = 'maxParallelRequests' | 'maxPendingRequests' | 'maxParallelRetries';

/** A request waiting for a connection slot. */
export interface SlotWaiter {
  /** Called once when the request may send its attempt. */
  slotFree(): void;
}

export type RetryRefusal = 'maxParallelRetries' | 'budget';

export class ClusterLoad {
  limits: CircuitBreaker | undefined;
  /** Requests of this cluster in flight (admitted, not finished). */
  activeRequests = 0;
  /** Retry attempts in flight. */
  activeRetries = 0;
  /** Attempts in flight (connections in use). */
  attempts = 0;
  private readonly waiting = new Set<SlotWaiter>();

  /** Admits a new request, or names the limit it overflows. */
  admit(): OverflowLimit | undefined {
    if (this.limits && this.activeRequests >= this.limits.maxParallelRequests) return 'maxParallelRequests';
    this.activeRequests++;
    return undefined;
  }

  /** An admitted request finished. */
  release(): void {
    this.activeRequests--;
  }

  /**
   * Whether an attempt may start now. When every connection is in use, `waiter` is queued and
   * false returned (it is admitted later); 'overflow' when the queue is full too.
   */
  acquireSlot(waiter: SlotWaiter): boolean | 'overflow' {
    const limits = this.limits;
    if (!limits || (this.attempts < limits.maxConnections && this.waiting.size === 0)) {
      this.attempts++;
      return true;
    }
    if (this.waiting.size >= limits.maxPendingRequests) return 'overflow';
    this.waiting.add(waiter);
    return false;
  }

  /**
   * An L4 connection's slot, held until it closes (releaseSlot). L4 has no queue: at the limit,
   * or with HTTP requests already waiting for a slot, it is refused.
   */
  acquireConnection(): boolean {
    if (this.limits && (this.attempts >= this.limits.maxConnections || this.waiting.size > 0)) return false;
    this.attempts++;
    return true;
  }

  /** A queued request gave up (client gone, timeout). */
  cancelWait(waiter: SlotWaiter): void {
    this.waiting.delete(waiter);
  }

  /** An attempt ended: its slot goes to the longest-waiting request. */
  releaseSlot(): void {
    this.attempts--;
    this.admitWaiting();
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Whether one more retry may start now, or what refuses it. */
  mayRetry(retry: RetryPolicy): RetryRefusal | undefined {
    if (this.limits && this.activeRetries >= this.limits.maxParallelRetries) return 'maxParallelRetries';
    const budget = retry.budget;
    if (budget && this.activeRetries >= Math.max(budget.minRetryConcurrency, (budget.percent / 100) * this.activeRequests)) return 'budget';
    return undefined;
  }

  /** Limits changed with a new table: a raised maxConnections lets waiting requests go. */
  configure(limits: CircuitBreaker | undefined): void {
    this.limits = limits;
    this.admitWaiting();
  }

  private admitWaiting(): void {
    for (const next of this.waiting) {
      if (this.limits && this.attempts >= this.limits.maxConnections) return;
      this.waiting.delete(next);
      this.attempts++;
      next.slotFree();
    }
  }
}
