// The IPC protocol between the controller (cluster primary) and data-plane workers.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { RoutingTable } from '../table/types.js';

export type WorkerMetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export type ToWorker =
  | { readonly type: 'sluice:table'; readonly generation: number; readonly table: RoutingTable }
  | { readonly type: 'sluice:metrics'; readonly id: number }
  | { readonly type: 'sluice:stop'; readonly drainMs: number };

export type FromWorker =
  | { readonly type: 'sluice:ready' }
  | { readonly type: 'sluice:installed'; readonly generation: number }
  | { readonly type: 'sluice:metrics'; readonly id: number; readonly metrics: WorkerMetricsJson };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('sluice:');
}
