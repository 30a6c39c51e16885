// RequestHeaderModifier and ResponseHeaderModifier: set, add and remove, names lower-cased.
import type { HTTPHeaderFilter } from '../../../api/gateway.js';
import { invalidHeaderNames } from '../../../table/canonical.js';
import type { HeaderModifier } from '../../../table/types.js';
import { NO_EFFECT, type FilterContext, type FilterTranslator } from './filter.js';

function headerModifier(f: HTTPHeaderFilter | undefined, c: FilterContext): HeaderModifier | undefined {
  if (!f) {
    c.problems.unsupportedValue(`${c.where}: filter configuration is missing`);
    return undefined;
  }
  const lower = (h: { name: string; value: string }) => ({ name: h.name.toLowerCase(), value: h.value });
  const out: HeaderModifier = {
    ...(f.set?.length ? { set: f.set.map(lower) } : {}),
    ...(f.add?.length ? { add: f.add.map(lower) } : {}),
    ...(f.remove?.length ? { remove: f.remove.map((n) => n.toLowerCase()) } : {}),
  };
  const bad = invalidHeaderNames(out)[0];
  if (bad !== undefined) c.problems.unsupportedValue(`${c.where}: invalid header name ${JSON.stringify(bad)}`);
  return out;
}

export const requestHeaderModifier: FilterTranslator = (f, c) => {
  const requestHeaders = headerModifier(f.requestHeaderModifier, c);
  return requestHeaders ? { requestHeaders } : NO_EFFECT;
};

export const responseHeaderModifier: FilterTranslator = (f, c) => {
  const responseHeaders = headerModifier(f.responseHeaderModifier, c);
  return responseHeaders ? { responseHeaders } : NO_EFFECT;
};
