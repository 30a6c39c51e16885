// The resources Sluice watches: where each lives in the API and which selectors apply.
// --watch-namespace turns every namespaced resource into a namespaced list/watch.
import type { ConfigMap, KubeObject } from '../api/core.js';
import { WATCHED_KINDS, type WatchedKind } from '../api/kinds.js';

export interface ResourceSpec {
  readonly kind: WatchedKind;
  readonly apiVersion: string;
  /** Lower-case plural, as in the URL and in RBAC rules. */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** What of each object the store keeps (ConfigMaps: only the CA bundle); default: all of it. */
  readonly trim?: (obj: KubeObject) => KubeObject;
}

export const TLS_SECRET_SELECTOR = 'type=kubernetes.io/tls';
/** RoutePolicy basicAuth Secrets: a type of Sluice's own, so no generic (Opaque) Secret is ever read. */
export const HTPASSWD_SECRET_SELECTOR = 'type=sluice.dev/htpasswd';

export const RESOURCES: readonly ResourceSpec[] = [
  { kind: 'IngressClass', apiVersion: WATCHED_KINDS.IngressClass, plural: 'ingressclasses', namespaced: false },
  { kind: 'Ingress', apiVersion: WATCHED_KINDS.Ingress, plural: 'ingresses', namespaced: true },
  { kind: 'Service', apiVersion: WATCHED_KINDS.Service, plural: 'services', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: WATCHED_KINDS.EndpointSlice, plural: 'endpointslices', namespaced: true },
  // Only TLS and htpasswd Secrets, one informer each (a field selector cannot say "or"): never
  // read (or hold in memory) anything else. A Secret's type is immutable, so no Secret ever moves
  // from one informer to the other.
  { kind: 'Secret', apiVersion: WATCHED_KINDS.Secret, plural: 'secrets', namespaced: true, fieldSelector: TLS_SECRET_SELECTOR },
  { kind: 'Secret', apiVersion: WATCHED_KINDS.Secret, plural: 'secrets', namespaced: true, fieldSelector: HTPASSWD_SECRET_SELECTOR },
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

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const SLUICE_API_GROUP = 'sluice.dev';

/**
 * A kind defined by a CRD (Gateway API, Sluice's own), watched only once discovery shows it
 * served. `versions` are the served versions we can read, preferred first; whichever is watched,
 * objects are stamped with `apiVersion` (the version the store keeps): ReferenceGrant has the
 * same schema in v1 and v1beta1.
 */
export interface GatewayResourceSpec extends ResourceSpec {
  readonly versions: readonly string[];
}

/** The CRD-defined kinds of one API group, discovered and watched together (crd-watch.ts). */
export interface CrdGroup {
  /** For logs and diagnostics: "Gateway API CRDs found: watching them". */
  readonly name: string;
  readonly group: string;
  readonly resources: readonly GatewayResourceSpec[];
}

export const GATEWAY_RESOURCES: readonly GatewayResourceSpec[] = [
  { kind: 'GatewayClass', apiVersion: WATCHED_KINDS.GatewayClass, plural: 'gatewayclasses', namespaced: false, versions: ['v1'] },
  { kind: 'Gateway', apiVersion: WATCHED_KINDS.Gateway, plural: 'gateways', namespaced: true, versions: ['v1'] },
  { kind: 'HTTPRoute', apiVersion: WATCHED_KINDS.HTTPRoute, plural: 'httproutes', namespaced: true, versions: ['v1'] },
  { kind: 'GRPCRoute', apiVersion: WATCHED_KINDS.GRPCRoute, plural: 'grpcroutes', namespaced: true, versions: ['v1'] },
  { kind: 'ReferenceGrant', apiVersion: WATCHED_KINDS.ReferenceGrant, plural: 'referencegrants', namespaced: true, versions: ['v1beta1', 'v1'] },
  { kind: 'BackendTLSPolicy', apiVersion: WATCHED_KINDS.BackendTLSPolicy, plural: 'backendtlspolicies', namespaced: true, versions: ['v1'] },
];

export const GATEWAY_API: CrdGroup = { name: 'Gateway API', group: GATEWAY_API_GROUP, resources: GATEWAY_RESOURCES };

/** Sluice's own CRDs (crds/sluice/). */
export const SLUICE_RESOURCES: readonly GatewayResourceSpec[] = [
  { kind: 'BackendTrafficPolicy', apiVersion: WATCHED_KINDS.BackendTrafficPolicy, plural: 'backendtrafficpolicies', namespaced: true, versions: ['v1alpha1'] },
  { kind: 'RoutePolicy', apiVersion: WATCHED_KINDS.RoutePolicy, plural: 'routepolicies', namespaced: true, versions: ['v1alpha1'] },
];

export const SLUICE_API: CrdGroup = { name: 'Sluice API', group: SLUICE_API_GROUP, resources: SLUICE_RESOURCES };

/** Namespaces are read for their labels only (listener allowedRoutes selectors), with Gateway API. */
export const NAMESPACE_RESOURCE: ResourceSpec = { kind: 'Namespace', apiVersion: WATCHED_KINDS.Namespace, plural: 'namespaces', namespaced: false };

/**
 * ConfigMaps hold the CA bundles of BackendTLSPolicy and Gateway frontend validation (key
 * ca.crt). Which ones matter is only known from those objects and no field selector can say it,
 * so every ConfigMap (of --watch-namespace, if set) is listed and watched — with Gateway API
 * only — and the store keeps its name and ca.crt alone (the informer's own cache holds the
 * objects as listed).
 */
export const CONFIGMAP_RESOURCE: ResourceSpec = {
  kind: 'ConfigMap',
  apiVersion: WATCHED_KINDS.ConfigMap,
  plural: 'configmaps',
  namespaced: true,
  trim: (obj) => {
    const cm = obj as ConfigMap;
    const { name, namespace, uid, resourceVersion, creationTimestamp } = cm.metadata;
    const ca = cm.data?.['ca.crt'];
    const metadata = { name, ...(namespace !== undefined ? { namespace } : {}), ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}), ...(creationTimestamp ? { creationTimestamp } : {}) };
    return { apiVersion: cm.apiVersion, kind: cm.kind, metadata, ...(ca !== undefined ? { data: { 'ca.crt': ca } } : {}) } as ConfigMap;
  },
};

/** With --watch-namespace only that one Namespace's labels can matter. */
export function namespaceFieldSelector(watchNamespace: string | undefined): string | undefined {
  return watchNamespace ? `metadata.name=${watchNamespace}` : undefined;
}

/** Where a CRD-defined resource of `group` is listed and watched in the served version `version`. */
export function crdResourcePath(group: CrdGroup, spec: GatewayResourceSpec, version: string, watchNamespace: string | undefined): string {
  return collectionPath(`${group.group}/${version}`, spec.plural, spec.namespaced ? watchNamespace : undefined);
}
