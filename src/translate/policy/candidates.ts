// The steps every Service-targeting policy kind (BackendTrafficPolicy, BackendTLSPolicy) takes
// around conflict resolution (targets.ts): its existing targets become candidates, missing ones
// TargetNotFound; after resolution each candidate's outcome becomes a verdict and the policy's
// messages name the same targets and winners the same way.
import type { Service } from '../../api/core.js';
import type { SourceRef } from '../../table/types.js';
import type { Diagnostics } from '../diagnostics.js';
import { pass, problem, type Verdict } from '../gateway/conditions.js';
import type { TargetVerdict } from './ancestors.js';
import { describeTarget, missingTarget, type Candidate, type Outcome, type ServiceTargetedPolicy, type Target } from './targets.js';

/** What a candidate's owner carries for messages. */
export interface PolicyOwner {
  readonly source: SourceRef;
}

export function displaySource(source: SourceRef): string {
  return `${source.kind} ${source.namespace}/${source.name}`;
}

/** Targets whose Service (port) exists join `candidates`; the others get TargetNotFound (returned) and a diagnostic. */
export function admitTargets<P extends PolicyOwner>(owner: P, policy: ServiceTargetedPolicy, targets: readonly Target[], services: ReadonlyMap<string, Service>, candidates: Candidate<P>[], diagnostics: Diagnostics): TargetVerdict[] {
  const own: TargetVerdict[] = [];
  for (const target of targets) {
    const missing = missingTarget(target, services);
    if (missing === undefined) candidates.push({ owner, policy, target });
    else {
      diagnostics.error(owner.source, 'PolicyTargetNotFound', describeTarget(target), missing);
      own.push({ target, verdict: problem('TargetNotFound', missing) });
    }
  }
  return own;
}

/** A candidate's verdict from its outcome; `applied` says what an applied policy does to the target. */
export function outcomeVerdict<P extends PolicyOwner>(c: Candidate<P>, outcome: Outcome<P>, diagnostics: Diagnostics, applied: (target: string) => string): Verdict {
  const target = describeTarget(c.target);
  if (outcome.type === 'conflicted') {
    const winners = outcome.winners.map((w) => displaySource(w.source));
    diagnostics.warning(c.owner.source, 'PolicyConflicted', target, winners, outcome.why);
    const verb = winners.length > 1 ? 'take' : 'takes';
    return problem('Conflicted', `${target} is also targeted by ${winners.join(' and ')}, which ${verb} precedence (${outcome.why})`);
  }
  const except = outcome.overridden.map((o) => `port ${o.port} (${displaySource(o.by.source)} names it)`);
  return pass('Accepted', `${applied(target)}${except.length > 0 ? ` except ${except.join(', ')}` : ''}`);
}
