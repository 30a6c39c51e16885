// Gateway API path modifiers, compiled once per route: ReplaceFullPath, and ReplacePrefixMatch,
// which swaps the matched prefix for the new one element-wise ("/foo" → "/bar" turns "/foo/x"
// into "/bar/x", and "/foo" into "/bar"). Used by URL rewrites and redirects.
import { canonicalPrefix } from '../../table/canonical.js';
import type { PathMatch, PathModifier } from '../../table/types.js';

export type PathRewriter = (path: string) => string;

export function compilePathModifier(modifier: PathModifier, matched: PathMatch): PathRewriter {
  const value = modifier.value;
  if (modifier.type === 'ReplaceFullPath' || matched.type !== 'Prefix') return () => value;
  const prefixLength = matched.value === '/' ? 0 : matched.value.length;
  // "/" replaces with nothing; otherwise the replacement without its trailing slashes.
  const replacement = value === '/' ? '' : canonicalPrefix(value);
  return (path) => {
    const rest = path.slice(prefixLength);
    const out = replacement + rest;
    if (out === '') return '/';
    return out.charCodeAt(0) === 47 /* / */ ? out : `/${out}`;
  };
}
