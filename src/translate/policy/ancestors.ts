// PolicyAncestorStatus for the policy kinds Sluice serves (BackendTrafficPolicy, RoutePolicy,
// BackendTLSPolicy): each target's verdict under every ancestor it has, one entry per ancestor
// (Gateways first, at most MAX_ANCESTORS as the CRDs allow), Accepted when every verdict under it
// passed, else the first problem's reason with every problem's message. Kinds with references
// (BackendTLSPolicy) also get a ResolvedRefs condition, merged the same way.
import { GATEWAY_GROUP, type ParentReference } from '../../api/gateway.js';
import type { PolicyAncestorStatus } from '../../api/sluice.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { compareStrings, stableStringify } from '../../util/compare.js';
import { condition, pass, problem, type Verdict } from '../gateway/conditions.js';
import type { RouteReach } from './reach.js';
import type { Target } from './targets.js';

export const MAX_ANCESTORS = 16;

/** One target of a policy: where its verdict is reported. */
export interface AncestorVerdict {
  readonly ancestors: readonly ParentReference[];
  readonly verdict: Verdict;
  /** Whether the policy's references resolved (a ResolvedRefs condition next to Accepted). */
  readonly resolvedRefs?: Verdict;
}

export function policyAncestors(results: readonly AncestorVerdict[], generation: number): PolicyAncestorStatus[] {
  const byAncestor = new Map<string, { ref: ParentReference; verdicts: Verdict[]; refs: Verdict[] }>();
  for (const { ancestors, verdict, resolvedRefs } of results) {
    for (const ref of ancestors) {
      const key = `${ref.kind === 'Gateway' ? 0 : 1}|${ref.kind}|${ref.namespace}/${ref.name}`;
      const entry = byAncestor.get(key) ?? { ref, verdicts: [], refs: [] };
      addOnce(entry.verdicts, verdict);
      if (resolvedRefs) addOnce(entry.refs, resolvedRefs);
      byAncestor.set(key, entry);
    }
  }
  return [...byAncestor]
    .sort(([a], [b]) => compareStrings(a, b))
    .slice(0, MAX_ANCESTORS)
    .map(([, { ref, verdicts, refs }]) => ({
      ancestorRef: ref,
      controllerName: GATEWAY_CONTROLLER_NAME,
      conditions: [condition('Accepted', merge(verdicts, 'Accepted'), generation), ...(refs.length > 0 ? [condition('ResolvedRefs', merge(refs, 'ResolvedRefs'), generation)] : [])],
    }));
}

function addOnce(list: Verdict[], v: Verdict): void {
  if (!list.some((x) => stableStringify(x) === stableStringify(v))) list.push(v);
}

function merge(verdicts: readonly Verdict[], passReason: string): Verdict {
  const bad = verdicts.filter((v) => !v.ok);
  if (bad.length === 0) return pass(passReason, verdicts.map((v) => v.message).join('; '));
  return problem(bad[0]!.reason, bad.map((v) => v.message).join('; '));
}

/** A Service-targeting policy's verdict on one target (and, for kinds with references, whether they resolved). */
export interface TargetVerdict {
  readonly target: Target;
  readonly verdict: Verdict;
  readonly resolvedRefs?: Verdict;
}

/**
 * Statuses of a Service-targeting policy (BackendTrafficPolicy, BackendTLSPolicy): each target's
 * verdict under every Gateway whose routes reach the Service (port), else under the Service itself.
 */
export function serviceAncestors(results: readonly TargetVerdict[], reach: RouteReach, generation: number): PolicyAncestorStatus[] {
  return policyAncestors(
    results.map(({ target, verdict, resolvedRefs }) => {
      const gateways = verdict.reason === 'TargetNotFound' ? [] : reach.gateways(target.namespace, target.service, target.sectionName);
      const ancestors: ParentReference[] =
        gateways.length > 0
          ? gateways.map((g) => ({ group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.namespace, name: g.name }))
          : [{ group: '', kind: 'Service', namespace: target.namespace, name: target.service }];
      return { ancestors, verdict, ...(resolvedRefs ? { resolvedRefs } : {}) };
    }),
    generation,
  );
}
