// translate(): the pure heart of Sluice. (Snapshot, Options) → { table, statuses, diagnostics }.
// No I/O, no clock, no logger. Processors run in a fixed order over one snapshot; bad input
// becomes a diagnostic for that object only. Equal snapshots give byte-equal tables.
//
// Sockets: the Ingress HTTP listener is port 80 on the configured bind address. Gateway API
// listeners get one table Listener per (address, port) socket, each owned by one Gateway (see
// gateway/gateways.ts). An address-less Gateway HTTP listener on port 80 shares the Ingress
// socket: their virtual hosts are merged, a hostname both define is served by the Gateway.
import type { Ingress, Service } from '../api/core.js';
import type { Snapshot } from '../store/snapshot.js';
import type { Listener, RoutingTable } from '../table/types.js';
import { compareStrings } from '../util/compare.js';
import { deepFreeze } from '../util/freeze.js';
import { ClusterRegistry } from './clusters.js';
import { Diagnostics, refKey } from './diagnostics.js';
import { IngressClassSelector } from './ingress/classes.js';
import { translateGatewayApi } from './gateway/gateway.js';
import { socketKey } from './gateway/gateways.js';
import { translateIngresses } from './ingress/ingress.js';
import { terminatedHosts, translatePassthrough } from './ingress/passthrough.js';
import { applyBackendTrafficPolicies } from './policy/backend-traffic.js';
import { applyBackendTlsPolicies } from './backend-tls/backend-tls.js';
import { configMapIndex } from './ca-bundle.js';
import { RouteReach } from './policy/reach.js';
import { applyRoutePolicies } from './route-policy/route-policy.js';
import { resolveDefaultCertificate } from './tls.js';
import type { StatusUpdate, TranslateOptions, TranslateResult } from './types.js';
import { reportUnimplemented } from './unimplemented.js';

export const HTTP_LISTENER = 'http';
export const HTTPS_LISTENER = 'https';

function inScope(obj: { metadata: { namespace?: string } }, options: TranslateOptions): boolean {
  return !options.watchNamespace || obj.metadata.namespace === options.watchNamespace;
}

export function translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const diagnostics = new Diagnostics();
  const clusters = new ClusterRegistry(snapshot, diagnostics);
  const statuses: StatusUpdate[] = [];

  // 1. IngressClass → which Ingresses are ours.
  const classes = new IngressClassSelector(snapshot.IngressClass, options.ingressClass);
  if (classes.served) reportUnimplemented(classes.served, diagnostics);
  const ours: Ingress[] = [];
  for (const ing of snapshot.Ingress) {
    if (!inScope(ing, options) || !classes.owns(ing, diagnostics)) continue;
    reportUnimplemented(ing, diagnostics);
    ours.push(ing);
    statuses.push({ kind: 'Ingress', namespace: ing.metadata.namespace ?? 'default', name: ing.metadata.name });
  }

  // 2. Ingress → virtual hosts and the default backend on the HTTP listener, and the same on
  //    the HTTPS listener when any Ingress has spec.tls.
  const secrets = new Map(snapshot.Secret.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s] as const));
  const ingress = translateIngresses(ours, secrets, clusters, diagnostics);
  const ingressUsed = ingress.virtualHosts.length > 0 || ingress.fallback !== undefined;
  //    Ingresses annotated sluice.dev/ssl-passthrough have their hosts spliced on the HTTPS port.
  const passthrough = translatePassthrough(ours, clusters, diagnostics);
  const ingressListeners: Listener[] = [];
  if (ingressUsed) {
    const fallback = ingress.fallback ? { fallback: ingress.fallback } : {};
    ingressListeners.push({ name: HTTP_LISTENER, protocol: 'HTTP', port: 80, virtualHosts: ingress.virtualHosts, ...fallback });
    if (ingress.certificates.length > 0 || passthrough.length > 0) {
      const virtualHosts = terminatedHosts(ingress.virtualHosts, passthrough, diagnostics);
      ingressListeners.push({ name: HTTPS_LISTENER, protocol: 'HTTPS', port: 443, virtualHosts, ...fallback, tls: { certificates: ingress.certificates }, ...(passthrough.length > 0 ? { passthrough } : {}) });
    }
  }

  // 3. Gateway API: GatewayClass → Gateway → HTTPRoute, sharing the Ingress sockets when used.
  const shared = new Map(ingressListeners.map((l) => [socketKey(undefined, l.port), l.protocol] as const));
  const gateway = translateGatewayApi(snapshot, options, clusters, diagnostics, shared);
  statuses.push(...gateway.statuses);

  // 4. RoutePolicy → the edge policy of the routes above, while each listener is still the
  //    Ingresses' or one Gateway's (a Gateway target covers only its own listeners' routes).
  let edgeIngress: readonly Listener[] = ingressListeners;
  let edgeGateway: readonly Listener[] = gateway.listeners;
  const routePolicies = snapshot.RoutePolicy.filter((p) => inScope(p, options));
  if (routePolicies.length > 0) {
    const owned = [...ingressListeners.map((listener) => ({ listener, gateway: undefined })), ...gateway.listeners.map((listener) => ({ listener, gateway: gateway.owners.get(listener) }))];
    const inputs = { policies: routePolicies, routes: snapshot.HTTPRoute, grpcRoutes: snapshot.GRPCRoute, secrets, services: serviceMap(snapshot), statuses };
    const applied = applyRoutePolicies(inputs, owned, clusters, diagnostics);
    edgeIngress = applied.listeners.slice(0, ingressListeners.length);
    edgeGateway = applied.listeners.slice(ingressListeners.length);
    statuses.push(...applied.statuses);
  }

  // 5. Assemble; a listener with nothing to serve is pruned.
  const listeners: Listener[] = [];
  const merged = new Set<Listener>();
  for (const l of edgeIngress) {
    const sharing = edgeGateway.find((g) => g.address === undefined && g.port === l.port);
    if (sharing) merged.add(sharing);
    listeners.push(sharing ? mergeListeners(sharing, l, diagnostics) : l);
  }
  for (const l of edgeGateway) if (!merged.has(l)) listeners.push(l);

  // 6. BackendTrafficPolicy → the load balancer and policy of the clusters the routes above made.
  // Which Gateways reach each Service (policy ancestors), built once when a policy needs it.
  let routeReach: RouteReach | undefined;
  const reachOf = (): RouteReach => (routeReach ??= new RouteReach(listeners, clusters.list(), statuses, gateway.l4Listeners));
  const services = serviceMap(snapshot);
  const policies = snapshot.BackendTrafficPolicy.filter((p) => inScope(p, options));
  if (policies.length > 0) statuses.push(...applyBackendTrafficPolicies({ policies, services, reach: reachOf() }, clusters, diagnostics));

  // 7. BackendTLSPolicy → the upstream TLS of those clusters (and https ports no policy covers refuse).
  const tlsPolicies = snapshot.BackendTLSPolicy.filter((p) => inScope(p, options));
  statuses.push(...applyBackendTlsPolicies({ policies: tlsPolicies, services, configMaps: configMapIndex(snapshot.ConfigMap), reach: reachOf }, clusters, diagnostics));

  // 8. The --default-certificate Secret serves unknown and missing SNI on every HTTPS listener.
  const defaultCertificate = options.defaultCertificate && resolveDefaultCertificate(options.defaultCertificate, options, secrets, diagnostics);
  const served = defaultCertificate ? listeners.map((l) => (l.tls ? { ...l, tls: { ...l.tls, defaultCertificate } } : l)) : listeners;
  const l4 = gateway.l4Listeners;
  const table: RoutingTable = { listeners: served, ...(l4.length > 0 ? { l4Listeners: l4 } : {}), clusters: clusters.list() };
  return deepFreeze({ table, statuses, diagnostics: diagnostics.list() });
}

