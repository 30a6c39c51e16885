// A routing table compiled for serving: one router per logical port, and for every route the
// things a request would otherwise recompute (backend picker, header edits). Built once per
// table swap; requests only read it.
import type { Route, RoutingTable, WeightedBackend } from '../table/types.js';
import { SmoothWeightedRoundRobin } from './balancer/round-robin.js';
import { compileFlatModifier, compileObjectModifier, type FlatHeaderEdit, type ObjectHeaderEdit } from './headers.js';
import { ListenerRouter } from './router.js';

export interface BackendRuntime {
  readonly backend: WeightedBackend;
  /** The backend's own request header filter (the route's is applied before it). */
  readonly ownRequestEdit: FlatHeaderEdit | undefined;
  /** Route and backend response header filters together. */
  readonly responseEdit: ObjectHeaderEdit | undefined;
}

export interface RouteRuntime {
  readonly route: Route;
  /** Picks a backend by weight; undefined result means every weight is 0. */
  readonly pickBackend: () => BackendRuntime | undefined;
  /** The route's request header filter (each backend's own is applied after it). */
  readonly requestEdit: FlatHeaderEdit | undefined;
}

function routeRuntime(route: Route): RouteRuntime {
  const requestEdit = compileFlatModifier(route.requestHeaders);
  const responseEdit = compileObjectModifier(route.responseHeaders);
  let pickBackend: RouteRuntime['pickBackend'] = () => undefined;
  if (route.action.type === 'forward') {
    const live = route.action.backends.filter((b) => b.weight > 0);
    const runtimes: BackendRuntime[] = live.map((backend) => ({
      backend,
      ownRequestEdit: compileFlatModifier(backend.requestHeaders),
      responseEdit: mergeObjectEdits(responseEdit, compileObjectModifier(backend.responseHeaders)),
    }));
    if (runtimes.length === 1) {
      const only = runtimes[0]!;
      pickBackend = () => only;
    } else if (runtimes.length > 1) {
      const wrr = new SmoothWeightedRoundRobin(runtimes, live.map((b) => b.weight));
      pickBackend = () => wrr.pick();
    }
  }
  return { route, pickBackend, requestEdit };
}

function mergeObjectEdits(a: ObjectHeaderEdit | undefined, b: ObjectHeaderEdit | undefined): ObjectHeaderEdit | undefined {
  if (!a) return b;
  if (!b) return a;
  return (h) => {
    a(h);
    b(h);
  };
}

/** Identifies the socket a listener is served on: its own address (or the default) and port. */
export function listenerKey(address: string | undefined, port: number): string {
  return `${address ?? ''}|${port}`;
}

export class CompiledTable {
  readonly table: RoutingTable;
  readonly generation: number;
  /** Keyed by listenerKey(address, port). */
  private readonly routers = new Map<string, ListenerRouter>();
  private readonly routes = new Map<Route, RouteRuntime>();

  constructor(table: RoutingTable, generation: number, previous?: CompiledTable) {
    this.table = table;
    this.generation = generation;
    // Endpoint-only updates keep the listeners array: reuse the previous routers and pickers.
    if (previous && previous.table.listeners === table.listeners) {
      for (const [port, r] of previous.routers) this.routers.set(port, r);
      for (const [route, rt] of previous.routes) this.routes.set(route, rt);
      return;
    }
    for (const l of table.listeners) {
      this.routers.set(listenerKey(l.address, l.port), new ListenerRouter(l));
      for (const vh of l.virtualHosts) for (const r of vh.routes) this.routes.set(r, routeRuntime(r));
      if (l.fallback) this.routes.set(l.fallback, routeRuntime(l.fallback));
    }
  }

  router(key: string): ListenerRouter | undefined {
    return this.routers.get(key);
  }

  runtime(route: Route): RouteRuntime {
    return this.routes.get(route)!;
  }
}
