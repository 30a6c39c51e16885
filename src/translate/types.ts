import type { GatewayClassStatus, GatewayStatus, RouteParentStatus } from '../api/gateway.js';
import type { PolicyAncestorStatus } from '../api/sluice.js';
import type { RoutingTable, SourceRef } from '../table/types.js';

export interface TranslateOptions {
  /** The IngressClass name this instance serves (--ingress-class). */
  readonly ingressClass: string;
  /** Only objects in this namespace count (--watch-namespace); cluster-scoped ones always do. */
  readonly watchNamespace?: string | undefined;
  /**
   * Addresses published for Gateways that name none in spec.addresses (--publish-address); they
   * become those Gateways' status.addresses. Gateways with spec.addresses publish their own.
   */
  readonly publishAddresses?: readonly string[] | undefined;
  /**
   * --gateway-address-pool (an IPv4 CIDR, validated by the CLI): each Gateway without
   * spec.addresses gets its own address from this range (served and published in
   * status.addresses), so Gateways can share ports.
   */
  readonly gatewayAddressPool?: string | undefined;
  /**
   * The kubernetes.io/tls Secret served for unknown or missing SNI (--default-certificate); it
   * becomes every HTTPS listener's tls.defaultCertificate. Unset or unusable: the data plane's
   * generated certificate.
   */
  readonly defaultCertificate?: { readonly namespace: string; readonly name: string } | undefined;
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

/** Status of a GatewayClass whose controllerName is Sluice's. */
export interface GatewayClassStatusUpdate {
  readonly kind: 'GatewayClass';
  readonly name: string;
  readonly status: GatewayClassStatus;
}

/** The whole status of a Gateway of one of our classes (Sluice is its only writer). */
export interface GatewayStatusUpdate {
  readonly kind: 'Gateway';
  readonly namespace: string;
  readonly name: string;
  readonly status: GatewayStatus;
}

/**
 * Sluice's entries of an HTTPRoute's status.parents (controllerName = ours). The writer replaces
 * only the entries whose controllerName is ours and keeps other controllers' entries.
 */
export interface HTTPRouteStatusUpdate {
  /** GRPCRoutes' statuses have the same shape. */
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly namespace: string;
  readonly name: string;
  readonly parents: readonly RouteParentStatus[];
}

/**
 * Sluice's entries of a BackendTrafficPolicy's status.ancestors (controllerName = ours); the
 * writer keeps other controllers' entries.
 */
export interface BackendTrafficPolicyStatusUpdate {
  readonly kind: 'BackendTrafficPolicy';
  readonly namespace: string;
  readonly name: string;
  readonly ancestors: readonly PolicyAncestorStatus[];
}

/** Sluice's entries of a RoutePolicy's status.ancestors (controllerName = ours), the same way. */
export interface RoutePolicyStatusUpdate {
  readonly kind: 'RoutePolicy';
  readonly namespace: string;
  readonly name: string;
  readonly ancestors: readonly PolicyAncestorStatus[];
}

/** Sluice's entries of a BackendTLSPolicy's status.ancestors (controllerName = ours), the same way. */
export interface BackendTLSPolicyStatusUpdate {
  readonly kind: 'BackendTLSPolicy';
  readonly namespace: string;
  readonly name: string;
  readonly ancestors: readonly PolicyAncestorStatus[];
}

export type StatusUpdate =
  | IngressStatusUpdate
  | GatewayClassStatusUpdate
  | GatewayStatusUpdate
  | HTTPRouteStatusUpdate
  | BackendTrafficPolicyStatusUpdate
  | RoutePolicyStatusUpdate
  | BackendTLSPolicyStatusUpdate;

export interface TranslateResult {
  readonly table: RoutingTable;
  readonly statuses: readonly StatusUpdate[];
  readonly diagnostics: readonly Diagnostic[];
}
