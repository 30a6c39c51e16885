// The contract of an HTTPRoute (and GRPCRoute) filter translator: one function per filter type (registry.ts
// maps the type to it). It reads its filter, reports what is wrong through the route's problems
// and returns what the filter adds to its rule or backendRef. A new filter type is a new module
// plus one registry entry; the table field it fills is added to FilterEffect.
import type { RouteObject, HTTPRouteFilter } from '../../../api/gateway.js';
import type { CorsPolicy, HeaderModifier, Redirect, UrlRewrite } from '../../../table/types.js';
import type { ServiceRef } from '../../clusters.js';
import type { RuleInputs } from '../backend-refs.js';
import type { Verdict } from '../conditions.js';
import type { MatchTemplate } from '../matches.js';
import type { RouteProblems } from '../problems.js';

export interface MirrorTemplate {
  /** A resolvable Service port, or why the reference is invalid (then nothing is mirrored). */
  readonly ref: ServiceRef | Verdict;
  readonly display: string;
  readonly percent: number;
}

export interface FilterContext {
  readonly route: RouteObject;
  readonly inputs: RuleInputs;
  /** The rule's matches: ReplacePrefixMatch needs every one of them to be a prefix. */
  readonly matches: readonly MatchTemplate[];
  /** Where the filter is, for messages: "rules[0].filters[1]". */
  readonly where: string;
  readonly problems: RouteProblems;
}

/** What one filter contributes; an invalid filter contributes nothing and reports why. */
export interface FilterEffect {
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly redirect?: Redirect;
  readonly rewrite?: UrlRewrite;
  readonly mirror?: MirrorTemplate;
  readonly cors?: CorsPolicy;
}

export type FilterTranslator = (filter: HTTPRouteFilter, context: FilterContext) => FilterEffect;

export const NO_EFFECT: FilterEffect = Object.freeze({});
