// The Gateway API status Sluice writes, computed from what the object shows now and what the
// translator published (pure, unit-tested). Translation has no clock, so this is where
// lastTransitionTime is filled: a condition keeps its time while its status, reason and message
// stay the same, else it gets `now`. Values the CRDs default (parentRef group/kind, supportedKinds
// group, address type) are filled in here too, so what we compute compares equal to what the
// apiserver gives back and an unchanged status is never written again.
import { GATEWAY_GROUP, type Condition, type GatewayClassStatus, type GatewayStatus, type ParentReference, type RouteParentStatus } from '../../api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { stableStringify } from '../../util/compare.js';

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Our conditions, each with the time it last changed (kept from `previous` when it did not). */
export function withTransitionTimes(desired: readonly Condition[], previous: unknown, now: string): Condition[] {
  const before = new Map<string, Json>();
  for (const c of array(previous)) {
    const type = record(c)['type'];
    if (typeof type === 'string') before.set(type, record(c));
  }
  return desired.map((c) => {
    const old = before.get(c.type);
    const same = old !== undefined && old['status'] === c.status && old['reason'] === c.reason && old['message'] === c.message;
    const kept = same && typeof old['lastTransitionTime'] === 'string' ? old['lastTransitionTime'] : now;
    return { ...c, lastTransitionTime: kept };
  });
}

export function nextGatewayClassStatus(current: unknown, desired: GatewayClassStatus, now: string): Json {
  const status = record(current);
  return { ...status, conditions: withTransitionTimes(desired.conditions, status['conditions'], now), supportedFeatures: desired.supportedFeatures.map((f) => ({ ...f })) };
}

/** A Gateway of one of our classes: Sluice owns its whole status. */
export function nextGatewayStatus(current: unknown, desired: GatewayStatus, now: string): Json {
  const status = record(current);
  const listenersBefore = new Map<string, Json>();
  for (const l of array(status['listeners'])) {
    const name = record(l)['name'];
    if (typeof name === 'string') listenersBefore.set(name, record(l));
  }
  const { addresses: _addresses, ...rest } = status;
  return {
    ...rest,
    ...(desired.addresses.length > 0 ? { addresses: desired.addresses.map((a) => ({ type: a.type || 'IPAddress', value: a.value })) } : {}),
    conditions: withTransitionTimes(desired.conditions, status['conditions'], now),
    listeners: desired.listeners.map((l) => ({
      name: l.name,
      supportedKinds: l.supportedKinds.map((k) => ({ group: k.group || GATEWAY_GROUP, kind: k.kind })),
      attachedRoutes: l.attachedRoutes,
      conditions: withTransitionTimes(l.conditions, listenersBefore.get(l.name)?.['conditions'], now),
    })),
  };
}

/** A parentRef with the CRD's defaults applied and the route's namespace made explicit for matching. */
export function canonicalParentRef(ref: ParentReference): ParentReference {
  return {
    group: ref.group ?? GATEWAY_GROUP,
    kind: ref.kind ?? 'Gateway',
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
    ...(ref.port !== undefined ? { port: ref.port } : {}),
  };
}

function parentKey(ref: unknown, routeNamespace: string): string {
  const r = record(ref);
  return stableStringify({
    group: r['group'] ?? GATEWAY_GROUP,
    kind: r['kind'] ?? 'Gateway',
    namespace: r['namespace'] ?? routeNamespace,
    name: r['name'],
    sectionName: r['sectionName'],
    port: r['port'],
  });
}

function isOurs(parent: unknown): boolean {
  return record(parent)['controllerName'] === GATEWAY_CONTROLLER_NAME;
}

/**
 * HTTPRoute status.parents: other controllers' entries as they are, then ours (replacing every
 * entry of ours, so a parent we no longer serve loses its entry). `desired` empty: only removal.
 */
export function nextRouteStatus(current: unknown, desired: readonly RouteParentStatus[], routeNamespace: string, now: string): Json {
  const status = record(current);
  const parents = array(status['parents']);
  const oursBefore = new Map<string, Json>();
  for (const p of parents) if (isOurs(p)) oursBefore.set(parentKey(record(p)['parentRef'], routeNamespace), record(p));
  const ours = desired.map((p) => ({
    parentRef: canonicalParentRef(p.parentRef),
    controllerName: p.controllerName,
    conditions: withTransitionTimes(p.conditions, oursBefore.get(parentKey(p.parentRef, routeNamespace))?.['conditions'], now),
  }));
  return { ...status, parents: [...parents.filter((p) => !isOurs(p)), ...ours] };
}
