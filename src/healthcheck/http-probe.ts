// HTTP check: one request on a connection of its own (agent: false, so `Connection: close`);
// the endpoint passes when the status is in the expected ranges. The result is known at the
// response head; the body is read and dropped, and the connection is cut if it is still open
// when the timeout runs out.
import { request } from 'node:http';
import type { ActiveHealthCheck, StatusRange } from '../table/types.js';
import type { ProbeResult, ProbeTarget } from './probe.js';

/** When a check names no HTTP details: GET / answered with a 2xx or 3xx. */
const DEFAULT_HTTP = { path: '/', method: 'GET', expectedStatuses: [{ start: 200, end: 399 }] } as const;

export function expectedStatus(status: number, ranges: readonly StatusRange[]): boolean {
  for (const r of ranges) if (status >= r.start && status <= r.end) return true;
  return false;
}

/** The Host header of a probe: the check's hostname, else the endpoint as address:port. */
export function probeHost(check: ActiveHealthCheck, target: ProbeTarget): string {
  if (check.http?.hostname) return check.http.hostname;
  return target.address.includes(':') ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`;
}

export function httpProbe(check: ActiveHealthCheck, target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const http = check.http ?? DEFAULT_HTTP;
  const ranges = http.expectedStatuses.length > 0 ? http.expectedStatuses : DEFAULT_HTTP.expectedStatuses;
  return new Promise((resolve) => {
    let settled = false;
    const req = request({
      host: target.address,
      port: target.port,
      method: http.method,
      path: http.path,
      agent: false,
      headers: { host: probeHost(check, target), 'user-agent': 'sluice-health-check', accept: '*/*' },
    });
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    // Bounds the whole exchange: no head in time is a timeout; a body still running is cut.
    const timer = setTimeout(() => {
      settle('timeout');
      req.destroy();
    }, check.timeoutMs);
    timer.unref();
    const onAbort = (): void => {
      settle('error');
      req.destroy();
    };
    req.on('response', (res) => {
      settle(expectedStatus(res.statusCode ?? 0, ranges) ? 'success' : 'failure');
      res.on('error', () => {});
      res.resume();
    });
    req.on('error', () => settle('error'));
    req.on('close', () => clearTimeout(timer));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
