// HTTPRoute rule timeouts → the table's RouteTimeouts, in milliseconds.
import type { HTTPRouteRule } from '../../api/gateway.js';
import { API_DURATION_SYNTAX, parseApiDuration } from '../../config/api-duration.js';
import { MAX_TIMEOUT_MS } from '../../table/canonical.js';
import type { RouteTimeouts } from '../../table/types.js';
import type { RouteProblems } from './problems.js';

export function compileTimeouts(rule: HTTPRouteRule, where: string, p: RouteProblems): RouteTimeouts | undefined {
  const t = rule.timeouts;
  if (!t) return undefined;
  const parse = (v: string | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseApiDuration(v);
    if (ms === undefined) p.unsupportedValue(`${where}: timeouts.${field} ${JSON.stringify(v)} is not a Gateway API duration (${API_DURATION_SYNTAX})`);
    return ms;
  };
  // "0s" disables a timeout: no request timer at all, and for backendRequest an explicit 0 that
  // also turns off --upstream-response-timeout for this route's attempts.
  const request = parse(t.request, 'request');
  const requestMs = request === 0 ? undefined : request;
  const backendRequestMs = parse(t.backendRequest, 'backendRequest');
  if (requestMs !== undefined && backendRequestMs !== undefined && (backendRequestMs === 0 || backendRequestMs > requestMs)) {
    p.unsupportedValue(`${where}: timeouts.backendRequest must not exceed timeouts.request`);
  }
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  // The API allows up to 4 × 99999h; a timer cannot wait that long, so the longest one it can
  // wait stands in, as the spec has it for a zero an implementation cannot disable.
  const clamp = (ms: number) => Math.min(ms, MAX_TIMEOUT_MS);
  return {
    ...(requestMs !== undefined ? { requestMs: clamp(requestMs) } : {}),
    ...(backendRequestMs !== undefined ? { backendRequestMs: clamp(backendRequestMs) } : {}),
  };
}
