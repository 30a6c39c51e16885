// The L4 listeners of a table compiled for serving: per socket key, the listener and its routes
// with a weighted backend picker each, and for TLS passthrough an SNI router (an exact name,
// else the longest wildcard suffix, else "*": the most specific name wins, as Gateway API
// hostnames do; an Ingress "*." host matches one label only). Ingress passthrough hosts of an
// HTTPS listener get an SNI router of their own, keyed by that socket. Compiled once per table; a table with the same routes version (an endpoint-only
// update) keeps the previous compilation, so weighted round robin does not restart.
import type { L4Backend, L4Listener, L4Route, RoutingTable } from '../../table/types.js';
import { SmoothWeightedRoundRobin } from '../balancer/round-robin.js';
import { listenerKey } from '../compiled.js';

export interface L4RouteRuntime {
  readonly route: L4Route;
  /** A backend by weight; undefined when every weight is 0 (or there is none). */
  readonly pickBackend: () => L4Backend | undefined;
}

function compileRoute(route: L4Route): L4RouteRuntime {
  const live = route.backends.filter((b) => b.weight > 0);
  if (live.length <= 1) {
    const only = live[0];
    return { route, pickBackend: () => only };
  }
  const wrr = new SmoothWeightedRoundRobin(live, live.map((b) => b.weight));
  return { route, pickBackend: () => wrr.pick() };
}

/** SNI name → route, for one TLS passthrough listener. */
export class SniRouter {
  private readonly exact = new Map<string, L4RouteRuntime>();
  /** ".example.com" suffixes, longest first; `oneLabel`: the name may add one label only (Ingress). */
  private readonly wildcards: { readonly suffix: string; readonly oneLabel: boolean; readonly route: L4RouteRuntime }[] = [];
  private any: L4RouteRuntime | undefined;

  constructor(routes: readonly L4RouteRuntime[]) {
    for (const r of routes) {
      for (const h of r.route.hostnames) {
        if (h === '*') this.any ??= r;
        else if (h.startsWith('*.')) this.wildcards.push({ suffix: h.slice(1), oneLabel: r.route.wildcardLabels === 'one', route: r });
        else if (!this.exact.has(h)) this.exact.set(h, r);
      }
    }
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The route for a (lower-case) SNI name; undefined: no route serves it. */
  match(name: string): L4RouteRuntime | undefined {
    const exact = this.exact.get(name);
    if (exact) return exact;
    for (const w of this.wildcards) {
      if (name.length <= w.suffix.length || !name.endsWith(w.suffix)) continue;
      if (w.oneLabel && name.lastIndexOf('.', name.length - w.suffix.length - 1) !== -1) continue;
      return w.route;
    }
    return this.any;
  }
}

export interface CompiledL4Listener {
  readonly listener: L4Listener;
  /** TCP: the one route, if any. */
  readonly route: L4RouteRuntime | undefined;
  /** TLS passthrough: routes by SNI. */
  readonly sni: SniRouter | undefined;
}

/** The Ingress passthrough hosts of one HTTPS socket. */
export interface CompiledPassthrough {
  /** The HTTPS listener's name (the `listener` label of sluice_l4_rejected_total). */
  readonly name: string;
  readonly sni: SniRouter;
}

export class L4Table {
  readonly listeners: ReadonlyMap<string, CompiledL4Listener>;
  /** HTTPS sockets with Ingress passthrough hosts, by socket key. */
  readonly passthroughs: ReadonlyMap<string, CompiledPassthrough>;
  private readonly routesVersion: number | undefined;

  constructor(table: RoutingTable, previous: L4Table | undefined) {
    this.routesVersion = table.routesVersion;
    if (previous && table.routesVersion !== undefined && previous.routesVersion === table.routesVersion) {
      this.listeners = previous.listeners;
      this.passthroughs = previous.passthroughs;
      return;
    }
    const listeners = new Map<string, CompiledL4Listener>();
    for (const l of table.l4Listeners ?? []) {
      const routes = l.routes.map(compileRoute);
      listeners.set(listenerKey(l.address, l.port), {
        listener: l,
        route: l.protocol === 'TCP' ? routes[0] : undefined,
        sni: l.protocol === 'TLSPassthrough' ? new SniRouter(routes) : undefined,
      });
    }
    this.listeners = listeners;
    const passthroughs = new Map<string, CompiledPassthrough>();
    for (const l of table.listeners) {
      if (l.passthrough?.length) passthroughs.set(listenerKey(l.address, l.port), { name: l.name, sni: new SniRouter(l.passthrough.map(compileRoute)) });
    }
    this.passthroughs = passthroughs;
  }
}
