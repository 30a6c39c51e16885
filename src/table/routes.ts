// Walks over a table's routes that several readers share: every route of an HTTP listener, and
// the clusters a route sends requests to.
import type { Listener, Route } from './types.js';

/** The routes of a listener: its virtual hosts' in order, then the fallback. */
export function listenerRoutes(l: Listener): Route[] {
  const routes = l.virtualHosts.flatMap((vh) => vh.routes);
  if (l.fallback) routes.push(l.fallback);
  return routes;
}

/** The clusters a route forwards and mirrors to (its forward-auth service not included). */
export function routeClusters(route: Route): string[] {
  const ids = route.action.type === 'forward' ? route.action.backends.map((b) => b.cluster) : [];
  for (const m of route.mirrors ?? []) ids.push(m.cluster);
  return ids;
}
