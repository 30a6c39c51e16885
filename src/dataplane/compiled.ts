// A routing table compiled for serving: one router per logical port, and for every route the
// things a request would otherwise recompute (backend picker, header edits). Routers are built
// once per table swap; a route's runtime on its first request (a 10k-route table then installs
// without compiling 10k pickers on the serving loop). Tables with the same routes version (an
// endpoint-only update) share routers and runtimes, so weighted round robin does not restart.
import type { RouteObservers } from './route-observers.js';
import type { Route, RoutingTable, WeightedBackend } from '../table/types.js';
import { listenerRoutes } from '../table/routes.js';
import { SmoothWeightedRoundRobin } from './balancer/round-robin.js';
import type { FilterChain } from './filters/filter.js';
import { compileRedirect, type LocationBuilder } from './filters/redirect.js';
import { backendFilters, routeFilters } from './filters/registry.js';
import { type CompiledRoute, ListenerRouter } from './router.js';
import { RetryRules } from './policy/retry.js';
import { StickySessions } from './policy/session.js';
import { type AdmissionChain, compileAdmission } from './route-policy/admission.js';
import { CompressionRules } from './route-policy/compression.js';
import { CorsRules } from './route-policy/cors.js';
import { ResponseSharing } from './route-policy/response-sharing.js';

export interface BackendRuntime {
  readonly backend: WeightedBackend;
  /** The backendRef's own filters (the route's apply before them on requests). */
  readonly filters: FilterChain;
  /** Route and backend response header filters together, in that order. */
  readonly responseHeaders: FilterChain['responseHeaders'];
}

export interface RouteRuntime {
  readonly route: Route;
  /** Picks a backend by weight; undefined result means every weight is 0. */
  readonly pickBackend: () => BackendRuntime | undefined;
  /** The route's filters. */
  readonly filters: FilterChain;
  /** The Location of a redirect route. */
  readonly redirect: LocationBuilder | undefined;
  /** The rule's own retry policy (Gateway API), which wins over the cluster's. */
  readonly retry: RetryRules | undefined;
  /** The rule's own session persistence (Gateway API), which wins over the cluster's. */
  readonly sticky: StickySessions | undefined;
  /** The route policy's admission checks (IP lists, auth, rate limits); undefined: none, and no cost. */
  readonly admission?: AdmissionChain | undefined;
  /** The route's CORS rules, from its CORS filter or its route policy (preflights are answered in admission; the exchange decorates answers). */
  readonly cors?: CorsRules | undefined;
  /** The route policy's cache and request coalescing (after admission, around the exchange); undefined: neither, and no cost. */
  readonly sharing?: ResponseSharing | undefined;
  /** The route policy's compression of upstream answers (HttpExchange); undefined: none, and no cost. */
  readonly compression?: CompressionRules | undefined;
  /** The data plane's counters and stats window for the route, set on its first finished request (route-observers.ts). */
  observers: RouteObservers | undefined;
}

function bothResponseFilters(route: FilterChain, backend: FilterChain): FilterChain['responseHeaders'] {
  const a = route.responseHeaders;
  const b = backend.responseHeaders;
  if (!a || !b) return a ?? b;
  return (h) => {
    a(h);
    b(h);
  };
}

