// The compiled matcher for one listener. Built once per table (never per request): hosts go into
// an exact-name map and a wildcard-suffix map; each host's routes into an exact-path map, an
// element-wise prefix map and a regex list, each list in precedence order. A lookup walks
// these structures and returns the best-ranked route whose extra conditions also pass. Routes of
// one path told apart by one header's exact value are looked up by that value (route-list.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { fail } from '../errors.js';
import type { Listener, Route, RouteMatch, StringMatch, VirtualHost } from '../table/types.js';
import { compileWholeMatch, type WholeMatcher } from '../util/linear-regex.js';
import type { RouteRuntime } from './compiled.js';
import { compileRouteList, firstPassing, headerValue, type RouteList } from './route-list.js';

export interface RequestFacts {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without "?" ('' when none). */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
}

type Check = (req: RequestFacts) => boolean;

// The query string is parsed only when a query-parameter match asks, and at most once per
// lookup. Matching is synchronous, so one module-level slot serves without a closure per request.
let queryFor: RequestFacts | undefined;
let parsedQuery: URLSearchParams | undefined;

function queryOf(req: RequestFacts): URLSearchParams {
  if (queryFor !== req || !parsedQuery) {
    queryFor = req;
    parsedQuery = new URLSearchParams(req.query);
  }
  return parsedQuery;
}

export interface CompiledRoute {
  readonly route: Route;
  /** Position in the host's precedence order; lower wins. */
  readonly rank: number;
  /** Extra conditions beyond the path (headers, query, method); undefined when none. */
  readonly check: Check | undefined;
  /** The route's runtime, cached here by CompiledTable.runtimeOf (one lookup per route, not per request). */
  runtime: RouteRuntime | undefined;
}

interface CompiledHost {
  readonly exact: ReadonlyMap<string, RouteList>;
  readonly prefix: ReadonlyMap<string, RouteList>;
  /** Lengths of the prefixes in `prefix`: the walk slices the path only at these lengths. */
  readonly prefixLengths: ReadonlySet<number>;
  readonly regex: readonly (CompiledRoute & { readonly re: WholeMatcher })[];
}

/** validate() rejected unsupported patterns before publish; reaching the throw is a bug, not bad input. */
function wholeMatcher(source: string): WholeMatcher {
  const c = compileWholeMatch(source);
  if (!c.ok) throw fail('TableInvalid', `regular expression ${JSON.stringify(source)}: ${c.reason}`);
  return c.matcher;
}

function stringCheck(m: StringMatch, get: (req: RequestFacts) => string | undefined): Check {
  if (m.type === 'Exact') {
    const want = m.value;
    return (req) => get(req) === want;
  }
  const re = wholeMatcher(m.value);
  return (req) => {
    const v = get(req);
    return v !== undefined && re.test(v);
  };
}

function compileChecks(match: RouteMatch): Check | undefined {
  const checks: Check[] = [];
  if (match.method) {
    const method = match.method;
    checks.push((req) => req.method === method);
  }
  for (const h of match.headers ?? []) {
    const name = h.name;
    checks.push(stringCheck(h, (req) => headerValue(req.headers, name)));
  }
  for (const qp of match.queryParams ?? []) {
    const name = qp.name;
    checks.push(stringCheck(qp, (req) => queryOf(req).get(name) ?? undefined));
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (req) => {
    for (const c of checks) if (!c(req)) return false;
    return true;
  };
}

function compileHost(routes: readonly Route[]): CompiledHost {
  const exact = new Map<string, CompiledRoute[]>();
  const prefix = new Map<string, CompiledRoute[]>();
  const regex: (CompiledRoute & { re: WholeMatcher })[] = [];
  routes.forEach((route, rank) => {
    const c: CompiledRoute = { route, rank, check: compileChecks(route.match), runtime: undefined };
    const p = route.match.path;
    if (p.type === 'RegularExpression') return regex.push({ ...c, re: wholeMatcher(p.value) });
    const map = p.type === 'Exact' ? exact : prefix;
    let list = map.get(p.value);
    if (!list) map.set(p.value, (list = []));
    list.push(c);
  });
  const prefixLengths = new Set<number>();
  for (const key of prefix.keys()) prefixLengths.add(key.length);
  const lists = (m: Map<string, CompiledRoute[]>) => new Map([...m].map(([key, list]) => [key, compileRouteList(list)] as const));
  return { exact: lists(exact), prefix: lists(prefix), prefixLengths, regex };
}

function better(a: CompiledRoute | undefined, b: CompiledRoute | undefined): CompiledRoute | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.rank <= b.rank ? a : b;
}

