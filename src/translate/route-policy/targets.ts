// targetRefs → what a RoutePolicy attaches to, and where its routes are in the table. A target
// is, in the policy's namespace: a Gateway (a default for every HTTPRoute and GRPCRoute it
// serves), an HTTPRoute or a GRPCRoute, one rule of either (sectionName = the rule's name), or an
// Ingress. Specificity, least first: Gateway, then HTTPRoute / GRPCRoute / Ingress, then the
// route's rule; route-policy.ts merges block by block with the most specific winning. Two
// policies on the same target: the oldest wins.
import { GATEWAY_GROUP, type GRPCRoute, type HTTPRoute, type ParentReference } from '../../api/gateway.js';
import type { RoutePolicy, RoutePolicyTargetReference } from '../../api/sluice.js';
import type { Route } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import { routeRuleIndex } from '../gateway/gateway.js';
import type { Fields } from '../policy/fields.js';
import type { StatusUpdate } from '../types.js';

export const MAX_TARGETS = 16;
export const INGRESS_GROUP = 'networking.k8s.io';
export const TARGET_KINDS = { Gateway: GATEWAY_GROUP, HTTPRoute: GATEWAY_GROUP, GRPCRoute: GATEWAY_GROUP, Ingress: INGRESS_GROUP } as const;
export type TargetKind = keyof typeof TARGET_KINDS;
/** The route kinds a target may name one rule of (sectionName). */
export type RouteTargetKind = 'HTTPRoute' | 'GRPCRoute';
const SECTIONED: ReadonlySet<string> = new Set<RouteTargetKind>(['HTTPRoute', 'GRPCRoute']);

export interface RouteTarget {
  readonly index: number;
  readonly kind: TargetKind;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
}

/** One key per target slot: two policies with the same key conflict. */
export function slotKey(kind: TargetKind, namespace: string, name: string, sectionName?: string): string {
  return `${kind}/${namespace}/${name}/${sectionName ?? ''}`;
}

export function targetSlot(t: RouteTarget): string {
  return slotKey(t.kind, t.namespace, t.name, t.sectionName);
}

/** "HTTPRoute shop/api rule list", as messages name a target. */
export function describeRouteTarget(t: RouteTarget): string {
  return `${t.kind} ${t.namespace}/${t.name}${t.sectionName !== undefined ? ` rule ${t.sectionName}` : ''}`;
}

const NAME = (s: string) => (s.length > 0 && s.length <= 253 ? undefined : 'must be 1 to 253 characters');

/** The targets as written, checked for shape (group, kind, name, sectionName, duplicates). */
export function readRouteTargets(policy: RoutePolicy, f: Fields): RouteTarget[] {
  const namespace = policy.metadata.namespace ?? 'default';
  const list = f.list(policy.spec?.targetRefs, 'targetRefs', MAX_TARGETS);
  if (!list || list.length === 0) {
    if (list || policy.spec?.targetRefs === undefined) f.problem('targetRefs', 'must name at least one HTTPRoute, GRPCRoute, Ingress or Gateway');
    return [];
  }
  const out: RouteTarget[] = [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const t = f.at(`targetRefs[${index}]`);
    const ref = f.object(item, `targetRefs[${index}]`) as RoutePolicyTargetReference | undefined;
    if (!ref) return;
    const kind = ref.kind as TargetKind | undefined;
    if (kind === undefined || !Object.hasOwn(TARGET_KINDS, kind) || ref.group !== TARGET_KINDS[kind]) {
      return void t.invalid(
        `must be an HTTPRoute, GRPCRoute or Gateway (group ${GATEWAY_GROUP}) or an Ingress (group ${INGRESS_GROUP}), not group ${JSON.stringify(ref.group)} kind ${JSON.stringify(ref.kind)}`,
      );
    }
    const name = t.string(ref.name, 'name', NAME);
    if (ref.name === undefined) t.problem('name', 'is required');
    const sectionName = t.string(ref.sectionName, 'sectionName', NAME);
    if (ref.sectionName !== undefined && !SECTIONED.has(kind)) return void t.problem('sectionName', `only an HTTPRoute or GRPCRoute target has sections (rule names); a ${kind} has none`);
    if (name === undefined || (ref.sectionName !== undefined && sectionName === undefined)) return;
    const target: RouteTarget = { index, kind, namespace, name, ...(sectionName !== undefined ? { sectionName } : {}) };
    if (seen.has(targetSlot(target))) return void t.invalid(`targets ${describeRouteTarget(target)} a second time`);
    seen.add(targetSlot(target));
    out.push(target);
  });
  return out;
}

/** Where a found target's policy status goes: its Gateways (or the Ingress itself). */
export type TargetLookup = { readonly found: true; readonly ancestors: readonly ParentReference[] } | { readonly found: false; readonly why: string };

