// Whether (and why) a failed attempt may be retried, and how long to wait first. Pure: the
// exchange asks, the circuit breaker and budget (circuit-breaker.ts) say whether it may.
import type { RetryOn, RetryPolicy } from '../../table/types.js';

/** Methods safe to send twice (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string | undefined): boolean {
  return method !== undefined && IDEMPOTENT.has(method);
}

/** How an attempt ended without an answer the client may get. */
export type AttemptFailure = 'connect-failure' | 'reset' | 'timeout';

/** A compiled retry policy: the questions the exchange asks per failure, without array scans. */
export class RetryRules {
  readonly policy: RetryPolicy;
  readonly maxAttempts: number;
  private readonly on: ReadonlySet<RetryOn>;
  private readonly codes: ReadonlySet<number>;

  constructor(policy: RetryPolicy) {
    this.policy = policy;
    this.maxAttempts = policy.numRetries + 1;
    this.on = new Set(policy.retryOn);
    this.codes = new Set(policy.retriableStatusCodes);
  }

  /** The retry reason for an attempt that failed before any answer; undefined: not retried. */
  reasonForFailure(failure: AttemptFailure): RetryOn | undefined {
    switch (failure) {
      case 'connect-failure':
        return this.on.has('connect-failure') ? 'connect-failure' : undefined;
      case 'reset':
        return this.on.has('reset') ? 'reset' : this.on.has('5xx') ? '5xx' : this.on.has('gateway-error') ? 'gateway-error' : undefined;
      case 'timeout':
        // A per-try timeout is a 504 the endpoint caused (Envoy counts it under 5xx and gateway-error).
        return this.on.has('5xx') ? '5xx' : this.on.has('gateway-error') ? 'gateway-error' : undefined;
    }
  }

  /** The retry reason for an answer with this status; undefined: the answer goes to the client. */
  reasonForStatus(status: number): RetryOn | undefined {
    if (status < 500 && this.codes.size === 0) return undefined;
    if (this.codes.has(status) && this.on.has('retriable-status-codes')) return 'retriable-status-codes';
    if (status >= 500 && status <= 599 && this.on.has('5xx')) return '5xx';
    if ((status === 502 || status === 503 || status === 504) && this.on.has('gateway-error')) return 'gateway-error';
    return undefined;
  }

  /** Full-jitter exponential backoff before retry number `retry` (1-based). */
  backoffMs(retry: number, random: () => number): number {
    const { baseMs, maxMs } = this.policy.backoff;
    if (maxMs <= 0 || baseMs <= 0) return 0;
    const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
    return Math.floor(random() * ceiling);
  }
}
