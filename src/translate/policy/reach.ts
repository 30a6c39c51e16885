// Which Gateways' routes reach each Service port, read from the table the route translators
// built and from the HTTPRoute statuses (the Gateways that accepted each route). A policy's
// status has one ancestor per such Gateway (ancestors.ts).
import type { ParentReference } from '../../api/gateway.js';
import { listenerRoutes, routeClusters } from '../../table/routes.js';
import type { Cluster, L4Listener, Listener, Route } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import type { HTTPRouteStatusUpdate, RouteKind, StatusUpdate } from '../types.js';

export interface GatewayKey {
  readonly namespace: string;
  readonly name: string;
}

/** The Gateway API route kinds whose accepted parents are the Gateways that reach a Service. */
const ROUTE_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'] satisfies RouteKind[]);

function isRouteStatus(s: StatusUpdate): s is HTTPRouteStatusUpdate {
  return ROUTE_KINDS.has(s.kind);
}

export class RouteReach {
  /** "ns/service" → port name → "ns/gateway" of every Gateway whose routes reach it. */
  private readonly reached = new Map<string, Map<string, Set<string>>>();
  /** Clusters some HTTP route (of any kind, Ingress too) forwards or mirrors to. */
  private readonly http = new Set<string>();

  constructor(listeners: readonly Listener[], clusters: readonly Cluster[], statuses: readonly StatusUpdate[], l4Listeners: readonly L4Listener[] = []) {
    const accepted = new Map<string, string[]>();
    for (const s of statuses) {
      if (!isRouteStatus(s)) continue;
      const parents = s.parents.filter((p) => p.conditions.some((c) => c.type === 'Accepted' && c.status === 'True')).map((p) => gatewayOf(p.parentRef, s.namespace));
      accepted.set(`${s.kind}/${s.namespace}/${s.name}`, parents);
    }
    const byId = new Map(clusters.map((c) => [c.id, c]));
    const reachFrom = (source: Route['source'], ids: readonly string[]) => {
      const gateways = accepted.get(`${source.kind}/${source.namespace ?? ''}/${source.name}`) ?? [];
      for (const id of ids) {
        const c = byId.get(id);
        if (c && !c.unresolved) for (const gw of gateways) this.add(c, gw);
      }
    };
    const visit = (route: Route) => {
      const ids = routeClusters(route);
      for (const id of ids) this.http.add(id);
      if (ROUTE_KINDS.has(route.source.kind)) reachFrom(route.source, ids);
    };
    for (const l of l4Listeners) for (const r of l.routes) reachFrom(r.source, r.backends.map((b) => b.cluster));
    for (const l of listeners) listenerRoutes(l).forEach(visit);
  }

  /** Whether HTTP requests reach the cluster (not only L4 connections). */
  servesHttp(clusterId: string): boolean {
    return this.http.has(clusterId);
  }

  /** The Gateways reaching a Service (one port of it, by name, when given), sorted. */
  gateways(namespace: string, service: string, portName: string | undefined): GatewayKey[] {
    const ports = this.reached.get(`${namespace}/${service}`);
    if (!ports) return [];
    const keys = new Set<string>();
    for (const [name, gws] of ports) if (portName === undefined || name === portName) for (const g of gws) keys.add(g);
    return [...keys].sort(compareStrings).map((k) => {
      const [ns, name] = k.split('/') as [string, string];
      return { namespace: ns, name };
    });
  }

  private add(c: Cluster, gateway: string): void {
    const key = `${c.service.namespace}/${c.service.name}`;
    let ports = this.reached.get(key);
    if (!ports) this.reached.set(key, (ports = new Map()));
    let gws = ports.get(c.portName);
    if (!gws) ports.set(c.portName, (gws = new Set()));
    gws.add(gateway);
  }
}

function gatewayOf(ref: ParentReference, routeNamespace: string): string {
  return `${ref.namespace ?? routeNamespace}/${ref.name}`;
}
