// The routes of one host that share a path key, in precedence order, compiled for lookup.
// Routes whose only condition is an exact value of one header (tenants or canaries on the same
// path told apart by a header) are folded, when at least MIN_RUN in a row test the same header,
// into one step: the header is read once and a map from its value gives the first route of the
// run that wants it. Same answer as testing them one by one, in one lookup instead of N.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteMatch } from '../table/types.js';
import type { CompiledRoute, RequestFacts } from './router.js';

/** Shorter runs are tested one by one: a few comparisons cost less than the header read and map lookup. */
const MIN_RUN = 4;

/** One route to test, or a run of routes keyed by one header's value (same shape either way, so the walk stays monomorphic). */
interface Step {
  readonly route: CompiledRoute | undefined;
  readonly header: string;
  readonly byValue: ReadonlyMap<string, CompiledRoute> | undefined;
}

export type RouteList = readonly Step[];

/** A header's value as matches see it: repeated headers joined with ",". */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The header name and value of a match that tests nothing else but its path, or undefined. */
function soleExactHeader(m: RouteMatch): { readonly name: string; readonly value: string } | undefined {
  if (m.method !== undefined || (m.queryParams?.length ?? 0) > 0 || m.headers?.length !== 1) return undefined;
  const h = m.headers[0]!;
  return h.type === 'Exact' ? h : undefined;
}

export function compileRouteList(routes: readonly CompiledRoute[]): RouteList {
  const sole = routes.map((r) => soleExactHeader(r.route.match));
  const steps: Step[] = [];
  for (let i = 0; i < routes.length; ) {
    const first = sole[i];
    let end = i + 1;
    if (first) while (end < routes.length && sole[end]?.name === first.name) end++;
    if (first && end - i >= MIN_RUN) {
      const byValue = new Map<string, CompiledRoute>();
      for (let k = i; k < end; k++) {
        // The first route with a value wins, as it would when tested in order.
        if (!byValue.has(sole[k]!.value)) byValue.set(sole[k]!.value, routes[k]!);
      }
      steps.push({ route: undefined, header: first.name, byValue });
      i = end;
    } else {
      steps.push({ route: routes[i]!, header: '', byValue: undefined });
      i++;
    }
  }
  return steps;
}

/** The first route of the list whose conditions pass. */
export function firstPassing(list: RouteList | undefined, req: RequestFacts): CompiledRoute | undefined {
  if (!list) return undefined;
  for (const step of list) {
    const c = step.route;
    if (c !== undefined) {
      if (!c.check || c.check(req)) return c;
      continue;
    }
    const value = headerValue(req.headers, step.header);
    const hit = value === undefined ? undefined : step.byValue!.get(value);
    if (hit) return hit;
  }
  return undefined;
}