function matchHost(host: CompiledHost, req: RequestFacts): CompiledRoute | undefined {
  const path = req.path;
  let best = firstPassing(host.exact.get(path), req);
  if (host.prefix.size > 0) {
    // Element-wise prefix walk, longest first: "/a/b/c", "/a/b", "/a", then "/". Levels no
    // prefix has the length of are skipped without slicing the path.
    const lengths = host.prefixLengths;
    let end = path.length;
    if (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
    for (;;) {
      const length = end === 0 ? 1 : end;
      if (lengths.has(length)) {
        const key = end === path.length ? path : end === 0 ? '/' : path.slice(0, end);
        const hit = firstPassing(host.prefix.get(key), req);
        if (hit) {
          best = better(best, hit);
          break;
        }
      }
      if (end <= 1) break;
      end = path.lastIndexOf('/', end - 1);
    }
  }
  for (const r of host.regex) {
    if (best && best.rank < r.rank) break;
    if (r.re.test(path) && (!r.check || r.check(req))) {
      best = better(best, r);
      break;
    }
  }
  queryFor = undefined;
  parsedQuery = undefined;
  return best;
}

/** Lower-cases a Host header and strips its port and a trailing dot. */
export function normalizeHost(raw: string | undefined): string {
  if (!raw) return '';
  let end = raw.length;
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']');
    end = close === -1 ? raw.length : close + 1;
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && raw.charCodeAt(end - 1) === 46 /* . */) end--;
  const host = end === raw.length ? raw : raw.slice(0, end);
  return host.toLowerCase();
}

const HOST_CACHE_LIMIT = 4096;

export class ListenerRouter {
  readonly listener: Listener;
  private readonly exact = new Map<string, CompiledHost>();
  /** Wildcard suffix ".example.com" → host; 'one' = exactly one extra label, 'many' = one or more. */
  private readonly wildcardOne = new Map<string, CompiledHost>();
  private readonly wildcardMany = new Map<string, CompiledHost>();
  private readonly any: CompiledHost | undefined;
  private readonly fallback: CompiledRoute | undefined;
  /** Raw Host header (with port, upper case, or a wildcard match) → resolved host. */
  private readonly hostCache = new Map<string, CompiledHost | null>();

  constructor(listener: Listener) {
    this.listener = listener;
    let any: CompiledHost | undefined;
    for (const vh of listener.virtualHosts) {
      const compiled = compileHost(vh.routes);
      if (vh.hostname === '*') any = compiled;
      else if (vh.hostname.startsWith('*.')) (wildcardMode(vh) === 'one' ? this.wildcardOne : this.wildcardMany).set(vh.hostname.slice(1), compiled);
      else this.exact.set(vh.hostname, compiled);
    }
    this.any = any;
    this.fallback = listener.fallback ? { route: listener.fallback, rank: Number.MAX_SAFE_INTEGER, check: undefined, runtime: undefined } : undefined;
  }

  /** The route serving this request, or undefined (404). */
  match(rawHost: string | undefined, req: RequestFacts): Route | undefined {
    return this.matchCompiled(rawHost, req)?.route;
  }

  /** The compiled entry of the route serving this request (CompiledTable.runtimeOf takes it). */
  matchCompiled(rawHost: string | undefined, req: RequestFacts): CompiledRoute | undefined {
    const host = this.resolveHost(rawHost ?? '');
    const hit = host ? matchHost(host, req) : undefined;
    return hit ?? this.fallback;
  }

  private resolveHost(rawHost: string): CompiledHost | undefined {
    // Most Host headers are already a bare lower-case name: one map lookup, no cache churn
    // (with many distinct hosts, a bounded cache would thrash).
    const direct = this.exact.get(rawHost);
    if (direct) return direct;
    const cached = this.hostCache.get(rawHost);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.lookupHost(normalizeHost(rawHost));
    if (this.hostCache.size >= HOST_CACHE_LIMIT) this.hostCache.clear();
    this.hostCache.set(rawHost, found ?? null);
    return found;
  }

  private lookupHost(host: string): CompiledHost | undefined {
    const exact = this.exact.get(host);
    if (exact) return exact;
    // Longest wildcard suffix first: for "a.b.example.com" try ".b.example.com", then ".example.com".
    let dot = host.indexOf('.');
    let first = true;
    while (dot !== -1 && dot < host.length - 1) {
      const suffix = host.slice(dot);
      const hit = (first ? this.wildcardOne.get(suffix) : undefined) ?? this.wildcardMany.get(suffix);
      if (hit) return hit;
      first = false;
      dot = host.indexOf('.', dot + 1);
    }
    return this.any;
  }
}

function wildcardMode(vh: VirtualHost): 'one' | 'many' {
  return vh.wildcardLabels ?? 'one';
}
