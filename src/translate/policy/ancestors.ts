// PolicyAncestorStatus for Sluice's policy kinds (BackendTrafficPolicy, RoutePolicy): each
// target's verdict under every ancestor it has, one entry per ancestor (Gateways first, at most
// MAX_ANCESTORS as the CRDs allow), Accepted when every verdict under it passed, else the first
// problem's reason with every problem's message.
import type { ParentReference } from '../../api/gateway.js';
import type { PolicyAncestorStatus } from '../../api/sluice.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { compareStrings, stableStringify } from '../../util/compare.js';
import { condition, pass, problem, type Verdict } from '../gateway/conditions.js';

export const MAX_ANCESTORS = 16;

/** One target of a policy: where its verdict is reported. */
export interface AncestorVerdict {
  readonly ancestors: readonly ParentReference[];
  readonly verdict: Verdict;
}

export function policyAncestors(results: readonly AncestorVerdict[], generation: number): PolicyAncestorStatus[] {
  const byAncestor = new Map<string, { ref: ParentReference; verdicts: Verdict[] }>();
  for (const { ancestors, verdict } of results) {
    for (const ref of ancestors) {
      const key = `${ref.kind === 'Gateway' ? 0 : 1}|${ref.kind}|${ref.namespace}/${ref.name}`;
      const entry = byAncestor.get(key) ?? { ref, verdicts: [] };
      if (!entry.verdicts.some((v) => stableStringify(v) === stableStringify(verdict))) entry.verdicts.push(verdict);
      byAncestor.set(key, entry);
    }
  }
  return [...byAncestor]
    .sort(([a], [b]) => compareStrings(a, b))
    .slice(0, MAX_ANCESTORS)
    .map(([, { ref, verdicts }]) => ({ ancestorRef: ref, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [condition('Accepted', merge(verdicts), generation)] }));
}

function merge(verdicts: readonly Verdict[]): Verdict {
  const bad = verdicts.filter((v) => !v.ok);
  if (bad.length === 0) return pass('Accepted', verdicts.map((v) => v.message).join('; '));
  return problem(bad[0]!.reason, bad.map((v) => v.message).join('; '));
}
