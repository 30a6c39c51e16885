// spec.timeouts → the table's ClusterTimeouts: per-Service values of --upstream-connect-timeout
// (connect) and --upstream-idle-timeout (idle), and a whole-request timeout (request, as HTTPRoute
// timeouts.request; each attempt may use all of it, in place of --upstream-response-timeout).
// A route's own Gateway API timeouts win. Each must be above 0s.
import type { ClusterTimeouts } from '../../table/types.js';
import type { Fields } from './fields.js';

export function readTimeouts(value: unknown, f: Fields): ClusterTimeouts | undefined {
  const spec = f.object(value, 'timeouts');
  if (!spec) return undefined;
  const t = f.at('timeouts');
  const connectMs = t.duration(spec['connect'], 'connect');
  const requestMs = t.duration(spec['request'], 'request');
  const idleMs = t.duration(spec['idle'], 'idle');
  return {
    ...(connectMs !== undefined ? { connectMs } : {}),
    ...(requestMs !== undefined ? { requestMs } : {}),
    ...(idleMs !== undefined ? { idleMs } : {}),
  };
}
