// translate(): the pure heart of Sluice. (Snapshot, Options) → { table, statuses, diagnostics }.
// No I/O, no clock, no logger. Processors run in a fixed order over one snapshot; bad input
// becomes a diagnostic for that object only. Equal snapshots give byte-equal tables.
import type { Ingress } from '../api/core.js';
import type { Snapshot } from '../store/snapshot.js';
import type { Listener, RoutingTable } from '../table/types.js';
import { deepFreeze } from '../util/freeze.js';
import { ClusterRegistry } from './clusters.js';
import { Diagnostics } from './diagnostics.js';
import { IngressClassSelector } from './ingress/classes.js';
import { translateIngresses } from './ingress/ingress.js';
import type { StatusUpdate, TranslateOptions, TranslateResult } from './types.js';

export const HTTP_LISTENER = 'http';

function inScope(obj: { metadata: { namespace?: string } }, options: TranslateOptions): boolean {
  return !options.watchNamespace || obj.metadata.namespace === options.watchNamespace;
}

export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const diagnostics = new Diagnostics();
  const clusters = new ClusterRegistry(snapshot, diagnostics);
  const statuses: StatusUpdate[] = [];

  // 1. IngressClass → which Ingresses are ours.
  const classes = new IngressClassSelector(snapshot.IngressClass, options.ingressClass);
  const ours: Ingress[] = [];
  for (const ing of snapshot.Ingress) {
    if (!inScope(ing, options) || !classes.owns(ing, diagnostics)) continue;
    ours.push(ing);
    statuses.push({ kind: 'Ingress', namespace: ing.metadata.namespace ?? 'default', name: ing.metadata.name });
  }

  // 2. Ingress → virtual hosts and the default backend on the HTTP listener.
  const ingress = translateIngresses(ours, clusters, diagnostics);

  // 3. Assemble; a listener with nothing to serve is pruned.
  const listeners: Listener[] = [];
  if (ingress.virtualHosts.length > 0 || ingress.fallback) {
    listeners.push({
      name: HTTP_LISTENER,
      protocol: 'HTTP',
      port: 80,
      virtualHosts: ingress.virtualHosts,
      ...(ingress.fallback ? { fallback: ingress.fallback } : {}),
    });
  }
  const table: RoutingTable = { listeners, clusters: clusters.list() };
  return deepFreeze({ table, statuses, diagnostics: diagnostics.list() });
}