function serviceMap(snapshot: Snapshot): Map<string, Service> {
  return new Map(snapshot.Service.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s] as const));
}

/**
 * One socket used by an Ingress listener and a Gateway listener: the Gateway's virtual hosts
 * plus the Ingress ones no Gateway host shadows, and (HTTPS) both sets of certificates, the
 * Gateway's first.
 */
function mergeListeners(gateway: Listener, ingress: Listener, diagnostics: Diagnostics): Listener {
  const taken = new Set(gateway.virtualHosts.map((vh) => `${vh.hostname}|${vh.wildcardLabels ?? ''}`));
  const hosts = [...gateway.virtualHosts];
  for (const vh of ingress.virtualHosts) {
    if (!taken.has(`${vh.hostname}|${vh.wildcardLabels ?? ''}`)) {
      hosts.push(vh);
      continue;
    }
    for (const owner of new Set(vh.routes.map((r) => refKey(r.source)))) {
      const route = vh.routes.find((r) => refKey(r.source) === owner)!;
      diagnostics.warning(route.source, 'IngressHostShadowedByGateway', vh.hostname, gateway.name);
    }
  }
  hosts.sort((a, b) => compareStrings(a.hostname, b.hostname) || compareStrings(a.wildcardLabels ?? '', b.wildcardLabels ?? ''));
  const certificates = [...(gateway.tls?.certificates ?? []), ...(ingress.tls?.certificates ?? [])];
  // The Gateway owns the socket: its client validation covers every host on it (Ingress ones
  // too, so no SNI can reach a Gateway host without it), its backend client certificate too.
  const clientValidation = gateway.tls?.clientValidation;
  // A Gateway host is terminated by the Gateway, even when an Ingress asks to pass it through.
  const gatewayHosts = new Set(gateway.virtualHosts.map((vh) => vh.hostname));
  const { passthrough: asked = [], ...own } = ingress;
  const passthrough = asked.filter((r) => {
    const host = r.hostnames[0]!;
    if (!gatewayHosts.has(host)) return true;
    diagnostics.warning(r.source, 'IngressHostShadowedByGateway', host, gateway.name);
    return false;
  });
  return {
    ...own,
    ...(passthrough.length > 0 ? { passthrough } : {}),
    virtualHosts: hosts,
    ...(certificates.length > 0 ? { tls: { certificates, ...(clientValidation ? { clientValidation } : {}) } } : {}),
    ...(gateway.backendClientCertificate ? { backendClientCertificate: gateway.backendClientCertificate } : {}),
  };
}
