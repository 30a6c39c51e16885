// RequestHeaderModifier / ResponseHeaderModifier (set, add, remove) as filters. Names are
// lower-cased by translate; what can be precomputed (which names to drop, what to append) is.
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderModifier } from '../../table/types.js';
import type { RouteFilter } from './filter.js';

function isEmpty(m: HeaderModifier | undefined): m is undefined {
  return !m || (!m.set?.length && !m.add?.length && !m.remove?.length);
}

/** Edits a flat [name, value, ...] request header list. */
export function requestHeaderFilter(m: HeaderModifier | undefined): RouteFilter | undefined {
  if (isEmpty(m)) return undefined;
  const drop = new Set([...(m.remove ?? []), ...(m.set ?? []).map((h) => h.name)]);
  const append: string[] = [];
  for (const h of m.set ?? []) append.push(h.name, h.value);
  const add = m.add ?? [];
  return {
    requestHeaders(headers) {
      const out: string[] = [];
      for (let i = 0; i < headers.length; i += 2) {
        const name = headers[i]!;
        if (!drop.has(name)) out.push(name, headers[i + 1]!);
      }
      for (const h of add) {
        // Gateway API "add" appends to an existing value with a comma.
        const at = out.indexOf(h.name);
        if (at !== -1 && at % 2 === 0) out[at + 1] = `${out[at + 1]},${h.value}`;
        else out.push(h.name, h.value);
      }
      for (let i = 0; i < append.length; i++) out.push(append[i]!);
      return out;
    },
  };
}

/** Edits a response header object in place. */
export function responseHeaderFilter(m: HeaderModifier | undefined): RouteFilter | undefined {
  if (isEmpty(m)) return undefined;
  const remove = m.remove ?? [];
  const set = m.set ?? [];
  const add = m.add ?? [];
  return {
    responseHeaders(headers: IncomingHttpHeaders) {
      for (const name of remove) delete headers[name];
      for (const h of set) headers[h.name] = h.value;
      for (const h of add) {
        const prev = headers[h.name];
        headers[h.name] = prev === undefined ? h.value : `${Array.isArray(prev) ? prev.join(',') : prev},${h.value}`;
      }
    },
  };
}
