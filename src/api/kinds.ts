import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from './core.js';

/**
 * Every kind Sluice keeps in its store, with the apiVersion it must carry. Providers drop
 * anything else. Gateway API kinds join this list in their own module.
 */
export const WATCHED_KINDS = {
  IngressClass: 'networking.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Secret: 'v1',
} as const;

export type WatchedKind = keyof typeof WATCHED_KINDS;

export interface KindToObject {
  IngressClass: IngressClass;
  Ingress: Ingress;
  Service: Service;
  EndpointSlice: EndpointSlice;
  Secret: Secret;
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
