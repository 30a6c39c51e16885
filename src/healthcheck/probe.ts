// One active health probe of one endpoint: a promise of its outcome that never rejects. The
// HTTP and TCP probes (http-probe.ts, tcp-probe.ts) open their own connections, never the data
// plane's pools, so a probe measures the endpoint and not a pooled connection's luck.
import type { ConnectionOptions } from 'node:tls';
import type { ActiveHealthCheck } from '../table/types.js';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';

/**
 * success: the check passed. failure: the endpoint answered, not as expected (HTTP status).
 * timeout: no answer within the check's timeout. error: the connection failed (refused, reset,
 * unreachable, malformed answer, TLS handshake or verification failed).
 */
export type ProbeResult = 'success' | 'failure' | 'timeout' | 'error';

export interface ProbeOutcome {
  readonly result: ProbeResult;
  /**
   * Why TLS to the endpoint failed: a reason of sluice_upstream_tls_failures_total (untrusted,
   * expired, hostname-mismatch, ...) or `refused` (the cluster's TLS cannot be verified, so
   * nothing was sent).
   */
  readonly tlsFailure?: string;
  /** What went wrong, for the log (an error message, or the unexpected status). */
  readonly detail?: string;
}

/** TLS to an endpoint, exactly as the data plane's requests to its cluster speak it. */
export interface ProbeTls {
  /** The data plane's connection options (upstream/tls.ts): trust anchors, client key pair, SNI, identity check. */
  readonly connect: ConnectionOptions;
  /** The SNI and verified name (the BackendTLSPolicy hostname): the default Host of an HTTP probe. */
  readonly serverName: string;
}

export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
  /** HTTP checks only: speak TLS to the endpoint; absent: clear text. TCP checks ignore it. */
  readonly tls?: ProbeTls;
}

/** Runs one probe; aborting `signal` cancels it (its result is then 'error' and meaningless). */
export type Probe = (check: ActiveHealthCheck, target: ProbeTarget, signal: AbortSignal) => Promise<ProbeOutcome>;

export const probe: Probe = (check, target, signal) => (check.type === 'TCP' ? tcpProbe(target, check.timeoutMs, signal) : httpProbe(check, target, signal));
