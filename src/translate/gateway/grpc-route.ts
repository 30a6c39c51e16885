// GRPCRoute → the HTTPRoute form the one route translator compiles (rules.ts, attach.ts, the
// emitter and statuses in gateway.ts), so GRPCRoutes get every piece HTTPRoutes have: header
// matches, filters, weights, hostnames, attachment and ResolvedRefs. A gRPC call is a POST to
// "/<service>/<method>", so a method match is a path match:
//
//   Exact service + method        → path Exact "/svc/Method"
//   Exact service only            → path PathPrefix "/svc" (every method of the service)
//   Exact method only             → path RegularExpression "/[^/]+/Method"
//   RegularExpression             → path RegularExpression "/(svc)/(method)", a missing side "[^/]+"
//
// Regular expressions go through the project's linear-time engine like every other pattern.
// What GRPCRoute has no place for (redirects, rewrites, timeouts, retries) is refused with the
// same UnsupportedValue a malformed HTTPRoute gets.
import { regexProblem } from '../../util/linear-regex.js';
import type { GRPCBackendRef, GRPCMethodMatch, GRPCRoute, GRPCRouteFilter, GRPCRouteMatch, HTTPPathMatch, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, RouteObject } from '../../api/gateway.js';

/** Filter types GRPCRoute allows (the CRD's enum); others are passed on for the translator to refuse. */
const GRPC_FILTERS = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']);

/** The id prefix of every table route of one GRPCRoute rule ("grpcroute/ns/name/r0/"). */
export function grpcRouteRulePrefix(namespace: string, name: string, ruleIndex: number): string {
  return `grpcroute/${namespace}/${name}/r${ruleIndex}/`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A method match as a path match; undefined: every path (no method given). */
export function methodPath(m: GRPCMethodMatch | undefined, problems: string[], where: string): HTTPPathMatch | undefined {
  if (!m || (m.service === undefined && m.method === undefined)) return undefined;
  const type = m.type ?? 'Exact';
  if (type === 'Exact') {
    for (const [field, value] of [['service', m.service], ['method', m.method]] as const) {
      if (value !== undefined && (value === '' || value.includes('/'))) problems.push(`${where}.method.${field}: ${JSON.stringify(value)} is not a gRPC ${field} name`);
    }
    if (m.service !== undefined && m.method !== undefined) return { type: 'Exact', value: `/${m.service}/${m.method}` };
    if (m.service !== undefined) return { type: 'PathPrefix', value: `/${m.service}` };
    return { type: 'RegularExpression', value: `/[^/]+/${escapeRegex(m.method!)}` };
  }
  if (type === 'RegularExpression') {
    // Each side must be a pattern on its own: "a)|(b" would change the meaning of the whole.
    for (const [field, value] of [['service', m.service], ['method', m.method]] as const) {
      const bad = value === undefined ? undefined : regexProblem(value);
      if (bad !== undefined) problems.push(`${where}.method.${field}: ${JSON.stringify(value)} is not a regular expression Sluice supports: ${bad}`);
    }
    return { type: 'RegularExpression', value: `/(?:${m.service ?? '[^/]+'})/(?:${m.method ?? '[^/]+'})` };
  }
  problems.push(`${where}.method: match type ${type} is not supported`);
  return undefined;
}

function lowerMatch(m: GRPCRouteMatch, problems: string[], where: string): HTTPRouteMatch {
  const path = methodPath(m.method, problems, where);
  return { ...(path ? { path } : {}), ...(m.headers ? { headers: m.headers } : {}) };
}

function lowerFilters(filters: readonly GRPCRouteFilter[] | undefined, problems: string[], where: string): readonly HTTPRouteFilter[] | undefined {
  if (!filters) return undefined;
  filters.forEach((f, fi) => {
    if (!GRPC_FILTERS.has(f.type)) problems.push(`${where}.filters[${fi}]: filter type ${f.type} is not a GRPCRoute filter`);
  });
  return filters;
}

/** Fields of an HTTPRoute rule a GRPCRoute rule must not carry (a file-mode manifest may). */
const HTTP_ONLY_RULE_FIELDS = ['timeouts', 'retry'] as const;

export interface LoweredRoute {
  readonly route: RouteObject;
  /** What the GRPCRoute says that has no HTTPRoute form (UnsupportedValue). */
  readonly problems: readonly string[];
}

export function lowerGrpcRoute(route: GRPCRoute): LoweredRoute {
  const problems: string[] = [];
  const given = route.spec?.rules;
  const rules: HTTPRouteRule[] | undefined = Array.isArray(given)
    ? given.map((r, ri) => {
        const where = `rules[${ri}]`;
        for (const field of HTTP_ONLY_RULE_FIELDS) if (field in r) problems.push(`${where}.${field}: not a GRPCRoute field`);
        const filters = lowerFilters(r.filters, problems, where);
        return {
          ...(r.name !== undefined ? { name: r.name } : {}),
          ...(r.matches ? { matches: r.matches.map((m: GRPCRouteMatch, mi: number) => lowerMatch(m, problems, `${where}.matches[${mi}]`)) } : {}),
          ...(filters ? { filters } : {}),
          ...(r.backendRefs ? { backendRefs: r.backendRefs.map((b: GRPCBackendRef) => ({ ...b, ...(b.filters ? { filters: lowerFilters(b.filters, problems, where)! } : {}) })) } : {}),
          ...(r.sessionPersistence ? { sessionPersistence: r.sessionPersistence } : {}),
        };
      })
    : (given as undefined);
  const spec = route.spec ? { ...route.spec, ...(rules ? { rules } : {}) } : undefined;
  return { route: { ...route, kind: 'GRPCRoute', ...(spec ? { spec } : {}) } as RouteObject, problems };
}
