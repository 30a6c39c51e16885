// backendRefs (and mirror targets) → a Service port, or the reason the reference is invalid.
import type { Service } from '../../api/core.js';
import { GATEWAY_GROUP, type BackendObjectReference, type RouteObject } from '../../api/gateway.js';
import type { ServiceRef } from '../clusters.js';
import { problem, type Verdict } from './conditions.js';
import type { ReferenceGrants } from './references.js';

export interface RuleInputs {
  readonly services: ReadonlyMap<string, Service>;
  readonly grants: ReferenceGrants;
}

/** Checks a reference to a Service; returns the Service port or why it is invalid. */
export function resolveBackendRef(ref: BackendObjectReference, route: RouteObject, inputs: RuleInputs): ServiceRef | Verdict {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const routeNs = route.metadata.namespace ?? 'default';
  const ns = ref.namespace ?? routeNs;
  const display = `${ns}/${ref.name}`;
  if ((group !== '' && group !== 'core') || kind !== 'Service') return problem('InvalidKind', `backendRef ${group}/${kind} ${display}: only Services are supported`);
  if (!inputs.grants.permits({ group: GATEWAY_GROUP, kind: route.kind, namespace: routeNs }, { group: '', kind: 'Service', namespace: ns, name: ref.name })) {
    return problem('RefNotPermitted', `backendRef Service ${display} is in another namespace and no ReferenceGrant allows it`);
  }
  const service = inputs.services.get(display);
  if (!service) return problem('BackendNotFound', `Service ${display} does not exist`);
  if (ref.port === undefined) return problem('BackendNotFound', `backendRef Service ${display} needs a port`);
  const port = service.spec?.ports?.find((sp) => sp.port === ref.port);
  if (!port) return problem('BackendNotFound', `Service ${display} has no port ${ref.port}`);
  // gRPC needs HTTP/2: a GRPCRoute's backend is h2c even when its port names no appProtocol.
  return { namespace: ns, name: ref.name, port: ref.port, ...(route.kind === 'GRPCRoute' ? { protocol: 'h2c' as const } : {}) };
}

/** "namespace/name:port" of a reference, as messages and unresolvable cluster ids show it. */
export function displayRef(ref: BackendObjectReference, route: RouteObject): string {
  return `${ref.namespace ?? route.metadata.namespace ?? 'default'}/${ref.name}:${ref.port ?? ''}`;
}

/** Whether a resolution failed (a Verdict) rather than giving a Service port. */
export function isUnresolved(ref: ServiceRef | Verdict): ref is Verdict {
  return 'ok' in ref;
}
