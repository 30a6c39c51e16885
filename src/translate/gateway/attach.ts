// Route parentRefs (HTTPRoute, TLSRoute, TCPRoute) → the listeners a route attaches to, with the spec's reasons when it
// attaches to none: NoMatchingParent (sectionName/port name no listener), NotAllowedByListeners
// (allowedRoutes kinds/namespaces), NoMatchingListenerHostname (no hostname intersection).
import { GATEWAY_GROUP, type LabelSelector, type ParentReference } from '../../api/gateway.js';
import { pass, problem, type Verdict } from './conditions.js';
import { attachable, type GatewayState, type ListenerState } from './gateways.js';
import { intersect } from './hostnames.js';
import type { RouteKind } from '../types.js';

/** What attachment needs of a route of any kind. */
export interface AttachingRoute {
  readonly namespace: string;
  /** Lower-cased, validated; empty = any (TCPRoute has none). */
  readonly hostnames: readonly string[];
}

export interface Attachment {
  readonly listener: ListenerState;
  /** Intersected hostnames ("*" = any). */
  readonly hosts: readonly string[];
}

export interface ParentResult {
  readonly verdict: Verdict;
  readonly attachments: readonly Attachment[];
}

/** The label every Namespace carries with its own name (set by the apiserver; implied here). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function isGatewayParent(ref: ParentReference): boolean {
  return (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? 'Gateway') === 'Gateway';
}

/**
 * The parentRefs of a route that name Gateways of ours: only those get a status entry (and are
 * worth compiling for).
 */
export function ourGatewayParents(
  refs: readonly ParentReference[] | undefined,
  routeNamespace: string,
  gatewayByKey: ReadonlyMap<string, GatewayState>,
): { ref: ParentReference; gw: GatewayState }[] {
  return (refs ?? [])
    .filter(isGatewayParent)
    .map((ref) => ({ ref, gw: gatewayByKey.get(`${ref.namespace ?? routeNamespace}/${ref.name}`) }))
    .filter((p): p is { ref: ParentReference; gw: GatewayState } => p.gw !== undefined);
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In' ? has && values.includes(value!) :
      e.operator === 'NotIn' ? !has || !values.includes(value!) :
      e.operator === 'Exists' ? has :
      e.operator === 'DoesNotExist' ? !has :
      false;
    if (!ok) return false;
  }
  return true;
}

function namespaceAllowed(l: ListenerState, routeNs: string, namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>): boolean {
  const ns = l.spec.allowedRoutes?.namespaces;
  const from = ns?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === l.gateway.namespace;
  if (from === 'Selector' && ns?.selector) {
    const labels = { ...(namespaceLabels.get(routeNs) ?? {}), [NAMESPACE_NAME_LABEL]: routeNs };
    return selectorMatches(ns.selector, labels);
  }
  return false;
}

export function attachToParent(
  t: AttachingRoute,
  ref: ParentReference,
  gw: GatewayState,
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>,
  kind: RouteKind,
): ParentResult {
  const gwName = `${gw.namespace}/${gw.gateway.metadata.name}`;
  if (!gw.accepted.ok) return { verdict: problem('NoMatchingParent', `Gateway ${gwName} is not accepted: ${gw.accepted.message}`), attachments: [] };
  const candidates = gw.listeners.filter(
    (l) => (ref.sectionName === undefined || l.spec.name === ref.sectionName) && (ref.port === undefined || l.spec.port === ref.port),
  );
  if (candidates.length === 0) {
    const what = [ref.sectionName !== undefined ? `sectionName ${ref.sectionName}` : '', ref.port !== undefined ? `port ${ref.port}` : ''].filter(Boolean).join(' and ');
    return { verdict: problem('NoMatchingParent', `Gateway ${gwName} has no listener with ${what || 'any name'}`), attachments: [] };
  }
  const allowed = candidates.filter(
    (l) => attachable(l) && l.supportedKinds.some((k) => k.kind === kind) && namespaceAllowed(l, t.namespace, namespaceLabels),
  );
  if (allowed.length === 0) {
    return { verdict: problem('NotAllowedByListeners', `no listener of Gateway ${gwName} allows ${kind}s from namespace ${t.namespace}`), attachments: [] };
  }
  const attachments: Attachment[] = [];
  for (const l of allowed) {
    const hosts = intersect(l.hostname, t.hostnames);
    if (hosts.length > 0) attachments.push({ listener: l, hosts });
  }
  if (attachments.length === 0) {
    return { verdict: problem('NoMatchingListenerHostname', `no hostname of the route intersects a listener hostname of Gateway ${gwName}`), attachments: [] };
  }
  return { verdict: pass('Accepted', 'route is accepted'), attachments };
}
