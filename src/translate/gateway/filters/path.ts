// The path part of RequestRedirect and URLRewrite: ReplaceFullPath or ReplacePrefixMatch.
import type { HTTPPathModifier } from '../../../api/gateway.js';
import type { PathModifier } from '../../../table/types.js';
import type { FilterContext } from './filter.js';

export function pathModifier(m: HTTPPathModifier | undefined, c: FilterContext): PathModifier | undefined {
  if (!m) return undefined;
  if (m.type === 'ReplaceFullPath' && m.replaceFullPath !== undefined) return { type: 'ReplaceFullPath', value: m.replaceFullPath };
  if (m.type === 'ReplacePrefixMatch' && m.replacePrefixMatch !== undefined) {
    if (c.matches.some((x) => x.match.path.type !== 'Prefix')) {
      c.problems.unsupportedValue(`${c.where}: ReplacePrefixMatch needs PathPrefix matches`);
      return undefined;
    }
    return { type: 'ReplacePrefixMatch', value: m.replacePrefixMatch };
  }
  c.problems.unsupportedValue(`${c.where}: path modifier type ${JSON.stringify(m.type)} without its value`);
  return undefined;
}
