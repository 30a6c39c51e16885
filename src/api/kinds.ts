import type { ConfigMap, EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from './core.js';
import type { BackendTLSPolicy, Gateway, GatewayClass, GRPCRoute, HTTPRoute, Namespace, ReferenceGrant } from './gateway.js';
import type { BackendTrafficPolicy, RoutePolicy } from './sluice.js';

/**
 * Every kind Sluice keeps in its store, with the apiVersion it must carry. Providers drop
 * anything else. Namespace is read only for its labels (Gateway listener namespace selectors).
 * ReferenceGrant is also served as v1 since Gateway API v1.5; v1beta1 is its storage version.
 * BackendTrafficPolicy and RoutePolicy are Sluice's own CRDs (crds/sluice/). ConfigMaps are
 * read only for CA bundles (ca.crt).
 */
export const WATCHED_KINDS = {
  IngressClass: 'networking.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Secret: 'v1',
  Namespace: 'v1',
  GatewayClass: 'gateway.networking.k8s.io/v1',
  Gateway: 'gateway.networking.k8s.io/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  GRPCRoute: 'gateway.networking.k8s.io/v1',
  ReferenceGrant: 'gateway.networking.k8s.io/v1beta1',
  BackendTrafficPolicy: 'sluice.dev/v1alpha1',
  RoutePolicy: 'sluice.dev/v1alpha1',
  ConfigMap: 'v1',
  BackendTLSPolicy: 'gateway.networking.k8s.io/v1',
} as const;

export type WatchedKind = keyof typeof WATCHED_KINDS;

export interface KindToObject {
  IngressClass: IngressClass;
  Ingress: Ingress;
  Service: Service;
  EndpointSlice: EndpointSlice;
  Secret: Secret;
  Namespace: Namespace;
  GatewayClass: GatewayClass;
  Gateway: Gateway;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  ReferenceGrant: ReferenceGrant;
  BackendTrafficPolicy: BackendTrafficPolicy;
  RoutePolicy: RoutePolicy;
  ConfigMap: ConfigMap;
  BackendTLSPolicy: BackendTLSPolicy;
}

export function isWatchedKind(kind: string): kind is WatchedKind {
  return Object.hasOwn(WATCHED_KINDS, kind);
}

/** Whether an object is one Sluice keeps: a watched kind at the apiVersion we understand. */
export function isWatchedObject(obj: KubeObject): boolean {
  return isWatchedKind(obj.kind) && WATCHED_KINDS[obj.kind] === obj.apiVersion;
}

export function objectKey(obj: Pick<KubeObject, 'metadata'>): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}
