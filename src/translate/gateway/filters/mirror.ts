// RequestMirror: a copy of the request to another Service, for a percentage of requests. An
// unresolvable target is a reference problem (ResolvedRefs=False), not a reason to reject.
import type { HTTPRequestMirrorFilter } from '../../../api/gateway.js';
import { displayRef, isUnresolved, resolveBackendRef } from '../backend-refs.js';
import { NO_EFFECT, type FilterTranslator } from './filter.js';

/** `percent`, else `fraction` (denominator 100 by default), else every request; within 0-100. */
function mirrorPercent(f: HTTPRequestMirrorFilter): number {
  if (f.percent !== undefined) return Math.min(100, Math.max(0, f.percent));
  if (f.fraction) {
    const d = f.fraction.denominator ?? 100;
    return d > 0 ? Math.min(100, Math.max(0, (f.fraction.numerator / d) * 100)) : 0;
  }
  return 100;
}

export const requestMirror: FilterTranslator = (f, c) => {
  const m = f.requestMirror;
  if (!m) {
    c.problems.unsupportedValue(`${c.where}: requestMirror is missing`);
    return NO_EFFECT;
  }
  const ref = resolveBackendRef(m.backendRef, c.route, c.inputs);
  if (isUnresolved(ref)) c.problems.unresolvedRef(ref);
  return { mirror: { ref, display: displayRef(m.backendRef, c.route), percent: mirrorPercent(m) } };
};
