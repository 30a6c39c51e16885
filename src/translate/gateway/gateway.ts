// Gateway API processors: GatewayClass → Gateway → HTTPRoute, then assembly of one table
// Listener per claimed socket, and every status as data. Pure, like all of translate.
import type { KubeObject, Secret, Service } from '../../api/core.js';
import type { Condition, Gateway, ListenerStatus, RouteObject, RouteParentStatus } from '../../api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { describe } from '../../errors.js';
import type { Snapshot } from '../../store/snapshot.js';
import type { ClientValidation, L4Listener, Listener, Route, RouteAction, VirtualHost, WeightedBackend } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, sourceOf } from '../diagnostics.js';
import type { GatewayStatusUpdate, HTTPRouteStatusUpdate, StatusUpdate, TranslateOptions } from '../types.js';
import { parseAddressPool, type AddressPool } from './address-pool.js';
import { attachToParent, ourGatewayParents, type Attachment } from './attach.js';
import { judgeGatewayClasses } from './classes.js';
import { condition, generationOf, pass, problem, type Verdict } from './conditions.js';
import { gatewayTlsConditions } from './gateway-tls.js';
import { configMapIndex } from '../ca-bundle.js';
import { attachable, buildGateways, isL4Protocol, programmed, type GatewayState, type ListenerProtocol, type ListenerState, type SocketClaim } from './gateways.js';
import { covers, specificity } from './hostnames.js';
import { comparePrecedence, routeAge, type PrecedenceKey } from './precedence.js';
import { ReferenceGrants } from './references.js';
import { assembleL4Listeners, L4Buckets, translateL4Routes } from './l4routes.js';
import { TCP_ROUTE } from './tcproute.js';
import { TLS_ROUTE } from './tlsroute.js';
import { compileRoute, type RouteTemplate, type RuleTemplate } from './rules.js';
import { grpcRouteRulePrefix, lowerGrpcRoute } from './grpc-route.js';
import { reportUnimplemented } from '../unimplemented.js';

export interface GatewayApiTranslation {
  /** One per claimed socket, sorted by name. */
  readonly listeners: Listener[];
  /** TLS passthrough and TCP listeners, one per claimed socket, sorted by name. */
  readonly l4Listeners: L4Listener[];
  /** The Gateway ("namespace/name") that owns each listener (RoutePolicy Gateway targets). */
  readonly owners: ReadonlyMap<Listener, string>;
  readonly statuses: StatusUpdate[];
}

interface Entry {
  readonly route: Route;
  readonly key: PrecedenceKey;
}

/** Routes per socket key, then per hostname, by route id. */
type Buckets = Map<string, Map<string, Map<string, Entry>>>;

const NO_BACKEND_BODY = 'no valid backend\n';

function inScope(obj: { metadata: { namespace?: string } }, options: TranslateOptions): boolean {
  return !options.watchNamespace || obj.metadata.namespace === options.watchNamespace;
}

