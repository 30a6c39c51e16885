// translate(): the pure heart of Sluice. (Snapshot, Options) → { table, statuses, diagnostics }.
// No I/O, no clock, no logger. Processors run in a fixed order over one snapshot; bad input
// becomes a diagnostic for that object only. Equal snapshots give byte-equal tables.
//
// Sockets: the Ingress HTTP listener is port 80 on the configured bind address. Gateway API
// listeners get one table Listener per (address, port) socket, each owned by one Gateway (see
// gateway/gateways.ts). An address-less Gateway HTTP listener on port 80 shares the Ingress
// socket: their virtual hosts are merged, a hostname both define is served by the Gateway.
import type { Ingress } from '../api/core.js';
import type { Snapshot } from '../store/snapshot.js';
import type { Listener, RoutingTable, VirtualHost } from '../table/types.js';
import { compareStrings } from '../util/compare.js';
import { deepFreeze } from '../util/freeze.js';
import { ClusterRegistry } from './clusters.js';
import { Diagnostics, refKey } from './diagnostics.js';
import { IngressClassSelector } from './ingress/classes.js';
import { translateGatewayApi } from './gateway/gateway.js';
import { socketKey } from './gateway/gateways.js';
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

  // 3. Gateway API: GatewayClass → Gateway → HTTPRoute, sharing the Ingress socket when used.
  const ingressUsed = ingress.virtualHosts.length > 0 || ingress.fallback !== undefined;
  const shared = new Map<string, 'HTTP' | 'HTTPS'>(ingressUsed ? [[socketKey(undefined, 80), 'HTTP']] : []);
  const gateway = translateGatewayApi(snapshot, options, clusters, diagnostics, shared);
  statuses.push(...gateway.statuses);

  // 4. Assemble; a listener with nothing to serve is pruned.
  const listeners: Listener[] = [];
  const sharedGateway = gateway.listeners.find((l) => l.address === undefined && l.port === 80);
  if (ingressUsed) {
    listeners.push({
      name: HTTP_LISTENER,
      protocol: 'HTTP',
      port: 80,
      virtualHosts: sharedGateway ? mergeHosts(sharedGateway, ingress.virtualHosts, diagnostics) : ingress.virtualHosts,
      ...(ingress.fallback ? { fallback: ingress.fallback } : {}),
    });
  }
  for (const l of gateway.listeners) if (!ingressUsed || l !== sharedGateway) listeners.push(l);
  const table: RoutingTable = { listeners, clusters: clusters.list() };
  return deepFreeze({ table, statuses, diagnostics: diagnostics.list() });
}

/** The shared port-80 socket: Gateway virtual hosts plus the Ingress ones no Gateway host shadows. */
function mergeHosts(gateway: Listener, ingressHosts: readonly VirtualHost[], diagnostics: Diagnostics): VirtualHost[] {
  const taken = new Set(gateway.virtualHosts.map((vh) => `${vh.hostname}|${vh.wildcardLabels ?? ''}`));
  const merged = [...gateway.virtualHosts];
  for (const vh of ingressHosts) {
    if (!taken.has(`${vh.hostname}|${vh.wildcardLabels ?? ''}`)) {
      merged.push(vh);
      continue;
    }
    for (const owner of new Set(vh.routes.map((r) => refKey(r.source)))) {
      const route = vh.routes.find((r) => refKey(r.source) === owner)!;
      diagnostics.warning(route.source, 'IngressHostShadowedByGateway', vh.hostname, gateway.name);
    }
  }
  return merged.sort((a, b) => compareStrings(a.hostname, b.hostname) || compareStrings(a.wildcardLabels ?? '', b.wildcardLabels ?? ''));
}
