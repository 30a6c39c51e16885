// spec.healthCheck → the table's HealthCheckPolicy: active probes, passive outlier detection and
// the panic threshold, every omitted value filled from POLICY_DEFAULTS.
import type { ActiveHealthCheck, HealthCheckPolicy, OutlierDetection, StatusRange } from '../../table/types.js';
import { dnsNameProblem } from '../../table/canonical.js';
import { POLICY_DEFAULTS } from './defaults.js';
import type { Fields, Json } from './fields.js';

export const PROBE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const MAX_THRESHOLD = 1000;
export const MAX_EXPECTED_STATUSES = 16;
const PROBE_PATH = /^\/[^\s\x00-\x1f\x7f]*$/;

export function readHealthCheck(value: unknown, f: Fields): HealthCheckPolicy | undefined {
  const spec = f.object(value, 'healthCheck');
  if (!spec) return undefined;
  const hc = f.at('healthCheck');
  const active = readActive(hc.object(spec['active'], 'active'), hc.at('active'));
  const passive = readPassive(hc.object(spec['passive'], 'passive'), hc.at('passive'));
  const panicThreshold = hc.integer(spec['panicThreshold'], 'panicThreshold', 0, 100) ?? POLICY_DEFAULTS.panicThreshold;
  return { ...(active ? { active } : {}), ...(passive ? { passive } : {}), panicThreshold };
}

function readActive(spec: Json | undefined, f: Fields): ActiveHealthCheck | undefined {
  if (!spec) return undefined;
  const d = POLICY_DEFAULTS.active;
  const type = f.oneOf(spec['type'], 'type', ['HTTP', 'TCP'] as const) ?? d.type;
  const httpSpec = f.object(spec['http'], 'http');
  if (httpSpec && type !== 'HTTP') f.problem('http', `is only allowed with type HTTP, not ${type}`);
  const intervalMs = f.duration(spec['interval'], 'interval') ?? d.intervalMs;
  const timeoutMs = f.duration(spec['timeout'], 'timeout') ?? Math.min(d.timeoutMs, intervalMs);
  if (timeoutMs > intervalMs) f.problem('timeout', 'must not be longer than interval (a probe ends before the next one starts)');
  const out: ActiveHealthCheck = {
    type,
    intervalMs,
    timeoutMs,
    healthyThreshold: f.integer(spec['healthyThreshold'], 'healthyThreshold', 1, MAX_THRESHOLD) ?? d.healthyThreshold,
    unhealthyThreshold: f.integer(spec['unhealthyThreshold'], 'unhealthyThreshold', 1, MAX_THRESHOLD) ?? d.unhealthyThreshold,
    initialJitterMs: f.duration(spec['initialJitter'], 'initialJitter', 0) ?? d.initialJitterMs,
  };
  if (type !== 'HTTP') return out;
  const h = f.at('http');
  const hostname = h.string(httpSpec?.['hostname'], 'hostname', (s) => (s.startsWith('*') ? 'must not be a wildcard' : dnsNameProblem(s.toLowerCase())));
  return {
    ...out,
    http: {
      path: h.string(httpSpec?.['path'], 'path', (s) => (PROBE_PATH.test(s) && s.length <= 1024 ? undefined : 'must start with "/" and contain no spaces or control characters (at most 1024)')) ?? d.path,
      method: h.oneOf(httpSpec?.['method'], 'method', PROBE_METHODS) ?? d.method,
      ...(hostname !== undefined ? { hostname: hostname.toLowerCase() } : {}),
      expectedStatuses: readStatuses(httpSpec?.['expectedStatuses'], h) ?? d.expectedStatuses,
    },
  };
}

/** expectedStatuses: ranges of codes 100-599, `end` defaulting to `start` (a single code). */
function readStatuses(value: unknown, f: Fields): StatusRange[] | undefined {
  const list = f.list(value, 'expectedStatuses', MAX_EXPECTED_STATUSES);
  if (!list) return undefined;
  if (list.length === 0) return void f.problem('expectedStatuses', 'must list at least one range');
  const out: StatusRange[] = [];
  list.forEach((item, i) => {
    const at = f.at(`expectedStatuses[${i}]`);
    const range = f.object(item, `expectedStatuses[${i}]`);
    if (!range) return;
    const start = at.integer(range['start'], 'start', 100, 599);
    const end = at.integer(range['end'], 'end', 100, 599) ?? start;
    if (range['start'] === undefined) at.problem('start', 'is required');
    if (start !== undefined && end !== undefined) {
      if (start > end) at.invalid(`start ${start} is after end ${end}`);
      else out.push({ start, end });
    }
  });
  return out;
}

function readPassive(spec: Json | undefined, f: Fields): OutlierDetection | undefined {
  if (!spec) return undefined;
  const d = POLICY_DEFAULTS.passive;
  const consecutive5xx = f.integer(spec['consecutive5xx'], 'consecutive5xx', 1, MAX_THRESHOLD);
  const consecutiveGatewayErrors = f.integer(spec['consecutiveGatewayErrors'], 'consecutiveGatewayErrors', 1, MAX_THRESHOLD);
  const neither = spec['consecutive5xx'] === undefined && spec['consecutiveGatewayErrors'] === undefined;
  const baseEjectionMs = f.duration(spec['baseEjectionTime'], 'baseEjectionTime') ?? d.baseEjectionMs;
  const maxEjectionMs = f.duration(spec['maxEjectionTime'], 'maxEjectionTime') ?? Math.max(d.maxEjectionMs, baseEjectionMs);
  if (baseEjectionMs > maxEjectionMs) f.problem('baseEjectionTime', 'must not be longer than maxEjectionTime');
  return {
    ...(neither ? { consecutive5xx: d.consecutive5xx } : consecutive5xx !== undefined ? { consecutive5xx } : {}),
    ...(consecutiveGatewayErrors !== undefined ? { consecutiveGatewayErrors } : {}),
    intervalMs: f.duration(spec['interval'], 'interval') ?? d.intervalMs,
    baseEjectionMs,
    maxEjectionMs,
    maxEjectionPercent: f.integer(spec['maxEjectionPercent'], 'maxEjectionPercent', 0, 100) ?? d.maxEjectionPercent,
  };
}
