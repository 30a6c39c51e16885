// HTTPRoute rule retry (experimental channel, GEP-1731) → the table's RetryPolicy for the
// route; it wins over a BackendTrafficPolicy's retry for this route. The GEP leaves connection
// errors to the implementation and asks that a retry stanza retry them: Sluice retries connect
// failures, refused streams and resets (a reset only of requests the data plane may replay:
// idempotent methods, or a body not sent yet), plus `codes`. Without attempts: Sluice's
// default (2); `attempts: 0` turns retries off, as the spec requires.
import type { HTTPRouteRule } from '../../api/gateway.js';
import type { RetryOn, RetryPolicy } from '../../table/types.js';
import { POLICY_DEFAULTS } from '../policy/defaults.js';
import { Fields } from '../policy/fields.js';
import { MAX_RETRIES, readStatusCodes, retryBackoff } from '../policy/retry.js';
import type { RouteProblems } from './problems.js';

const CONNECTION_ERRORS: readonly RetryOn[] = ['connect-failure', 'refused-stream', 'reset'];

export function compileRetry(rule: HTTPRouteRule, where: string, p: RouteProblems): RetryPolicy | undefined {
  const f = new Fields(where, (m) => p.unsupportedValue(m));
  const spec = f.object(rule.retry, 'retry');
  if (!spec) return undefined;
  const r = f.at('retry');
  const attempts = r.integer(spec['attempts'], 'attempts', 0, MAX_RETRIES);
  const codes = readStatusCodes(spec['codes'], 'codes', r) ?? [];
  // "0s" is allowed: retry at once.
  const backoffMs = r.duration(spec['backoff'], 'backoff', 0);
  return {
    numRetries: attempts ?? POLICY_DEFAULTS.retry.numRetries,
    retryOn: codes.length > 0 ? [...CONNECTION_ERRORS, 'retriable-status-codes'] : CONNECTION_ERRORS,
    retriableStatusCodes: codes,
    backoff: retryBackoff(backoffMs),
  };
}
