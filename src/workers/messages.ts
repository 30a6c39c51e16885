// The IPC protocol between the controller (cluster primary) and data-plane workers. A table
// travels as pieces (see table-transfer.ts) followed by an end message that installs it.
import type { MetricsJson } from '../metrics-exposition.js';
import type { HealthSnapshot } from '../dataplane/health/health.js';
import type { KeyPair } from '../dataplane/tls/default-certificate.js';
import type { TablePiece } from './table-transfer.js';
import type { TrafficSnapshot } from '../dataplane/stats/traffic.js';

/** prom-client's JSON of a worker's registry, exemplars included. */
export type WorkerMetricsJson = MetricsJson;

/** One active health-check verdict: the controller probes, every worker's balancers obey. */
export interface ActiveVerdict {
  readonly clusterId: string;
  readonly key: string;
  readonly healthy: boolean;
}

export type ToWorker =
  | { readonly type: 'sluice:table-piece'; readonly generation: number; readonly piece: TablePiece }
  | { readonly type: 'sluice:table-end'; readonly generation: number; readonly keepRoutes: boolean; readonly routesVersion?: number }
  | { readonly type: 'sluice:metrics'; readonly id: number }
  | { readonly type: 'sluice:health'; readonly id: number }
  | { readonly type: 'sluice:stats'; readonly id: number }
  /** The controller's generated sluice-default certificate: every worker serves the same one. */
  | { readonly type: 'sluice:default-certificate'; readonly pair: KeyPair }
  /** Active health-check verdicts (changes, or every current one for a new worker). */
  | { readonly type: 'sluice:active-health'; readonly verdicts: readonly ActiveVerdict[] }
  | { readonly type: 'sluice:stop'; readonly drainMs: number };

export type FromWorker =
  | { readonly type: 'sluice:ready' }
  | { readonly type: 'sluice:installed'; readonly generation: number }
  /** The worker could not apply an endpoint-only update (it lacks those routes): send it all. */
  | { readonly type: 'sluice:resync' }
  | { readonly type: 'sluice:metrics'; readonly id: number; readonly metrics: WorkerMetricsJson }
  | { readonly type: 'sluice:health'; readonly id: number; readonly health: HealthSnapshot }
  | { readonly type: 'sluice:stats'; readonly id: number; readonly stats: TrafficSnapshot };

/** Questions the controller asks every worker, and the replies they carry. */
export type WorkerQuery = 'sluice:metrics' | 'sluice:health' | 'sluice:stats';
export type QueryReply<Q extends WorkerQuery> = Extract<FromWorker, { type: Q }>;

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('sluice:');
}
