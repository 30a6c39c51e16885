import type { PathMatch, PathModifier } from '../table/types.js';

/**
 * Applies a Gateway API path modifier. ReplacePrefixMatch swaps the matched prefix for the new
 * one element-wise ("/foo" → "/bar" turns "/foo/x" into "/bar/x", and "/foo" into "/bar").
 */
export function modifyPath(path: string, modifier: PathModifier, matched: PathMatch): string {
  if (modifier.type === 'ReplaceFullPath') return modifier.value;
  if (matched.type !== 'Prefix') return modifier.value;
  const prefix = matched.value === '/' ? '' : matched.value;
  let rest = path.slice(prefix.length);
  const replacement = modifier.value === '/' ? '' : modifier.value.replace(/\/+$/, '');
  if (rest === '' || rest === '/') rest = rest === '/' && replacement === '' ? '/' : rest;
  const out = replacement + rest;
  return out === '' ? '/' : out.startsWith('/') ? out : `/${out}`;
}
