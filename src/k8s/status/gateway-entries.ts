// Gateway API status entries: GatewayClass (conditions, supportedFeatures), Gateway (conditions,
// listeners, addresses) and our entries of HTTPRoute status.parents (other controllers' entries
// are kept). A route we no longer serve (detached, parent gone, class changed) but that still
// carries an entry of ours loses it.
import type { KubeObject } from '../../api/core.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import type { StatusUpdate } from '../../translate/types.js';
import { nextGatewayClassStatus, nextGatewayStatus, nextRouteStatus } from './gateway-status.js';
import { targetKey, type StatusTarget } from './target.js';
import type { StatusEntry, StatusEntrySource } from './writer.js';

/** The entry for a status of ours; undefined for other kinds' statuses. */
function entryOf(s: StatusUpdate): StatusEntry | undefined {
  switch (s.kind) {
    case 'GatewayClass':
      return { target: { kind: s.kind, name: s.name }, compute: (current, now) => nextGatewayClassStatus(current, s.status, now) };
    case 'Gateway':
      return { target: { kind: s.kind, namespace: s.namespace, name: s.name }, compute: (current, now) => nextGatewayStatus(current, s.status, now) };
    case 'HTTPRoute':
    case 'GRPCRoute':
      return { target: { kind: s.kind, namespace: s.namespace, name: s.name }, compute: (current, now) => nextRouteStatus(current, s.parents, s.namespace, now) };
    default:
      return undefined;
  }
}

function hasOurParentEntry(route: KubeObject): boolean {
  const parents = (route as { status?: { parents?: unknown } }).status?.parents;
  return Array.isArray(parents) && parents.some((p) => (p as { controllerName?: unknown } | null)?.controllerName === GATEWAY_CONTROLLER_NAME);
}

export class GatewayStatusEntries implements StatusEntrySource {
  readonly name = 'Gateway API';
  /** Every HTTPRoute and GRPCRoute in the store, to find routes that still carry an entry of ours. */
  private readonly routes: () => readonly KubeObject[];
  private desired = new Map<string, StatusEntry>();

  constructor(routes: () => readonly KubeObject[]) {
    this.routes = routes;
  }

  publish(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, StatusEntry>();
    for (const s of statuses) {
      const entry = entryOf(s);
      if (entry) next.set(targetKey(entry.target), entry);
    }
    this.desired = next;
  }

  *entries(): Iterable<StatusEntry> {
    yield* this.desired.values();
    for (const route of this.routes()) {
      const target: StatusTarget = { kind: route.kind === 'GRPCRoute' ? 'GRPCRoute' : 'HTTPRoute', namespace: route.metadata.namespace, name: route.metadata.name };
      if (this.desired.has(targetKey(target)) || !hasOurParentEntry(route)) continue;
      yield { target, compute: (current, now) => nextRouteStatus(current, [], target.namespace ?? '', now) };
    }
  }
}
