// TLSRoute and TCPRoute → L4 table listeners, and their statuses. Both kinds share everything
// but their hostnames: parentRefs attach through attach.ts (allowedRoutes kinds and namespaces,
// listener hostname intersection), backendRefs resolve through backend-refs.ts (ReferenceGrant
// from the route's own kind), and the oldest route wins a conflict:
//   - TLSRoute: one SNI name on one socket is served by the oldest route claiming it; a younger
//     route keeps its other names (a warning names what it lost).
//   - TCPRoute: a TCP listener forwards every connection to one route's backends, the oldest
//     attached; younger ones stay Accepted (they count in attachedRoutes) with a warning.
// tlsroute.ts and tcproute.ts say what differs per kind.
import type { L4RouteRule, ParentReference, RouteParentStatus, TCPRoute, TLSRoute } from '../../api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { describe } from '../../errors.js';
import type { L4Backend, L4Listener, L4Route, SourceRef } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, sourceOf } from '../diagnostics.js';
import type { HTTPRouteStatusUpdate, RouteKind } from '../types.js';
import { reportUnimplemented } from '../unimplemented.js';
import { attachToParent, ourGatewayParents, type AttachingRoute } from './attach.js';
import { displayRef, isUnresolved, resolveBackendRef, type RuleInputs } from './backend-refs.js';
import { condition, generationOf, pass, problem, type Verdict } from './conditions.js';
import { isL4Protocol, programmed, type GatewayState, type SocketClaim } from './gateways.js';
import { routeAge } from './precedence.js';

export type L4RouteObject = TLSRoute | TCPRoute;

/** What differs between TLSRoute and TCPRoute. */
export interface L4Kind<R extends L4RouteObject> {
  readonly kind: Extract<RouteKind, 'TLSRoute' | 'TCPRoute'>;
  /** Route id prefix ("tlsroute"). */
  readonly idPrefix: string;
  /** The route's hostnames, lower-cased and checked, or the first unsupported one. */
  hostnames(route: R): { readonly hostnames: readonly string[]; readonly unsupported?: Verdict };
}

