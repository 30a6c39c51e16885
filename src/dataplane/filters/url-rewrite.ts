// URLRewrite: the path (ReplaceFullPath / ReplacePrefixMatch, query kept) and the Host header
// sent upstream.
import type { Route } from '../../table/types.js';
import type { RouteFilter } from './filter.js';
import { compilePathModifier } from './path-modifier.js';

export function urlRewriteFilter(route: Route): RouteFilter | undefined {
  const rewrite = route.rewrite;
  if (!rewrite?.path && !rewrite?.hostname) return undefined;
  const path = rewrite.path ? compilePathModifier(rewrite.path, route.match.path) : undefined;
  const hostname = rewrite.hostname;
  return {
    rewrite(target, facts) {
      if (path) target.path = facts.query ? `${path(facts.path)}?${facts.query}` : path(facts.path);
      if (hostname !== undefined) target.host = hostname;
    },
  };
}
