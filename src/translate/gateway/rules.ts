// HTTPRoute rules (and GRPCRoute rules lowered to them, grpc-route.ts) → route templates (matches, filters, action) independent of the listener they
// attach through. What is wrong is collected in RouteProblems (problems.ts says which problem
// rejects the route and which only marks a backend). Matches, filters (filters/registry.ts),
// backendRefs, timeouts, retry and session persistence (the latter read like a
// BackendTrafficPolicy's, policy/session-persistence.ts) each have their own module; this one
// puts a rule together.
import type { HTTPBackendRef, RouteObject, HTTPRouteRule } from '../../api/gateway.js';
import type { CorsPolicy, HeaderModifier, Redirect, RetryPolicy, RouteTimeouts, SessionPersistence, SourceRef, UrlRewrite } from '../../table/types.js';
import type { ServiceRef } from '../clusters.js';
import { displayRef, isUnresolved, resolveBackendRef, type RuleInputs } from './backend-refs.js';
import type { Verdict } from './conditions.js';
import type { FilterContext, MirrorTemplate } from './filters/filter.js';
import { translateBackendFilters, translateRuleFilters } from './filters/registry.js';
import { checkHostname } from './hostnames.js';
import { compileMatches, type MatchTemplate } from './matches.js';
import { RouteProblems } from './problems.js';
import { compileTimeouts } from './timeouts.js';
import { compileRetry } from './retry.js';
import { Fields } from '../policy/fields.js';
import { readSessionPersistence } from '../policy/session-persistence.js';

export interface BackendTemplate {
  /** A resolvable Service port, or why the reference is invalid. */
  readonly ref: ServiceRef | Verdict;
  readonly display: string;
  readonly weight: number;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

export interface RuleTemplate {
  readonly index: number;
  readonly matches: readonly MatchTemplate[];
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly rewrite?: UrlRewrite;
  readonly redirect?: Redirect;
  readonly mirrors: readonly MirrorTemplate[];
  readonly cors?: CorsPolicy;
  readonly timeouts?: RouteTimeouts;
  readonly retry?: RetryPolicy;
  readonly sessionPersistence?: SessionPersistence;
  readonly backends: readonly BackendTemplate[];
}

export interface RouteTemplate {
  readonly route: RouteObject;
  readonly source: SourceRef;
  readonly namespace: string;
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleTemplate[];
  /** First unsupported value (Accepted=False/UnsupportedValue), if any. */
  readonly unsupported: Verdict | undefined;
  /** Reference problems, in rule order (ResolvedRefs=False with the first one's reason). */
  readonly refProblems: readonly Verdict[];
}

function compileBackend(b: HTTPBackendRef, context: FilterContext): BackendTemplate {
  const filters = translateBackendFilters(b.filters, context);
  const ref = resolveBackendRef(b, context.route, context.inputs);
  if (isUnresolved(ref)) context.problems.unresolvedRef(ref);
  return { ref, display: displayRef(b, context.route), weight: Math.max(0, b.weight ?? 1), ...filters };
}

function compileRule(route: RouteObject, rule: HTTPRouteRule, ri: number, inputs: RuleInputs, problems: RouteProblems): RuleTemplate {
  const where = `rules[${ri}]`;
  const matches = compileMatches(rule, where, problems);
  const context: FilterContext = { route, inputs, matches, where, problems };
  const filters = translateRuleFilters(rule.filters, context);
  if (filters.redirect && filters.rewrite) problems.unsupportedValue(`${where}: RequestRedirect and URLRewrite cannot be combined`);
  const backends = (rule.backendRefs ?? []).map((b, bi) => compileBackend(b, { ...context, where: `${where}.backendRefs[${bi}]` }));
  const timeouts = compileTimeouts(rule, where, problems);
  const retry = compileRetry(rule, where, problems);
  const sessionPersistence = readSessionPersistence(rule.sessionPersistence, new Fields(where, (m) => problems.unsupportedValue(m)));
  return {
    index: ri,
    matches,
    ...filters,
    ...(timeouts ? { timeouts } : {}),
    ...(retry ? { retry } : {}),
    ...(sessionPersistence ? { sessionPersistence } : {}),
    backends,
  };
}

export function compileRoute(route: RouteObject, source: SourceRef, inputs: RuleInputs): RouteTemplate {
  const problems = new RouteProblems();
  const hostnames: string[] = [];
  for (const h of route.spec?.hostnames ?? []) {
    const lower = h.toLowerCase();
    const bad = checkHostname(lower);
    if (bad) problems.unsupportedValue(`hostname ${JSON.stringify(h)} ${bad}`);
    else if (!hostnames.includes(lower)) hostnames.push(lower);
  }
  const given = route.spec?.rules;
  if (given !== undefined && !Array.isArray(given)) problems.unsupportedValue('spec.rules must be a list');
  // No rules: the CRD default, one rule matching every path (without backends: 500).
  const rules = (Array.isArray(given) && given.length > 0 ? given : [{}]).map((r, ri) => compileRule(route, r, ri, inputs, problems));
  return {
    route,
    source,
    namespace: route.metadata.namespace ?? 'default',
    hostnames,
    rules,
    unsupported: problems.unsupported,
    refProblems: problems.refs,
  };
}
