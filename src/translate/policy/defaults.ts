// The values translate fills in for fields a BackendTrafficPolicy block leaves out (and for the
// Gateway API route fields). A block that is absent stays absent in the table: the data plane's
// own behaviour applies (RoundRobin, no health checks, no retries). A block that is present comes
// out complete, so the data plane never guesses. The CRD documents the same values
// (crds/sluice/sluice.dev_backendtrafficpolicies.yaml); keep the two in step.
import type { RetryOn, StatusRange } from '../../table/types.js';

export const POLICY_DEFAULTS = {
  loadBalancer: {
    type: 'RoundRobin',
    /** Power of two choices (Envoy's and the default). */
    choiceCount: 2,
    /** Envoy's Maglev default: a prime well above 100 × any realistic endpoint count. */
    tableSize: 65537,
  },
  sessionPersistence: {
    type: 'Cookie',
    sessionName: 'sluice-session',
    lifetime: 'Session',
  },
  active: {
    type: 'HTTP',
    path: '/',
    method: 'GET',
    /** Success as Kubernetes HTTP probes (and HAProxy httpchk) count it: 2xx and 3xx. */
    expectedStatuses: [{ start: 200, end: 399 }] as readonly StatusRange[],
    intervalMs: 5000,
    /** 1s, but never longer than the interval (a probe ends before the next one starts). */
    timeoutMs: 1000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    initialJitterMs: 0,
  },
  passive: {
    /** Counted only when neither consecutive5xx nor consecutiveGatewayErrors is given (Envoy's default). */
    consecutive5xx: 5,
    intervalMs: 10_000,
    baseEjectionMs: 30_000,
    maxEjectionMs: 300_000,
    /**
     * Envoy defaults to 10 %; Sluice to 50 %: with the small endpoint counts typical behind an
     * ingress, two sick pods of four can both go, and a majority is never ejected.
     */
    maxEjectionPercent: 50,
  },
  panicThreshold: 50,
  circuitBreaker: {
    maxConnections: 1024,
    maxPendingRequests: 1024,
    maxParallelRequests: 1024,
    maxParallelRetries: 3,
  },
  retry: {
    numRetries: 2,
    retryOn: ['connect-failure', 'reset'] as readonly RetryOn[],
    baseMs: 25,
    /** Without maxInterval: 10 × the base interval (Envoy's rule), so 250 ms by default. */
    maxFactor: 10,
    budgetPercent: 20,
    minRetryConcurrency: 3,
  },
} as const;