function routeRuntime(route: Route, carried: Map<string, ResponseSharing>): RouteRuntime {
  const filters = routeFilters(route);
  let pickBackend: RouteRuntime['pickBackend'] = () => undefined;
  if (route.action.type === 'forward') {
    const live = route.action.backends.filter((b) => b.weight > 0);
    const runtimes: BackendRuntime[] = live.map((backend) => {
      const own = backendFilters(backend);
      return { backend, filters: own, responseHeaders: bothResponseFilters(filters, own) };
    });
    if (runtimes.length === 1) {
      const only = runtimes[0]!;
      pickBackend = () => only;
    } else if (runtimes.length > 1) {
      const wrr = new SmoothWeightedRoundRobin(runtimes, live.map((b) => b.weight));
      pickBackend = () => wrr.pick();
    }
  }
  const redirect = route.action.type === 'redirect' ? compileRedirect(route.action.redirect, route) : undefined;
  const retry = route.retry ? new RetryRules(route.retry) : undefined;
  const sticky = route.sessionPersistence ? new StickySessions(route.sessionPersistence) : undefined;
  const corsPolicy = route.cors ?? route.edge?.cors;
  const cors = route.action.type === 'forward' && corsPolicy ? new CorsRules(corsPolicy) : undefined;
  const admission = route.action.type === 'forward' ? compileAdmission(route, cors) : undefined;
  const edge = route.action.type === 'forward' ? route.edge : undefined;
  // A route keeps its cache (and flights) across tables as long as its policy for them is the
  // same; its copies on other listeners (an Ingress on HTTP and HTTPS) share them too.
  const previous = carried.get(route.id);
  let sharing: ResponseSharing | undefined;
  if (edge && (edge.cache || edge.coalescing)) {
    sharing = previous?.serves(edge) ? previous : new ResponseSharing(route.id, edge);
    carried.set(route.id, sharing);
  }
  const compression = edge?.compression ? new CompressionRules(edge.compression) : undefined;
  return { route, pickBackend, filters, redirect, retry, sticky, admission, cors, sharing, compression, observers: undefined };
}

/** Identifies the socket a listener is served on: its own address (or the default) and port. */
export function listenerKey(address: string | undefined, port: number): string {
  return `${address ?? ''}|${port}`;
}

/** Compiled state that depends on the listeners only; shared by tables with the same routes. */
interface RouteState {
  /** Keyed by listenerKey(address, port). */
  readonly routers: ReadonlyMap<string, ListenerRouter>;
  /** Filled on first use; keyed by the Route objects the routers return. */
  readonly runtimes: Map<Route, RouteRuntime>;
  /** Caches and flights by route id: this table's, and the previous tables' for routes this one still has. */
  readonly carried: Map<string, ResponseSharing>;
}

/** The previous tables' ResponseSharing objects, kept for the route ids `table` still has. */
function carrySharing(previous: RouteState | undefined, table: RoutingTable): Map<string, ResponseSharing> {
  const out = new Map<string, ResponseSharing>();
  const all = previous?.carried;
  if (!all || all.size === 0) return out;
  const keep = (r: Route): void => {
    const s = all.get(r.id);
    if (s) out.set(r.id, s);
  };
  for (const l of table.listeners) listenerRoutes(l).forEach(keep);
  return out;
}

/** True when `next` is known to carry the same listeners as `previous`. */
function sameRoutes(previous: RoutingTable, next: RoutingTable): boolean {
  if (previous.listeners === next.listeners) return true;
  // Tables that crossed a process boundary are new objects: only the version can tell.
  return next.routesVersion !== undefined && previous.routesVersion === next.routesVersion;
}

export class CompiledTable {
  readonly table: RoutingTable;
  readonly generation: number;
  private readonly state: RouteState;

  constructor(table: RoutingTable, generation: number, previous?: CompiledTable) {
    this.table = table;
    this.generation = generation;
    if (previous && sameRoutes(previous.table, table)) {
      this.state = previous.state;
      return;
    }
    const routers = new Map<string, ListenerRouter>();
    for (const l of table.listeners) routers.set(listenerKey(l.address, l.port), new ListenerRouter(l));
    this.state = { routers, runtimes: new Map(), carried: carrySharing(previous?.state, table) };
  }

  router(key: string): ListenerRouter | undefined {
    return this.state.routers.get(key);
  }

  /** The caches and flights of this table's routes that served requests, by route id. */
  sharing(): ReadonlyMap<string, ResponseSharing> {
    return this.state.carried;
  }

  /** The runtime of a route this table's routers returned. */
  runtime(route: Route): RouteRuntime {
    let rt = this.state.runtimes.get(route);
    if (!rt) this.state.runtimes.set(route, (rt = routeRuntime(route, this.state.carried)));
    return rt;
  }

  /** The same, for a router's compiled entry: cached on it, so a request pays no lookup among all routes. */
  runtimeOf(hit: CompiledRoute): RouteRuntime {
    return (hit.runtime ??= this.runtime(hit.route));
  }
}
