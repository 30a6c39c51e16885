// Which object a status entry writes, and where its status subresource lives.
import type { WatchedKind } from '../../api/kinds.js';
import { collectionPath, CONFIGMAP_RESOURCE, GATEWAY_RESOURCES, NAMESPACE_RESOURCE, RESOURCES, SLUICE_RESOURCES, type ResourceSpec } from '../resources.js';

export interface StatusTarget {
  readonly kind: WatchedKind;
  readonly namespace?: string | undefined;
  readonly name: string;
}

const SPECS = new Map<WatchedKind, ResourceSpec>([...RESOURCES, ...GATEWAY_RESOURCES, ...SLUICE_RESOURCES, NAMESPACE_RESOURCE, CONFIGMAP_RESOURCE].map((spec) => [spec.kind, spec]));

/** /apis/<group>/<version>/[namespaces/<ns>/]<plural>/<name>/status, in the version the store keeps. */
export function statusPath(target: StatusTarget): string {
  const spec = SPECS.get(target.kind)!; // every watched kind has a spec
  return `${collectionPath(spec.apiVersion, spec.plural, spec.namespaced ? target.namespace : undefined)}/${encodeURIComponent(target.name)}/status`;
}

/** "Ingress ns/web", "GatewayClass sluice": how logs and errors name the object. */
export function describeTarget(target: StatusTarget): string {
  return `${target.kind} ${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
}

/** A map key for a target. */
export function targetKey(target: StatusTarget): string {
  return `${target.kind}/${target.namespace ?? ''}/${target.name}`;
}
