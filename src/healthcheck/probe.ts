// One active health probe of one endpoint: a promise of its result that never rejects. The
// HTTP and TCP probes (http-probe.ts, tcp-probe.ts) open their own connections, never the data
// plane's pools, so a probe measures the endpoint and not a pooled connection's luck.
import type { ActiveHealthCheck } from '../table/types.js';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';

/**
 * success: the check passed. failure: the endpoint answered, not as expected (HTTP status).
 * timeout: no answer within the check's timeout. error: the connection failed (refused, reset,
 * unreachable, malformed answer).
 */
export type ProbeResult = 'success' | 'failure' | 'timeout' | 'error';

export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
}

/** Runs one probe; aborting `signal` cancels it (its result is then 'error' and meaningless). */
export type Probe = (check: ActiveHealthCheck, target: ProbeTarget, signal: AbortSignal) => Promise<ProbeResult>;

export const probe: Probe = (check, target, signal) => (check.type === 'TCP' ? tcpProbe(target, check.timeoutMs, signal) : httpProbe(check, target, signal));
