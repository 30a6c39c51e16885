// IP access lists, judged on the client address the trusted-proxy setting yields (never a raw
// X-Forwarded-For): a denied range wins over an allowed one; a non-empty allow list admits only
// its ranges. Matching reuses the cached BlockList matcher of --trusted-proxies.
import { Answers } from '../../errors.js';
import type { IpAccessPolicy } from '../../table/types.js';
import { createTrustedMatcher } from '../edge/trusted.js';
import { type Check, rejection } from './check.js';
import { authCounter } from './counters.js';

/** Whether an address may pass; throws on a CIDR that is not one (the caller fails closed). */
export function ipAccessMatcher(policy: IpAccessPolicy): (address: string) => boolean {
  const denied = createTrustedMatcher(policy.deny);
  const allowed = policy.allow.length > 0 ? createTrustedMatcher(policy.allow) : undefined;
  return (address) => !denied(address) && (allowed === undefined || allowed(address));
}

export function ipAccessCheck(routeId: string, policy: IpAccessPolicy): Check {
  const answer = rejection(Answers.Forbidden);
  const counter = authCounter(routeId, 'ip');
  let admits: (address: string) => boolean;
  let invalid: string | undefined;
  try {
    admits = ipAccessMatcher(policy);
  } catch (err) {
    // Translate canonicalises CIDRs; should one slip through, nobody passes (fail closed).
    invalid = (err as Error).message;
    admits = () => false;
  }
  return (a) => {
    if (invalid) a.services.warnOnce(`ip|${routeId}`, 'route policy ipAccess is invalid: every request is denied', { route: routeId, reason: invalid });
    if (admits(a.plan.client.address)) {
      counter.count(a.ctx.metrics, 'allowed');
      return undefined;
    }
    counter.count(a.ctx.metrics, 'denied');
    return answer;
  };
}