function byKey<T extends { metadata: { namespace?: string; name: string } }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((o) => [`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o]));
}

/** The id prefix of every table route of one HTTPRoute rule ("httproute/ns/name/r0/"). */
export function httpRouteRulePrefix(namespace: string, name: string, ruleIndex: number): string {
  return `httproute/${namespace}/${name}/r${ruleIndex}/`;
}

/** The prefixes of httpRouteRulePrefix and grpcRouteRulePrefix. */
const RULE_OF_ID = /^(?:httproute|grpcroute)\/[^/]+\/[^/]+\/r(\d+)\//;

/** The rule index of a table route an HTTPRoute or a GRPCRoute made, read back from its id. */
export function routeRuleIndex(routeId: string): number | undefined {
  const m = RULE_OF_ID.exec(routeId);
  return m ? Number(m[1]) : undefined;
}

/** The id prefix of a rule's table routes, by route kind. */
function rulePrefix(route: RouteObject, ruleIndex: number): string {
  const ns = route.metadata.namespace ?? 'default';
  return route.kind === 'GRPCRoute' ? grpcRouteRulePrefix(ns, route.metadata.name, ruleIndex) : httpRouteRulePrefix(ns, route.metadata.name, ruleIndex);
}

export function translateGatewayApi(
  snapshot: Snapshot,
  options: TranslateOptions,
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
  shared: ReadonlyMap<string, ListenerProtocol>,
): GatewayApiTranslation {
  const statuses: StatusUpdate[] = [];
  const classes = judgeGatewayClasses(snapshot.GatewayClass);
  statuses.push(...classes.statuses);
  for (const s of classes.statuses) {
    const c = s.status.conditions[0]!;
    if (c.status !== 'True') diagnostics.error({ kind: 'GatewayClass', name: s.name }, 'GatewayClassNotAccepted', c.reason, c.message);
  }

  const grants = new ReferenceGrants(snapshot.ReferenceGrant);
  const services: Map<string, Service> = byKey(snapshot.Service);
  const secrets: Map<string, Secret> = byKey(snapshot.Secret);
  const gateways = snapshot.Gateway.filter((g) => inScope(g, options));
  const configMaps = configMapIndex(snapshot.ConfigMap);
  const { states, sockets } = buildGateways(gateways, { classes: classes.ours, secrets, configMaps, grants, shared, addressPool: addressPoolOf(options) }, (gw, message) =>
    diagnostics.error(sourceOf(gw), 'GatewayNotAccepted', 'Invalid', `malformed Gateway (${message})`),
  );
  for (const gc of snapshot.GatewayClass) if (classes.ours.has(gc.metadata.name)) reportUnimplemented(gc, diagnostics);
  for (const s of states) reportUnimplemented(s.gateway, diagnostics);
  const gatewayByKey = new Map(states.map((s) => [`${s.namespace}/${s.gateway.metadata.name}`, s]));
  const namespaceLabels = new Map(snapshot.Namespace.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));

  const buckets: Buckets = new Map();
  const routeStatuses: StatusUpdate[] = [];
  // GRPCRoutes compile as the HTTPRoutes they lower to (grpc-route.ts), through the same code.
  const routes: { route: RouteObject; original: KubeObject; problems: readonly string[] }[] = [
    ...snapshot.HTTPRoute.map((route) => ({ route: route as RouteObject, original: route, problems: [] })),
    ...snapshot.GRPCRoute.map((route) => {
      try {
        return { ...lowerGrpcRoute(route), original: route };
      } catch {
        return { route: route as unknown as RouteObject, original: route, problems: ['malformed GRPCRoute (its spec does not follow the Gateway API schema)'] };
      }
    }),
  ];
  for (const { route, original, problems } of routes) {
    if (!inScope(route, options)) continue;
    try {
      const status = translateRoute(route, original, problems, gatewayByKey, namespaceLabels, { services, grants }, clusters, diagnostics, buckets);
      if (status) routeStatuses.push(status);
    } catch {
      // Malformed beyond what the CRD allows (possible in file mode): this route only is dropped.
      diagnostics.error(sourceOf(route), 'HTTPRouteNotAccepted', 'any parent', 'UnsupportedValue', `malformed ${route.kind} (its spec does not follow the Gateway API schema)`);
    }
  }
  const l4Buckets = new L4Buckets();
  const l4Inputs = { services, grants, gatewayByKey, namespaceLabels };
  routeStatuses.push(...translateL4Routes(TLS_ROUTE, snapshot.TLSRoute.filter((r) => inScope(r, options)), l4Inputs, clusters, diagnostics, l4Buckets));
  routeStatuses.push(...translateL4Routes(TCP_ROUTE, snapshot.TCPRoute.filter((r) => inScope(r, options)), l4Inputs, clusters, diagnostics, l4Buckets));
  // Gateway statuses count attached routes, so they come after the routes are attached.
  for (const gw of states) statuses.push(gatewayStatus(gw, options, diagnostics));
  statuses.push(...routeStatuses);
  const owners = new Map<Listener, string>();
  const listeners = assembleListeners(sockets, buckets, owners, clusters);
  return { listeners, l4Listeners: assembleL4Listeners(sockets, l4Buckets), owners, statuses };
}

function translateRoute(
  route: RouteObject,
  original: KubeObject,
  loweringProblems: readonly string[],
  gatewayByKey: ReadonlyMap<string, GatewayState>,
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>,
  inputs: Parameters<typeof compileRoute>[2],
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
  buckets: Buckets,
): HTTPRouteStatusUpdate | undefined {
  const source = sourceOf(route);
  const ns = route.metadata.namespace ?? 'default';
  const parents = ourGatewayParents(route.spec?.parentRefs, ns, gatewayByKey);
  if (parents.length === 0) return undefined;
  reportUnimplemented(original, diagnostics);

  const compiled = compileRoute(route, source, inputs);
  // What the GRPCRoute itself got wrong is named before what its HTTPRoute form trips over.
  const t: RouteTemplate = loweringProblems[0] !== undefined ? { ...compiled, unsupported: problem('UnsupportedValue', loweringProblems[0]) } : compiled;
  const generation = generationOf(route);
  const resolvedRefs: Verdict = t.refProblems[0]
    ? problem(t.refProblems[0].reason, [...new Set(t.refProblems.map((p) => p.message))].join('; '))
    : pass('ResolvedRefs', 'all references resolved');
  for (const p of t.refProblems) diagnostics.warning(source, 'HTTPRouteRefNotResolved', p.reason, p.message);

  const emitter = new RouteEmitter(t, clusters, buckets);
  const out: RouteParentStatus[] = [];
  for (const { ref, gw } of parents) {
    const parentName = `Gateway ${gw.namespace}/${gw.gateway.metadata.name}${ref.sectionName ? `/${ref.sectionName}` : ''}`;
    let verdict: Verdict;
    let attachments: readonly Attachment[] = [];
    if (t.unsupported) verdict = t.unsupported;
    else ({ verdict, attachments } = attachToParent(t, ref, gw, namespaceLabels, route.kind));
    if (!verdict.ok) diagnostics.error(source, 'HTTPRouteNotAccepted', parentName, verdict.reason, verdict.message);
    for (const a of attachments) {
      a.listener.attached.add(`${route.kind}/${ns}/${route.metadata.name}`);
      if (programmed(a.listener)) emitter.emit(a);
    }
    out.push({
      parentRef: ref,
      controllerName: GATEWAY_CONTROLLER_NAME,
      conditions: [condition('Accepted', verdict, generation), condition('ResolvedRefs', resolvedRefs, generation)],
    });
  }
  return { kind: route.kind, namespace: ns, name: route.metadata.name, parents: out };
}

/** Turns one route's rules into table routes under the hosts and sockets it attached to. */
class RouteEmitter {
  private readonly t: RouteTemplate;
  private readonly clusters: ClusterRegistry;
  private readonly buckets: Buckets;
  private readonly forwards = new Map<RuleTemplate, RouteAction>();

  constructor(t: RouteTemplate, clusters: ClusterRegistry, buckets: Buckets) {
    this.t = t;
    this.clusters = clusters;
    this.buckets = buckets;
  }

  emit(a: Attachment): void {
    const l = a.listener;
    for (const socket of l.sockets) {
      for (const host of a.hosts) {
        if (shadowedByMoreSpecificListener(l, socket, host)) continue;
        let hosts = this.buckets.get(socket);
        if (!hosts) this.buckets.set(socket, (hosts = new Map()));
        let entries = hosts.get(host);
        if (!entries) hosts.set(host, (entries = new Map()));
        for (const rule of this.t.rules) this.emitRule(rule, l, socket, host, entries);
      }
    }
  }

  private emitRule(rule: RuleTemplate, l: ListenerState, socket: string, host: string, entries: Map<string, Entry>): void {
    const { route, source } = this.t;
    const base = rulePrefix(route, rule.index).slice(0, -1);
    const [address, port] = socket.split('|');
    const action = this.action(rule, l.spec.port);
    const mirrors = rule.mirrors.flatMap((m) => ('ok' in m.ref ? [] : [{ cluster: this.clusters.resolve(m.ref, source), percent: m.percent }]));
    for (const m of rule.matches) {
      const id = `${base}/m${m.index}/${host}/${address || '*'}:${port}`;
      if (entries.has(id)) continue; // attached twice (two parentRefs or listeners): one copy
      const r: Route = {
        id,
        source,
        match: m.match,
        ...(rule.requestHeaders ? { requestHeaders: rule.requestHeaders } : {}),
        ...(rule.responseHeaders ? { responseHeaders: rule.responseHeaders } : {}),
        ...(rule.rewrite ? { rewrite: rule.rewrite } : {}),
        ...(mirrors.length > 0 ? { mirrors } : {}),
        ...(rule.cors && action.type === 'forward' ? { cors: rule.cors } : {}),
        ...(rule.timeouts ? { timeouts: rule.timeouts } : {}),
        ...(rule.retry ? { retry: rule.retry } : {}),
        ...(rule.sessionPersistence ? { sessionPersistence: rule.sessionPersistence } : {}),
        action,
      };
      entries.set(id, { route: r, key: { match: m.match, routeAge: routeAge(route), ruleIndex: rule.index, matchIndex: m.index } });
    }
  }

  private action(rule: RuleTemplate, listenerPort: number): RouteAction {
    if (rule.redirect) {
      // The spec: with neither scheme nor port given, the redirect keeps the listener's port.
      const r = rule.redirect;
      return { type: 'redirect', redirect: r.scheme === undefined && r.port === undefined ? { ...r, port: listenerPort } : r };
    }
    const cached = this.forwards.get(rule);
    if (cached) return cached;
    const { source, namespace } = this.t;
    let action: RouteAction;
    if (!rule.backends.some((b) => !('ok' in b.ref))) {
      // No backends, or every one invalid: the spec says 500.
      action = { type: 'respond', status: 500, body: NO_BACKEND_BODY };
    } else {
      const backends: WeightedBackend[] = rule.backends.map((b) => {
        const cluster =
          'ok' in b.ref
            ? this.clusters.unresolvable(`${namespace}/invalid:${b.display}`, namespace, source, describe('GatewayBackendInvalid', b.display, b.ref.reason))
            : this.clusters.resolve(b.ref, source);
        return {
          cluster,
          weight: b.weight,
          ...(b.requestHeaders ? { requestHeaders: b.requestHeaders } : {}),
          ...(b.responseHeaders ? { responseHeaders: b.responseHeaders } : {}),
        };
      });
      action = { type: 'forward', backends };
    }
    this.forwards.set(rule, action);
    return action;
  }
}

/**
 * Listener isolation: a request for a host goes to the most specific listener on its socket, so
 * a host that a more specific sibling listener covers is not served through a broader one.
 */
function shadowedByMoreSpecificListener(l: ListenerState, socket: string, host: string): boolean {
  if (host === '*') return false;
  const mine = specificity(l.hostname);
  return l.gateway.listeners.some(
    (o) => o !== l && programmed(o) && o.sockets.includes(socket) && o.hostname !== undefined && specificity(o.hostname) > mine && covers(o.hostname, host),
  );
}

function assembleListeners(sockets: ReadonlyMap<string, SocketClaim>, buckets: Buckets, owners: Map<Listener, string>, clusters: ClusterRegistry): Listener[] {
  const out: Listener[] = [];
  for (const [key, claim] of sockets) {
    if (isL4Protocol(claim.protocol)) continue; // l4routes.ts assembles those
    const gw = claim.owner;
    const served = gw.listeners.filter((l) => programmed(l) && l.sockets.includes(key));
    const hosts = new Map<string, Entry[]>();
    // Every listener hostname gets a virtual host, even without routes, so its requests never
    // fall through to a broader sibling listener's routes.
    for (const l of served) if (l.hostname !== undefined && !hosts.has(l.hostname)) hosts.set(l.hostname, []);
    for (const [host, entries] of buckets.get(key) ?? []) hosts.set(host, [...entries.values()]);
    const virtualHosts: VirtualHost[] = [...hosts]
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([hostname, entries]) => ({
        hostname,
        ...(hostname.startsWith('*.') ? { wildcardLabels: 'many' as const } : {}),
        routes: entries.sort((a, b) => comparePrecedence(a.key, b.key)).map((e) => e.route),
      }));
    const name = `gateway/${gw.namespace}/${gw.gateway.metadata.name}${claim.address ? `@${claim.address}` : ''}:${claim.port}`;
    const h2c = virtualHosts.some((vh) => vh.routes.some((r) => r.action.type === 'forward' && r.action.backends.some((b) => clusters.get(b.cluster)?.protocol === 'h2c')));
    const listener: Listener = {
      name,
      protocol: claim.protocol as 'HTTP' | 'HTTPS',
      port: claim.port,
      ...(claim.address ? { address: claim.address } : {}),
      virtualHosts,
      ...(h2c ? { h2c: true as const } : {}),
      ...(claim.protocol === 'HTTPS' ? { tls: listenerTls(served, gw.tls.frontend(claim.port)?.validation) } : {}),
      ...(gw.tls.backendClientCertificate ? { backendClientCertificate: gw.tls.backendClientCertificate } : {}),
    };
    owners.set(listener, `${gw.namespace}/${gw.gateway.metadata.name}`);
    out.push(listener);
  }
  return out.sort((a, b) => compareStrings(a.name, b.name));
}

function listenerTls(served: readonly ListenerState[], clientValidation: ClientValidation | undefined): NonNullable<Listener['tls']> {
  return { certificates: served.flatMap((l) => l.certificates), ...(clientValidation ? { clientValidation } : {}) };
}

function listenerStatus(l: ListenerState, generation: number, diagnostics: Diagnostics): ListenerStatus {
  const programmedVerdict = programmed(l)
    ? pass('Programmed', 'listener is programmed')
    : problem('Invalid', [l.gateway.accepted, l.accepted, l.conflicted, l.certificateRefs].find((v) => !v.ok)?.message ?? 'listener is not served');
  for (const v of [l.accepted, l.conflicted, l.resolvedRefs]) {
    if (!v.ok) diagnostics.error(l.gateway.source, 'GatewayListenerProblem', l.spec.name, v.reason, v.message);
  }
  const conditions: Condition[] = [
    condition('Accepted', l.accepted, generation),
    condition('Conflicted', l.conflicted, generation, true),
    condition('Programmed', programmedVerdict, generation),
    condition('ResolvedRefs', l.resolvedRefs, generation),
  ];
  return { name: l.spec.name, supportedKinds: l.supportedKinds, attachedRoutes: attachable(l) ? l.attached.size : 0, conditions };
}

function gatewayStatus(gw: GatewayState, options: TranslateOptions, diagnostics: Diagnostics): GatewayStatusUpdate {
  const generation = generationOf(gw.gateway);
  let accepted = gw.accepted;
  if (accepted.ok && gw.listeners.length > 0 && !gw.listeners.some((l) => l.accepted.ok)) accepted = problem('ListenersNotValid', 'no listener is valid');
  // Some listeners invalid, others served: still Accepted, with the reason saying so (Gateway API
  // GatewayReasonListenersNotValid is used with Accepted=True in that case).
  const invalid = gw.listeners.filter((l) => !l.accepted.ok).map((l) => l.spec.name);
  if (accepted.ok && invalid.length > 0) accepted = pass('ListenersNotValid', `listeners ${invalid.join(', ')} are not valid; the others are served`);
  const anyProgrammed = gw.listeners.some(programmed);
  const programmedVerdict = !accepted.ok
    ? problem('Invalid', accepted.message)
    : anyProgrammed || gw.listeners.length === 0
      ? pass('Programmed', 'Gateway is programmed')
      : problem('Invalid', 'no listener is programmed');
  if (!accepted.ok) diagnostics.error(gw.source, 'GatewayNotAccepted', accepted.reason, accepted.message);
  if (gw.tls.backendProblem) diagnostics.error(gw.source, 'GatewayBackendClientCertificateInvalid', gw.tls.backendProblem.reason, gw.tls.backendProblem.message);
  return {
    kind: 'Gateway',
    namespace: gw.namespace,
    name: gw.gateway.metadata.name,
    status: {
      addresses: statusAddresses(gw.gateway, gw.addresses, options),
      conditions: [condition('Accepted', accepted, generation), condition('Programmed', programmedVerdict, generation), ...gatewayTlsConditions(gw.tls, gw.listeners.filter((l) => !l.resolvedRefs.ok).map((l) => l.spec.name), generation)],
      listeners: gw.listeners.map((l) => listenerStatus(l, generation, diagnostics)),
    },
  };
}

function addressPoolOf(options: TranslateOptions): AddressPool | undefined {
  const pool = options.gatewayAddressPool ? parseAddressPool(options.gatewayAddressPool) : undefined;
  return typeof pool === 'string' ? undefined : pool;
}

function statusAddresses(gw: Gateway, own: readonly string[], options: TranslateOptions): { type: string; value: string }[] {
  // Its spec.addresses, or the one the address pool gave it.
  if ((gw.spec?.addresses?.length ?? 0) > 0 || own.length > 0) return own.map((value) => ({ type: 'IPAddress', value }));
  return (options.publishAddresses ?? []).map((value) => ({ type: /^[0-9.]+$|:/.test(value) ? 'IPAddress' : 'Hostname', value }));
}

