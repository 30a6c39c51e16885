// What is wrong with one HTTPRoute, collected while its rules compile. The two kinds follow the
// spec's HTTPRoute conditions: an unsupported value rejects the whole route
// (Accepted=False/UnsupportedValue, the first one found is reported); an unresolved reference
// keeps the route and makes the affected backend answer 500 (ResolvedRefs=False).
import { problem, type Verdict } from './conditions.js';

export class RouteProblems {
  unsupported: Verdict | undefined;
  readonly refs: Verdict[] = [];

  unsupportedValue(message: string): void {
    this.unsupported ??= problem('UnsupportedValue', message);
  }

  unresolvedRef(verdict: Verdict): void {
    this.refs.push(verdict);
  }
}
