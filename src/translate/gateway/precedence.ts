// HTTPRoute match precedence within one hostname, in the order the spec gives it:
//   1. path: Exact, then (implementation-specific) RegularExpression, then PathPrefix; within
//      a type, the longer value first;
//   2. a method match before none;  3. more header matches;  4. more query param matches;
//   5. the oldest Route (creationTimestamp);  6. namespace/name alphabetically;
//   7. within a Route, the first rule (then the first match) in list order.
import type { RouteMatch } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';

export interface PrecedenceKey {
  readonly match: RouteMatch;
  /** "creationTimestamp|namespace/name" (a missing timestamp sorts last). */
  readonly routeAge: string;
  readonly ruleIndex: number;
  readonly matchIndex: number;
}

/** "creationTimestamp|namespace/name" of a route of any kind: the oldest route wins conflicts. */
export function routeAge(r: { readonly metadata: { readonly creationTimestamp?: string; readonly namespace?: string; readonly name: string } }): string {
  return `${r.metadata.creationTimestamp ?? '9999'}|${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

const PATH_RANK = { Exact: 0, RegularExpression: 1, Prefix: 2 } as const;

export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  const pa = a.match.path;
  const pb = b.match.path;
  return (
    PATH_RANK[pa.type] - PATH_RANK[pb.type] ||
    pb.value.length - pa.value.length ||
    Number(b.match.method !== undefined) - Number(a.match.method !== undefined) ||
    (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0) ||
    (b.match.queryParams?.length ?? 0) - (a.match.queryParams?.length ?? 0) ||
    compareStrings(a.routeAge, b.routeAge) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}