export interface L4Inputs extends RuleInputs {
  readonly gatewayByKey: ReadonlyMap<string, GatewayState>;
  readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** L4 routes per socket key, by route id, with the SNI names already taken on each socket. */
export class L4Buckets {
  readonly routes = new Map<string, Map<string, { source: SourceRef; hostnames: string[]; backends: readonly L4Backend[] }>>();
  readonly hostOwners = new Map<string, Map<string, string>>();
}

function socketLabel(socket: string): string {
  const [address, port] = socket.split('|');
  return `${address || '*'}:${port}`;
}

function backendsOf(route: L4RouteObject, source: SourceRef, inputs: RuleInputs, clusters: ClusterRegistry, refProblems: Verdict[]): L4Backend[] {
  const ns = route.metadata.namespace ?? 'default';
  const rules: readonly L4RouteRule[] = Array.isArray(route.spec?.rules) ? route.spec.rules : [];
  const out: L4Backend[] = [];
  for (const rule of rules) {
    for (const b of rule.backendRefs ?? []) {
      const weight = Math.max(0, b.weight ?? 1);
      const ref = resolveBackendRef(b, route, inputs);
      const display = displayRef(b, route);
      if (isUnresolved(ref)) {
        refProblems.push(ref);
        // Its share of connections is closed, as an invalid HTTP backend's share gets 500.
        out.push({ cluster: clusters.unresolvable(`${ns}/invalid:${display}`, ns, source, describe('GatewayBackendInvalid', display, ref.reason)), weight });
      } else out.push({ cluster: clusters.resolve(ref, source), weight });
    }
  }
  return out;
}

/** Translates the routes of one kind, oldest first; returns their statuses. */
export function translateL4Routes<R extends L4RouteObject>(
  kind: L4Kind<R>,
  routes: readonly R[],
  inputs: L4Inputs,
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
  buckets: L4Buckets,
): HTTPRouteStatusUpdate[] {
  const out: HTTPRouteStatusUpdate[] = [];
  for (const route of [...routes].sort((a, b) => compareStrings(routeAge(a), routeAge(b)))) {
    try {
      const status = translateOne(kind, route, inputs, clusters, diagnostics, buckets);
      if (status) out.push(status);
    } catch {
      // Malformed beyond what the CRD allows (possible in file mode): this route only is dropped.
      diagnostics.error(sourceOf(route), 'L4RouteNotAccepted', 'any parent', 'UnsupportedValue', `malformed ${kind.kind} (its spec does not follow the Gateway API schema)`);
    }
  }
  return out.sort((a, b) => compareStrings(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}

function translateOne<R extends L4RouteObject>(
  kind: L4Kind<R>,
  route: R,
  inputs: L4Inputs,
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
  buckets: L4Buckets,
): HTTPRouteStatusUpdate | undefined {
  const ns = route.metadata.namespace ?? 'default';
  const parents = ourGatewayParents(route.spec?.parentRefs, ns, inputs.gatewayByKey);
  if (parents.length === 0) return undefined;
  const source = sourceOf(route);
  reportUnimplemented(route, diagnostics);
  const { hostnames, unsupported } = kind.hostnames(route);
  const refProblems: Verdict[] = [];
  const backends = backendsOf(route, source, inputs, clusters, refProblems);
  for (const p of refProblems) diagnostics.warning(source, 'L4RouteRefNotResolved', p.reason, p.message);
  const resolvedRefs: Verdict = refProblems[0]
    ? problem(refProblems[0].reason, [...new Set(refProblems.map((p) => p.message))].join('; '))
    : pass('ResolvedRefs', 'all references resolved');
  const generation = generationOf(route);
  const attaching: AttachingRoute = { namespace: ns, hostnames };
  const statuses: RouteParentStatus[] = [];
  for (const { ref, gw } of parents) {
    let verdict = unsupported;
    if (!verdict) {
      const attached = attachToParent(attaching, ref, gw, inputs.namespaceLabels, kind.kind);
      verdict = attached.verdict;
      const { attachments } = attached;
      let served = 0;
      let refused: string | undefined;
      for (const a of attachments) {
        a.listener.attached.add(`${kind.kind}/${ns}/${route.metadata.name}`);
        if (!programmed(a.listener)) continue;
        for (const socket of a.listener.sockets) {
          const taken = place(kind, source, socket, kind.kind === 'TLSRoute' ? a.hosts : [], backends, buckets, diagnostics);
          if (taken === undefined) served++;
          else refused ??= taken;
        }
      }
      // TCPRoute: a younger route stays Accepted (and counts in attachedRoutes) but carries no
      // traffic, as the spec's conformance test says; a warning tells why. TLSRoute: a route
      // left without any name it may serve is not accepted.
      if (served === 0 && refused !== undefined) {
        if (kind.kind === 'TCPRoute') diagnostics.warning(source, 'L4ListenerTaken', refused);
        else verdict = problem('NotAllowedByListeners', refused);
      }
    }
    if (!verdict.ok) diagnostics.error(source, 'L4RouteNotAccepted', parentName(gw, ref), verdict.reason, verdict.message);
    statuses.push({
      parentRef: ref,
      controllerName: GATEWAY_CONTROLLER_NAME,
      conditions: [condition('Accepted', verdict, generation), condition('ResolvedRefs', resolvedRefs, generation)],
    });
  }
  return { kind: kind.kind, namespace: ns, name: route.metadata.name, parents: statuses };
}

function parentName(gw: GatewayState, ref: ParentReference): string {
  return `Gateway ${gw.namespace}/${gw.gateway.metadata.name}${ref.sectionName ? `/${ref.sectionName}` : ''}`;
}

/**
 * Puts the route on one socket. Returns undefined when it serves there, else why not (a TCP
 * socket already forwards to an older route).
 */
function place<R extends L4RouteObject>(
  kind: L4Kind<R>,
  source: SourceRef,
  socket: string,
  hosts: readonly string[],
  backends: readonly L4Backend[],
  buckets: L4Buckets,
  diagnostics: Diagnostics,
): string | undefined {
  const id = `${kind.idPrefix}/${source.namespace}/${source.name}/${socketLabel(socket)}`;
  let routes = buckets.routes.get(socket);
  if (!routes) buckets.routes.set(socket, (routes = new Map()));
  const mine = routes.get(id);
  if (kind.kind === 'TCPRoute') {
    const other = [...routes.keys()].find((k) => k !== id);
    if (other !== undefined) return `the TCP listener on ${socketLabel(socket)} already forwards to the older route ${other}`;
    if (!mine) routes.set(id, { source, hostnames: [], backends });
    return undefined;
  }
  let owners = buckets.hostOwners.get(socket);
  if (!owners) buckets.hostOwners.set(socket, (owners = new Map()));
  const entry = mine ?? { source, hostnames: [], backends };
  for (const h of hosts) {
    const owner = owners.get(h);
    if (owner === id) continue;
    if (owner !== undefined) {
      diagnostics.warning(source, 'L4HostnameTaken', h, socketLabel(socket), owner);
      continue;
    }
    owners.set(h, id);
    entry.hostnames.push(h);
  }
  if (entry.hostnames.length === 0) return `every hostname of the route on ${socketLabel(socket)} is served by an older TLSRoute`;
  if (!mine) routes.set(id, entry);
  return undefined;
}

/** One L4 table listener per L4 socket claim (a TLS or TCP listener without routes closes every connection). */
export function assembleL4Listeners(sockets: ReadonlyMap<string, SocketClaim>, buckets: L4Buckets): L4Listener[] {
  const out: L4Listener[] = [];
  for (const [key, claim] of sockets) {
    if (!isL4Protocol(claim.protocol)) continue;
    const gw = claim.owner;
    const routes: L4Route[] = [...(buckets.routes.get(key) ?? new Map()).entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([id, r]) => ({ id, source: r.source, hostnames: [...r.hostnames].sort(compareStrings), backends: r.backends }));
    out.push({
      name: `gateway/${gw.namespace}/${gw.gateway.metadata.name}${claim.address ? `@${claim.address}` : ''}:${claim.port}`,
      protocol: claim.protocol === 'TLS' ? 'TLSPassthrough' : 'TCP',
      port: claim.port,
      ...(claim.address ? { address: claim.address } : {}),
      routes,
    });
  }
  return out.sort((a, b) => compareStrings(a.name, b.name));
}
