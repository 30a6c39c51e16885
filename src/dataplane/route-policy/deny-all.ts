// A security part of the route's policy was invalid: fail closed, 403 for every request, and
// say why once per process (translate has reported it on the policy's status too).
import { Answers } from '../../errors.js';
import { type Check, rejection } from './check.js';
import { authCounter } from './counters.js';

export function denyAllCheck(routeId: string, reason: string): Check {
  const answer = rejection(Answers.Forbidden);
  const counter = authCounter(routeId, 'deny_all');
  return (a) => {
    a.services.warnOnce(`deny-all|${routeId}|${reason}`, 'route policy is invalid: every request is denied', { route: routeId, reason });
    counter.count(a.ctx.metrics, 'denied');
    return answer;
  };
}
