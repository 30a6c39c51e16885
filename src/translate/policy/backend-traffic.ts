// BackendTrafficPolicy (sluice.dev) → the load balancer and traffic policy of the clusters the
// route translators made, and each policy's status. Runs after every route has resolved its
// clusters, so a policy reaches a Service however it is routed to (Ingress, HTTPRoute, mirror).
// A policy with any problem has no effect at all (its Services keep the defaults); one policy's
// problem never affects another policy, route or cluster.
//
// Status (Gateway API PolicyStatus): one ancestor per Gateway whose routes reach the targeted
// Service (port), each with Sluice's Accepted condition; a Service reached by no Gateway (only
// by Ingresses, or not routed to at all) has the Service itself as its ancestor. At most 16
// ancestors (the PolicyStatus limit), Gateways first, by namespace/name.
import type { Service } from '../../api/core.js';
import type { BackendTrafficPolicy } from '../../api/sluice.js';
import type { SourceRef } from '../../table/types.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, sourceOf } from '../diagnostics.js';
import { generationOf, problem, type Verdict } from '../gateway/conditions.js';
import type { BackendTrafficPolicyStatusUpdate } from '../types.js';
import { reportUnimplemented } from '../unimplemented.js';
import { serviceAncestors } from './ancestors.js';
import { Fields } from './fields.js';
import type { RouteReach } from './reach.js';
import { readPolicySpec, type PolicyEffect } from './spec.js';
import { admitTargets, outcomeVerdict } from './candidates.js';
import { readTargets, resolveConflicts, type Candidate, type Target } from './targets.js';


export interface PolicyInputs {
  /** The policies in scope (--watch-namespace), sorted by namespace/name. */
  readonly policies: readonly BackendTrafficPolicy[];
  readonly services: ReadonlyMap<string, Service>;
  readonly reach: RouteReach;
}

interface Valid {
  readonly policy: BackendTrafficPolicy;
  readonly source: SourceRef;
  readonly effect: PolicyEffect;
}

interface TargetResult {
  readonly target: Target;
  readonly verdict: Verdict;
}

export function applyBackendTrafficPolicies(inputs: PolicyInputs, clusters: ClusterRegistry, diagnostics: Diagnostics): BackendTrafficPolicyStatusUpdate[] {
  const results = new Map<BackendTrafficPolicy, TargetResult[]>();
  const candidates: Candidate<Valid>[] = [];
  for (const policy of inputs.policies) {
    reportUnimplemented(policy, diagnostics);
    const source = sourceOf(policy);
    const { targets, problems, effect } = readPolicy(policy, source);
    if (!effect) {
      const message = problems.join('; ');
      diagnostics.error(source, 'PolicyInvalid', message);
      results.set(policy, targets.map((target) => ({ target, verdict: problem('Invalid', message) })));
      continue;
    }
    const v: Valid = { policy, source, effect };
    const own = admitTargets(v, policy, targets, inputs.services, candidates, diagnostics);
    results.set(policy, own);
  }

  const resolution = resolveConflicts(candidates, inputs.services);
  clusters.update((c) => {
    const winner = resolution.winners.get(`${c.service.namespace}/${c.service.name}`)?.get(c.portName);
    if (!winner) return c;
    if (winner.effect.policy.proxyProtocol && inputs.reach.servesHttp(c.id)) diagnostics.warning(winner.source, 'PolicyProxyProtocolHttp', `${c.service.namespace}/${c.service.name}`);
    return { ...c, loadBalancer: winner.effect.loadBalancer ?? c.loadBalancer, policy: winner.effect.policy };
  });
  for (const c of candidates) {
    const verdict = outcomeVerdict(c, resolution.outcomes.get(c)!, diagnostics, (target) => `applied to ${target}`);
    results.get(c.owner.policy)!.push({ target: c.target, verdict });
  }

  return inputs.policies.map((policy) => {
    const own = [...results.get(policy)!].sort((a, b) => a.target.index - b.target.index);
    return {
      kind: 'BackendTrafficPolicy',
      namespace: policy.metadata.namespace ?? 'default',
      name: policy.metadata.name,
      ancestors: serviceAncestors(own, inputs.reach, generationOf(policy)),
    };
  });
}

/** The targets and the effect of a policy, or (no effect) every problem found. */
function readPolicy(policy: BackendTrafficPolicy, source: SourceRef): { targets: Target[]; problems: string[]; effect?: PolicyEffect } {
  const problems: string[] = [];
  try {
    const targets = readTargets(policy, new Fields('spec', (m) => problems.push(m)));
    const reading = readPolicySpec(policy, source);
    if (!reading.ok) problems.push(...reading.problems);
    return { targets, problems, ...(reading.ok && problems.length === 0 ? { effect: reading.effect } : {}) };
  } catch {
    // Malformed beyond what the readers expect (possible in file mode): this policy only is dropped.
    return { targets: [], problems: ['malformed BackendTrafficPolicy (its spec does not follow the schema)'] };
  }
}
