// Where a route's finished requests are counted: its Prometheus counters and its stats window,
// looked up by route id once per route runtime instead of on every request. With thousands of
// routes each lookup among them is a cache miss, and a request would pay two.
import type { RouteCounters } from '../metrics.js';
import type { RouteRuntime } from './compiled.js';
import type { ProxyContext } from './context.js';
import type { RollingWindow } from './stats/rolling.js';

export interface RouteObservers {
  readonly counters: RouteCounters;
  readonly window: RollingWindow;
}

/** The route's observers, found on its first finished request and kept on its runtime. */
export function observersOf(ctx: ProxyContext, rt: RouteRuntime): RouteObservers {
  let o = rt.observers;
  if (!o) rt.observers = o = { counters: ctx.metrics.routeCounters(rt.route.id), window: ctx.stats.routeWindow(rt.route.id) };
  return o;
}
