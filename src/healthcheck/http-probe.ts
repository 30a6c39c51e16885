// HTTP check: one request on a connection of its own (agent: false, so `Connection: close`);
// the endpoint passes when the status is in the expected ranges. The result is known at the
// response head; the body is read and dropped, and the connection is cut if it is still open
// when the timeout runs out. To a TLS cluster the request goes over TLS with the data plane's
// own connection options (target.tls): a handshake or verification failure is a failed probe,
// never a retry in clear text or without verification.
import { request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tlsFailureReason } from '../dataplane/upstream/tls.js';
import type { ActiveHealthCheck, StatusRange } from '../table/types.js';
import type { ProbeOutcome, ProbeTarget } from './probe.js';

/** When a check names no HTTP details: GET / answered with a 2xx or 3xx. */
const DEFAULT_HTTP = { path: '/', method: 'GET', expectedStatuses: [{ start: 200, end: 399 }] } as const;

export function expectedStatus(status: number, ranges: readonly StatusRange[]): boolean {
  for (const r of ranges) if (status >= r.start && status <= r.end) return true;
  return false;
}

/**
 * The Host header of a probe: the check's hostname; else, over TLS, the SNI (the policy's
 * hostname, which a backend serving names by SNI expects in Host too); else the endpoint as
 * address:port. The SNI itself is always the policy's: it is what the certificate is checked
 * against, as for requests.
 */
export function probeHost(check: ActiveHealthCheck, target: ProbeTarget): string {
  if (check.http?.hostname) return check.http.hostname;
  if (target.tls) return target.tls.serverName;
  return target.address.includes(':') ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`;
}

function errorOutcome(err: Error & { code?: string }): ProbeOutcome {
  const tlsFailure = tlsFailureReason(err);
  return { result: 'error', detail: err.message, ...(tlsFailure ? { tlsFailure } : {}) };
}

export function httpProbe(check: ActiveHealthCheck, target: ProbeTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const http = check.http ?? DEFAULT_HTTP;
  const ranges = http.expectedStatuses.length > 0 ? http.expectedStatuses : DEFAULT_HTTP.expectedStatuses;
  return new Promise((resolve) => {
    let settled = false;
    const options: RequestOptions = {
      host: target.address,
      port: target.port,
      method: http.method,
      path: http.path,
      agent: false,
      headers: { host: probeHost(check, target), 'user-agent': 'sluice-health-check', accept: '*/*' },
    };
    const req: ClientRequest = target.tls ? httpsRequest({ ...options, ...target.tls.connect }) : httpRequest(options);
    const settle = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    // Bounds the whole exchange: no head in time is a timeout; a body still running is cut.
    const timer = setTimeout(() => {
      settle({ result: 'timeout' });
      req.destroy();
    }, check.timeoutMs);
    timer.unref();
    const onAbort = (): void => {
      settle({ result: 'error', detail: 'aborted' });
      req.destroy();
    };
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      settle(expectedStatus(status, ranges) ? { result: 'success' } : { result: 'failure', detail: `status ${status}` });
      res.on('error', () => {});
      res.resume();
    });
    req.on('error', (err) => settle(errorOutcome(err)));
    req.on('close', () => clearTimeout(timer));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