/**
 * What the route translators made, as RoutePolicy targets see it: which Gateways, HTTPRoutes,
 * GRPCRoutes and Ingresses Sluice serves, and the target slots that cover each table route.
 */
export class RouteTargets {
  private readonly gateways = new Set<string>();
  private readonly ingresses = new Set<string>();
  /** "Kind/ns/name" of a route → the Gateways ("ns/name") that accepted it. */
  private readonly routeParents = new Map<string, string[]>();
  /** "Kind/ns/name" of a route → its rule names, by index. */
  private readonly ruleNames = new Map<string, readonly (string | undefined)[]>();
  /** Gateways ("ns/name") that accepted some GRPCRoute. */
  private readonly grpcGateways = new Set<string>();

  constructor(routes: readonly (HTTPRoute | GRPCRoute)[], statuses: readonly StatusUpdate[]) {
    for (const r of routes) {
      const rules: readonly { readonly name?: unknown }[] = Array.isArray(r.spec?.rules) ? r.spec.rules : [];
      this.ruleNames.set(routeKey(r.kind, r.metadata.namespace ?? 'default', r.metadata.name), rules.map((rule) => (typeof rule?.name === 'string' ? rule.name : undefined)));
    }
    for (const s of statuses) {
      if (s.kind === 'Gateway') this.gateways.add(`${s.namespace}/${s.name}`);
      else if (s.kind === 'Ingress') this.ingresses.add(`${s.namespace}/${s.name}`);
      else if (s.kind === 'HTTPRoute' || s.kind === 'GRPCRoute') {
        const accepted = s.parents.filter((p) => p.conditions.some((c) => c.type === 'Accepted' && c.status === 'True'));
        const gws = [...new Set(accepted.map((p) => `${p.parentRef.namespace ?? s.namespace}/${p.parentRef.name}`))].sort(compareStrings);
        if (gws.length > 0) this.routeParents.set(routeKey(s.kind, s.namespace, s.name), gws);
        if (s.kind === 'GRPCRoute') for (const gw of gws) this.grpcGateways.add(gw);
      }
    }
  }

  lookup(t: RouteTarget): TargetLookup {
    const key = `${t.namespace}/${t.name}`;
    if (t.kind === 'Gateway') {
      return this.gateways.has(key) ? { found: true, ancestors: [gatewayRef(key)] } : { found: false, why: `Gateway ${key} does not exist or is not of a GatewayClass Sluice serves` };
    }
    if (t.kind === 'Ingress') {
      return this.ingresses.has(key)
        ? { found: true, ancestors: [{ group: INGRESS_GROUP, kind: 'Ingress', namespace: t.namespace, name: t.name }] }
        : { found: false, why: `Ingress ${key} does not exist or is not of the IngressClass Sluice serves` };
    }
    const rules = this.ruleNames.get(routeKey(t.kind, t.namespace, t.name));
    if (!rules) return { found: false, why: `${t.kind} ${key} does not exist` };
    const parents = this.routeParents.get(routeKey(t.kind, t.namespace, t.name));
    if (!parents) return { found: false, why: `${t.kind} ${key} is not accepted by any Gateway Sluice serves` };
    if (t.sectionName !== undefined && !rules.includes(t.sectionName)) return { found: false, why: `${t.kind} ${key} has no rule named ${t.sectionName}` };
    return { found: true, ancestors: parents.map(gatewayRef) };
  }

  /** Whether a Gateway ("ns/name") serves any GRPCRoute. */
  servesGrpcRoutes(gateway: string): boolean {
    return this.grpcGateways.has(gateway);
  }

  /** The slots that cover a table route, least specific first; `gateway` owns its listener. */
  slotsOf(route: Route, gateway: string | undefined): string[] {
    const { kind, namespace = 'default', name } = route.source;
    if (kind === 'Ingress') return [slotKey('Ingress', namespace, name)];
    if (kind !== 'HTTPRoute' && kind !== 'GRPCRoute') return [];
    const slots: string[] = [];
    if (gateway !== undefined) {
      const [gwNamespace, gwName] = gateway.split('/') as [string, string];
      slots.push(slotKey('Gateway', gwNamespace, gwName));
    }
    slots.push(slotKey(kind, namespace, name));
    const index = routeRuleIndex(route.id);
    const rule = index !== undefined ? this.ruleNames.get(routeKey(kind, namespace, name))?.[index] : undefined;
    if (rule !== undefined) slots.push(slotKey(kind, namespace, name, rule));
    return slots;
  }
}

function routeKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function gatewayRef(key: string): ParentReference {
  const [namespace, name] = key.split('/') as [string, string];
  return { group: GATEWAY_GROUP, kind: 'Gateway', namespace, name };
}
