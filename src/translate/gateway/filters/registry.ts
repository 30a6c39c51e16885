// Filter type → translator, for the filters of a rule and for those of a backendRef, and the
// one place that folds a filter list into what the rule (or backendRef) carries.
import type { HTTPRouteFilter } from '../../../api/gateway.js';
import type { CorsPolicy, HeaderModifier, Redirect, UrlRewrite } from '../../../table/types.js';
import { corsFilter } from './cors.js';
import { NO_EFFECT, type FilterContext, type FilterEffect, type FilterTranslator, type MirrorTemplate } from './filter.js';
import { requestHeaderModifier, responseHeaderModifier } from './headers.js';
import { requestMirror } from './mirror.js';
import { requestRedirect } from './redirect.js';
import { urlRewrite } from './rewrite.js';

interface FilterRegistry {
  readonly translators: ReadonlyMap<string, FilterTranslator>;
  /** For a type without a translator here (ExtensionRef, anything unknown; CORS on a backendRef). */
  readonly unsupported: FilterTranslator;
}

const RULE_FILTERS: FilterRegistry = {
  translators: new Map([
    ['RequestHeaderModifier', requestHeaderModifier],
    ['ResponseHeaderModifier', responseHeaderModifier],
    ['RequestRedirect', requestRedirect],
    ['URLRewrite', urlRewrite],
    ['RequestMirror', requestMirror],
    ['CORS', corsFilter],
  ]),
  unsupported: (f, c) => {
    c.problems.unsupportedValue(`${c.where}: filter type ${f.type} is not supported`);
    return NO_EFFECT;
  },
};

const BACKEND_FILTERS: FilterRegistry = {
  translators: new Map([
    ['RequestHeaderModifier', requestHeaderModifier],
    ['ResponseHeaderModifier', responseHeaderModifier],
  ]),
  unsupported: (f, c) => {
    c.problems.unsupportedValue(`${c.where}: filter type ${f.type} is not supported on a backendRef`);
    return NO_EFFECT;
  },
};

export interface BackendFilters {
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

export interface RuleFilters extends BackendFilters {
  readonly redirect?: Redirect;
  readonly rewrite?: UrlRewrite;
  readonly mirrors: readonly MirrorTemplate[];
  readonly cors?: CorsPolicy;
}

/** Each filter's translation; `context.where` names the list's owner, the position is appended. */
function effects(filters: readonly HTTPRouteFilter[] | undefined, registry: FilterRegistry, context: FilterContext): FilterEffect[] {
  return (filters ?? []).map((f, fi) => {
    const translate = registry.translators.get(f.type) ?? registry.unsupported;
    return translate(f, { ...context, where: `${context.where}.filters[${fi}]` });
  });
}

/**
 * A later effect replaces an earlier one on the same field (the CRD allows each of these types
 * once per list; a manifest that never met it gets the last one); mirrors add up.
 */
function fold(list: readonly FilterEffect[]): RuleFilters {
  const { requestHeaders, responseHeaders, redirect, rewrite, cors }: FilterEffect = Object.assign({}, ...list);
  return {
    ...(requestHeaders ? { requestHeaders } : {}),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(redirect ? { redirect } : {}),
    ...(rewrite ? { rewrite } : {}),
    ...(cors ? { cors } : {}),
    mirrors: list.flatMap((e) => (e.mirror ? [e.mirror] : [])),
  };
}

export function translateRuleFilters(filters: readonly HTTPRouteFilter[] | undefined, context: FilterContext): RuleFilters {
  return fold(effects(filters, RULE_FILTERS, context));
}

export function translateBackendFilters(filters: readonly HTTPRouteFilter[] | undefined, context: FilterContext): BackendFilters {
  const { requestHeaders, responseHeaders } = fold(effects(filters, BACKEND_FILTERS, context));
  return { ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) };
}
