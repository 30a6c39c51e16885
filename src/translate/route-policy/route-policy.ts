// RoutePolicy (sluice.dev) → the EdgePolicy of the table routes it targets, and each policy's
// status. Runs after the route translators, on the Ingress and Gateway listeners before they
// share sockets (a Gateway target covers only the routes on its own listeners).
//
// - Each block is judged alone (spec.ts). A broken non-security block is dropped (the less
//   specific policy's block applies, if any); a broken security block (ipAccess, basicAuth,
//   forwardAuth) fails closed: the routes it governs get `denyAll` (every request answered 403).
// - The blocks of a route come from the most specific policy that has them: HTTPRoute (or
//   GRPCRoute) rule, then HTTPRoute (GRPCRoute, Ingress), then Gateway. A block with enabled: false
//   switches a less specific one off.
// - GRPCRoute routes never get compression, cache or coalescing (grpc.ts): a GRPCRoute target with
//   them is Invalid there, a Gateway's reach only its HTTPRoutes (its status message says so).
// - A rule's own HTTPRoute CORS filter wins over every RoutePolicy cors (the route author wrote it
//   on the rule itself): the policy's cors is left out of that route's edge, with a warning.
// - Two policies on the same target: the oldest (creationTimestamp, then namespace/name) wins,
//   the others are Conflicted there and apply nothing to it.
//
// Status (Gateway API PolicyStatus): one ancestor per Gateway that accepted a targeted HTTPRoute
// or GRPCRoute (or the targeted Gateway itself, or the targeted Ingress), each with Sluice's Accepted
// condition: Accepted, or False with Invalid, TargetNotFound or Conflicted.
import type { Secret, Service } from '../../api/core.js';
import type { GRPCRoute, HTTPRoute, ParentReference } from '../../api/gateway.js';
import type { RoutePolicy } from '../../api/sluice.js';
import type { EdgePolicy, Listener, Route, SourceRef } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, refKey, sourceOf } from '../diagnostics.js';
import { generationOf, pass, problem, type Verdict } from '../gateway/conditions.js';
import { policyAncestors } from '../policy/ancestors.js';
import { Fields } from '../policy/fields.js';
import type { RoutePolicyStatusUpdate, StatusUpdate } from '../types.js';
import { reportUnimplemented } from '../unimplemented.js';
import { describeGrpcRefusal, grpcRefused, NOT_FOR_GRPC } from './grpc.js';
import { BLOCKS, readRoutePolicySpec, SECURITY_BLOCKS, type Block, type SpecReadings } from './spec.js';
import { describeRouteTarget, readRouteTargets, RouteTargets, targetSlot, type RouteTarget } from './targets.js';

export interface RoutePolicyInputs {
  /** The policies in scope (--watch-namespace), sorted by namespace/name. */
  readonly policies: readonly RoutePolicy[];
  readonly routes: readonly HTTPRoute[];
  readonly grpcRoutes: readonly GRPCRoute[];
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly services: ReadonlyMap<string, Service>;
  /** Every status so far: which Gateways, Ingresses, HTTPRoutes and GRPCRoutes Sluice serves. */
  readonly statuses: readonly StatusUpdate[];
}

/** A listener and the Gateway ("ns/name") that owns it; undefined for the Ingress listeners. */
export interface OwnedListener {
  readonly listener: Listener;
  readonly gateway: string | undefined;
}

interface Policy {
  readonly policy: RoutePolicy;
  readonly source: SourceRef;
  readonly readings: SpecReadings;
}

interface TargetResult {
  readonly target: RouteTarget;
  readonly ancestors: readonly ParentReference[];
  readonly verdict: Verdict;
}

function display(source: SourceRef): string {
  return `${source.kind} ${source.namespace}/${source.name}`;
}

