// HTTPRoute rule matches → table matches (path, headers, query parameters, method).
import type { HTTPRouteMatch, HTTPRouteRule } from '../../api/gateway.js';
import { canonicalPrefix } from '../../table/canonical.js';
import type { RouteMatch, StringMatch } from '../../table/types.js';
import { regexProblem } from '../../util/linear-regex.js';
import type { RouteProblems } from './problems.js';

export interface MatchTemplate {
  readonly match: RouteMatch;
  /** Precedence keys within the host (see precedence.ts). */
  readonly index: number;
}

/** A rule's matches; a rule without any matches every path (the CRD default). */
export function compileMatches(rule: HTTPRouteRule, where: string, p: RouteProblems): MatchTemplate[] {
  const list = rule.matches?.length ? rule.matches : [{}];
  const out: MatchTemplate[] = [];
  list.forEach((m, mi) => {
    const match = compileMatch(m, `${where}.matches[${mi}]`, p);
    if (match) out.push({ match, index: mi });
  });
  return out;
}

function checkRegex(value: string, where: string, p: RouteProblems): void {
  const reason = regexProblem(value);
  if (reason !== undefined) p.unsupportedValue(`${where}: ${JSON.stringify(value)} is not a regular expression Sluice supports: ${reason}`);
}

function nameValueMatches(
  list: readonly { type?: string; name: string; value: string }[] | undefined,
  lowerNames: boolean,
  where: string,
  p: RouteProblems,
): StringMatch[] | undefined {
  if (!list?.length) return undefined;
  const out: StringMatch[] = [];
  const seen = new Set<string>();
  for (const m of list) {
    const name = lowerNames ? m.name.toLowerCase() : m.name;
    if (seen.has(name)) continue; // the spec: the first entry with a name wins
    seen.add(name);
    const type = m.type ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression') {
      p.unsupportedValue(`${where}: match type ${type} is not supported`);
      continue;
    }
    if (type === 'RegularExpression') checkRegex(m.value, where, p);
    out.push({ type, name, value: m.value });
  }
  return out;
}

function compileMatch(m: HTTPRouteMatch, where: string, p: RouteProblems): RouteMatch | undefined {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  let path: RouteMatch['path'];
  if (type === 'RegularExpression') {
    checkRegex(value, where, p);
    path = { type: 'RegularExpression', value };
  } else if (type === 'Exact' || type === 'PathPrefix') {
    if (!value.startsWith('/')) {
      p.unsupportedValue(`${where}: path ${JSON.stringify(value)} must start with "/"`);
      return undefined;
    }
    path = type === 'Exact' ? { type: 'Exact', value } : { type: 'Prefix', value: canonicalPrefix(value) };
  } else {
    p.unsupportedValue(`${where}: path match type ${type} is not supported`);
    return undefined;
  }
  const headers = nameValueMatches(m.headers, true, where, p);
  const queryParams = nameValueMatches(m.queryParams, false, where, p);
  return { path, ...(headers ? { headers } : {}), ...(queryParams ? { queryParams } : {}), ...(m.method ? { method: m.method } : {}) };
}
