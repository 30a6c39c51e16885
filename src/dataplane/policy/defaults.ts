// What a cluster does when no BackendTrafficPolicy (or no block of one) says otherwise: the
// behaviour Sluice had before policies — retry a request on another endpoint after a connect
// failure, or after a reset when it is safe to repeat, up to three attempts, at once.
import type { RetryPolicy } from '../../table/types.js';

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  numRetries: 2,
  retryOn: Object.freeze(['connect-failure', 'reset'] as const),
  retriableStatusCodes: Object.freeze([]),
  backoff: Object.freeze({ baseMs: 0, maxMs: 0 }),
});
