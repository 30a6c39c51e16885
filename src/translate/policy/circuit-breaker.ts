// spec.circuitBreaker → the table's CircuitBreaker: every limit present, at least 1.
import type { CircuitBreaker } from '../../table/types.js';
import { POLICY_DEFAULTS } from './defaults.js';
import type { Fields } from './fields.js';

/** int32, as the CRD declares them. */
export const MAX_LIMIT = 2 ** 31 - 1;

export function readCircuitBreaker(value: unknown, f: Fields): CircuitBreaker | undefined {
  const spec = f.object(value, 'circuitBreaker');
  if (!spec) return undefined;
  const cb = f.at('circuitBreaker');
  const d = POLICY_DEFAULTS.circuitBreaker;
  const limit = (name: keyof CircuitBreaker) => cb.integer(spec[name], name, 1, MAX_LIMIT) ?? d[name];
  return {
    maxConnections: limit('maxConnections'),
    maxPendingRequests: limit('maxPendingRequests'),
    maxParallelRequests: limit('maxParallelRequests'),
    maxParallelRetries: limit('maxParallelRetries'),
  };
}
