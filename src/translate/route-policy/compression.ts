// spec.compression → CompressionPolicy: the encodings in preference order, the smallest body
// worth compressing and the media types that are.
import type { CompressionPolicy, CompressionType } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { ROUTE_POLICY_DEFAULTS } from './defaults.js';
import { mediaTypeProblem } from './web.js';

export const COMPRESSION_TYPES: readonly CompressionType[] = ['zstd', 'br', 'gzip'];
export const MAX_CONTENT_TYPES = 32;
export const MAX_MIN_LENGTH = 2 ** 31 - 1;

export function readCompression(value: unknown, f: Fields): CompressionPolicy | undefined {
  const spec = f.object(value, 'compression');
  if (!spec) return undefined;
  const c = f.at('compression');
  const given = c.list(spec['types'], 'types', COMPRESSION_TYPES.length);
  const types: CompressionType[] = [];
  (given ?? []).forEach((t, i) => {
    const type = c.oneOf(t, `types[${i}]`, COMPRESSION_TYPES);
    if (type === undefined) return;
    if (types.includes(type)) return void c.problem(`types[${i}]`, `${type} is listed twice`);
    types.push(type);
  });
  if (given && given.length === 0) c.problem('types', 'must name at least one encoding (remove the block to compress nothing)');
  const minLength = c.integer(spec['minLength'], 'minLength', 0, MAX_MIN_LENGTH) ?? ROUTE_POLICY_DEFAULTS.compression.minLength;
  const listed = c.list(spec['contentTypes'], 'contentTypes', MAX_CONTENT_TYPES);
  const contentTypes = (listed ?? []).flatMap((t, i) => {
    const type = c.string(t, `contentTypes[${i}]`, mediaTypeProblem);
    return type === undefined ? [] : [type];
  });
  if (listed && listed.length === 0) c.problem('contentTypes', 'must name at least one media type');
  return {
    types: given ? types : ROUTE_POLICY_DEFAULTS.compression.types,
    minLength,
    contentTypes: listed ? [...new Set(contentTypes)] : ROUTE_POLICY_DEFAULTS.compression.contentTypes,
  };
}
