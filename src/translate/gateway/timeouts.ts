// HTTPRoute rule timeouts → the table's RouteTimeouts, in milliseconds.
import type { HTTPRouteRule } from '../../api/gateway.js';
import { parseDuration } from '../../config/duration.js';
import type { RouteTimeouts } from '../../table/types.js';
import type { RouteProblems } from './problems.js';

export function compileTimeouts(rule: HTTPRouteRule, where: string, p: RouteProblems): RouteTimeouts | undefined {
  const t = rule.timeouts;
  if (!t) return undefined;
  const parse = (v: string | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) p.unsupportedValue(`${where}: timeouts.${field} ${JSON.stringify(v)} is not a duration`);
    return ms === 0 ? undefined : ms; // "0s" disables the timeout
  };
  const requestMs = parse(t.request, 'request');
  const backendRequestMs = parse(t.backendRequest, 'backendRequest');
  if (requestMs !== undefined && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    p.unsupportedValue(`${where}: timeouts.backendRequest must not exceed timeouts.request`);
  }
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  return { ...(requestMs !== undefined ? { requestMs } : {}), ...(backendRequestMs !== undefined ? { backendRequestMs } : {}) };
}
