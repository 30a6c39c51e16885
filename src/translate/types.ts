import type { RoutingTable, SourceRef } from '../table/types.js';

export interface TranslateOptions {
  /** The IngressClass name this instance serves (--ingress-class). */
  readonly ingressClass: string;
  /** Only objects in this namespace count (--watch-namespace); cluster-scoped ones always do. */
  readonly watchNamespace?: string | undefined;
}

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly source: SourceRef;
}

/** An Ingress Sluice serves; the status writer publishes the load-balancer address on it. */
export interface IngressStatusUpdate {
  readonly kind: 'Ingress';
  readonly namespace: string;
  readonly name: string;
}

export type StatusUpdate = IngressStatusUpdate;

export interface TranslateResult {
  readonly table: RoutingTable;
  readonly statuses: readonly StatusUpdate[];
  readonly diagnostics: readonly Diagnostic[];
}
