// Labelled metric children of one route's checks, found without building a label key per
// request: keyed by the result (a constant string) and dropped if the metrics object changes.
import type { Metrics } from '../../metrics.js';

export type AuthType = 'ip' | 'basic' | 'forward' | 'deny_all';
export type AuthResult = 'allowed' | 'denied' | 'missing' | 'error' | 'fail_open' | 'busy';
export type RateLimitResult = 'allowed' | 'limited' | 'error';

class Children<R extends string> {
  private metrics: Metrics | undefined;
  private readonly children = new Map<R, { inc(): void }>();
  private readonly make: (metrics: Metrics, result: R) => { inc(): void };

  constructor(make: (metrics: Metrics, result: R) => { inc(): void }) {
    this.make = make;
  }

  count(metrics: Metrics, result: R): void {
    if (metrics !== this.metrics) {
      this.metrics = metrics;
      this.children.clear();
    }
    let c = this.children.get(result);
    if (!c) this.children.set(result, (c = this.make(metrics, result)));
    c.inc();
  }
}

/** sluice_auth_total{route,type,result} of one check. */
export function authCounter(route: string, type: AuthType): Children<AuthResult> {
  return new Children((m, result) => m.auth.labels(route, type, result));
}

/** sluice_ratelimit_total{route,result} of one route. */
export function rateLimitCounter(route: string): Children<RateLimitResult> {
  return new Children((m, result) => m.rateLimit.labels(route, result));
}

export type { Children };