function age(p: RoutePolicy): string {
  return `${p.metadata.creationTimestamp ?? '9999'}|${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

export function applyRoutePolicies(
  inputs: RoutePolicyInputs,
  listeners: readonly OwnedListener[],
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
): { listeners: Listener[]; statuses: RoutePolicyStatusUpdate[] } {
  const targets = new RouteTargets([...inputs.routes, ...inputs.grpcRoutes], inputs.statuses);
  const results = new Map<RoutePolicy, TargetResult[]>();
  const bySlot = new Map<string, { owner: Policy; target: RouteTarget; ancestors: readonly ParentReference[] }[]>();
  for (const policy of inputs.policies) {
    reportUnimplemented(policy, diagnostics);
    const own: TargetResult[] = [];
    results.set(policy, own);
    const owner = readPolicy(policy, inputs, clusters, diagnostics);
    for (const target of owner.targets) {
      const found = targets.lookup(target);
      if (!found.found) {
        diagnostics.error(owner.policy.source, 'RoutePolicyTargetNotFound', describeRouteTarget(target), found.why);
        own.push({ target, ancestors: [selfRef(target)], verdict: problem('TargetNotFound', found.why) });
        continue;
      }
      const slot = targetSlot(target);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), { owner: owner.policy, target, ancestors: found.ancestors }]);
    }
  }

  // Same target: the oldest wins.
  const winners = new Map<string, Policy>();
  for (const [slot, group] of bySlot) {
    const [first, ...rest] = [...group].sort((a, b) => compareStrings(age(a.owner.policy), age(b.owner.policy)));
    winners.set(slot, first!.owner);
    const refused = first!.target.kind === 'GRPCRoute' ? grpcRefused(presentBlocks(first!.owner)) : [];
    if (refused.length > 0) diagnostics.error(first!.owner.source, 'RoutePolicyBlockNotForGrpc', describeRouteTarget(first!.target), describeGrpcRefusal(refused));
    const verdict = appliedVerdict(first!.owner, first!.target, refused, targets);
    results.get(first!.owner.policy)!.push({ target: first!.target, ancestors: first!.ancestors, verdict });
    for (const loser of rest) {
      const target = describeRouteTarget(loser.target);
      diagnostics.warning(loser.owner.source, 'RoutePolicyConflicted', target, display(first!.owner.source));
      const verdict = problem('Conflicted', `${target} is also targeted by ${display(first!.owner.source)}, which is older and takes precedence`);
      results.get(loser.owner.policy)!.push({ target: loser.target, ancestors: loser.ancestors, verdict });
    }
  }

  const edges = new EdgeMerger(winners);
  // One route object may serve two listeners (an Ingress on HTTP and HTTPS): it stays one object.
  const mapped = new Map<Route, Route>();
  const out = listeners.map(({ listener, gateway }) => {
    const withEdge = (r: Route): Route => {
      let next = mapped.get(r);
      if (!next) {
        const edge = withoutShadowedCors(r, edges.of(targets.slotsOf(r, gateway), r.source.kind === 'GRPCRoute'), diagnostics);
        mapped.set(r, (next = edge ? { ...r, edge } : r));
      }
      return next;
    };
    return {
      ...listener,
      virtualHosts: listener.virtualHosts.map((vh) => ({ ...vh, routes: vh.routes.map(withEdge) })),
      ...(listener.fallback ? { fallback: withEdge(listener.fallback) } : {}),
    };
  });

  const statuses = inputs.policies.map((policy): RoutePolicyStatusUpdate => {
    const own = [...results.get(policy)!].sort((a, b) => a.target.index - b.target.index);
    return { kind: 'RoutePolicy', namespace: policy.metadata.namespace ?? 'default', name: policy.metadata.name, ancestors: policyAncestors(own, generationOf(policy)) };
  });
  return { listeners: out, statuses };
}

/** A policy's targets and block readings; problems go to diagnostics (a malformed policy applies nothing). */
function readPolicy(policy: RoutePolicy, inputs: RoutePolicyInputs, clusters: ClusterRegistry, diagnostics: Diagnostics): { policy: Policy; targets: RouteTarget[] } {
  const source = sourceOf(policy);
  try {
    const targetProblems: string[] = [];
    const targets = readRouteTargets(policy, new Fields('spec', (m) => targetProblems.push(m)));
    if (targetProblems.length > 0) diagnostics.error(source, 'RoutePolicyTargetInvalid', targetProblems.join('; '));
    const readings = readRoutePolicySpec(policy, source, { secrets: inputs.secrets, services: inputs.services, clusters });
    for (const block of BLOCKS) {
      const r = readings[block];
      if (r && !r.ok) diagnostics.error(source, 'RoutePolicyBlockInvalid', r.problems.join('; '), SECURITY_BLOCKS.has(block));
    }
    return { policy: { policy, source, readings }, targets };
  } catch {
    // Malformed beyond what the readers expect (possible in file mode): this policy only is dropped.
    diagnostics.error(source, 'RoutePolicyMalformed');
    return { policy: { policy, source, readings: {} }, targets: [] };
  }
}

/** The blocks a policy has (valid, broken or switched off), in BLOCKS order. */
function presentBlocks(p: Policy): Block[] {
  return BLOCKS.filter((b) => p.readings[b] !== undefined);
}

/**
 * Accepted, or Invalid naming every broken block and what became of it, and the blocks a
 * GRPCRoute target refuses. A Gateway's message names the blocks its GRPCRoutes do not get.
 */
function appliedVerdict(p: Policy, target: RouteTarget, grpcRefusedBlocks: readonly Block[], targets: RouteTargets): Verdict {
  const broken = BLOCKS.flatMap((block) => {
    const r = p.readings[block];
    if (!r || r.ok || grpcRefusedBlocks.includes(block)) return [];
    const effect = SECURITY_BLOCKS.has(block) ? `spec.${block} fails closed: every request is denied` : `spec.${block} is not applied`;
    return [`${r.problems.join('; ')}; ${effect}`];
  });
  if (grpcRefusedBlocks.length > 0) broken.push(`${describeGrpcRefusal(grpcRefusedBlocks)}: not applied`);
  const where = describeRouteTarget(target);
  if (broken.length > 0) return problem('Invalid', `${where}: ${broken.join('; ')}`);
  const httpOnly = target.kind === 'Gateway' && targets.servesGrpcRoutes(`${target.namespace}/${target.name}`) ? grpcRefused(presentBlocks(p)) : [];
  const note = httpOnly.length > 0 ? ` (${httpOnly.map((b) => `spec.${b}`).join(', ')}: to its HTTPRoutes only, GRPCRoutes do not get ${httpOnly.length > 1 ? 'them' : 'it'})` : '';
  return pass('Accepted', `applied to ${where}${note}`);
}

const GRPC_BLOCKS: readonly Block[] = BLOCKS.filter((b) => !NOT_FOR_GRPC.has(b));

/**
 * The EdgePolicy of the routes a list of target slots covers (least specific first), merged
 * block by block. Routes with the same slots share one EdgePolicy object.
 */
class EdgeMerger {
  private readonly winners: ReadonlyMap<string, Policy>;
  private readonly cache = new Map<string, EdgePolicy | undefined>();

  constructor(winners: ReadonlyMap<string, Policy>) {
    this.winners = winners;
  }

  /** `grpc`: the route is a GRPCRoute's, which takes no block of NOT_FOR_GRPC from any level. */
  of(slots: readonly string[], grpc: boolean): EdgePolicy | undefined {
    const key = `${grpc ? 'grpc' : 'http'}|${slots.join('|')}`;
    if (!this.cache.has(key)) this.cache.set(key, this.merge(slots.flatMap((s) => this.winners.get(s) ?? []), grpc ? GRPC_BLOCKS : BLOCKS));
    return this.cache.get(key);
  }

  private merge(levels: readonly Policy[], applicable: readonly Block[]): EdgePolicy | undefined {
    if (levels.length === 0) return undefined;
    const blocks: Partial<Record<Block, unknown>> = {};
    const deny: string[] = [];
    const contributors = new Set<Policy>();
    for (const block of applicable) {
      for (let i = levels.length - 1; i >= 0; i--) {
        const r = levels[i]!.readings[block];
        if (!r) continue;
        if (r.ok) {
          if (r.value !== null) blocks[block] = r.value;
          contributors.add(levels[i]!);
          break;
        }
        if (SECURITY_BLOCKS.has(block)) {
          deny.push(`${display(levels[i]!.source)}: ${r.problems.join('; ')}`);
          contributors.add(levels[i]!);
          break;
        }
        // A broken non-security block is dropped: look further out.
      }
    }
    if (Object.keys(blocks).length === 0 && deny.length === 0) return undefined;
    const sources = levels.filter((l) => contributors.has(l)).map((l) => l.source);
    const unique = sources.filter((s, i) => sources.findIndex((o) => refKey(o) === refKey(s)) === i);
    return { sources: unique, ...blocks, ...(deny.length > 0 ? { denyAll: { reason: deny.join('; ') } } : {}) } as EdgePolicy;
  }
}

/** The edge of a route whose rule has a CORS filter keeps no cors (the filter's serves), said once per route source. */
function withoutShadowedCors(r: Route, edge: EdgePolicy | undefined, diagnostics: Diagnostics): EdgePolicy | undefined {
  if (!edge?.cors || !r.cors) return edge;
  diagnostics.warning(r.source, 'RoutePolicyCorsShadowed', edge.sources.filter((s) => s.kind === 'RoutePolicy').map(display).join(', '));
  const { cors: _shadowed, ...rest } = edge;
  return Object.keys(rest).length > 1 ? rest : undefined;
}

function selfRef(t: RouteTarget): ParentReference {
  const group = t.kind === 'Ingress' ? 'networking.k8s.io' : 'gateway.networking.k8s.io';
  return { group, kind: t.kind, namespace: t.namespace, name: t.name };
}

