// The resources Sluice watches: where each lives in the API and which selectors apply.
// --watch-namespace turns every namespaced resource into a namespaced list/watch.
import { WATCHED_KINDS, type WatchedKind } from '../api/kinds.js';

export interface ResourceSpec {
  readonly kind: WatchedKind;
  readonly apiVersion: string;
  /** Lower-case plural, as in the URL and in RBAC rules. */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

export const TLS_SECRET_SELECTOR = 'type=kubernetes.io/tls';

export const RESOURCES: readonly ResourceSpec[] = [
  { kind: 'IngressClass', apiVersion: WATCHED_KINDS.IngressClass, plural: 'ingressclasses', namespaced: false },
  { kind: 'Ingress', apiVersion: WATCHED_KINDS.Ingress, plural: 'ingresses', namespaced: true },
  { kind: 'Service', apiVersion: WATCHED_KINDS.Service, plural: 'services', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: WATCHED_KINDS.EndpointSlice, plural: 'endpointslices', namespaced: true },
  // Only TLS secrets: never read (or hold in memory) anything else.
  { kind: 'Secret', apiVersion: WATCHED_KINDS.Secret, plural: 'secrets', namespaced: true, fieldSelector: TLS_SECRET_SELECTOR },
];

/** The collection path: /api/v1/services, /apis/networking.k8s.io/v1/namespaces/x/ingresses, ... */
export function collectionPath(apiVersion: string, plural: string, namespace: string | undefined): string {
  const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${root}/${plural}`;
}

/** Where a resource is listed and watched, honouring --watch-namespace for namespaced kinds. */
export function resourcePath(spec: ResourceSpec, watchNamespace: string | undefined): string {
  return collectionPath(spec.apiVersion, spec.plural, spec.namespaced ? watchNamespace : undefined);
}
