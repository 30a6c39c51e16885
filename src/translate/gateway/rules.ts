// HTTPRoute rules → route templates (matches, filters, action) independent of the listener they
// attach through. Problems are of two kinds, as the spec's HTTPRoute conditions are:
// "unsupported" values reject the whole route (Accepted=False/UnsupportedValue); unresolved
// references (ResolvedRefs=False) keep the route and make the affected backends answer 500.
import type { Service } from '../../api/core.js';
import type {
  BackendObjectReference,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
} from '../../api/gateway.js';
import { GATEWAY_GROUP } from '../../api/gateway.js';
import { parseDuration } from '../../config/duration.js';
import { regexProblem } from '../../util/linear-regex.js';
import type {
  HeaderModifier,
  PathModifier,
  Redirect,
  RouteMatch,
  RouteTimeouts,
  SourceRef,
  StringMatch,
  UrlRewrite,
} from '../../table/types.js';
import type { ServiceRef } from '../clusters.js';
import { problem, type Verdict } from './conditions.js';
import { checkHostname } from './hostnames.js';
import type { ReferenceGrants } from './references.js';

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Backend protocols Sluice cannot speak to (it proxies HTTP/1.1 without upgrades). */
const UNSUPPORTED_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss']);

export interface BackendTemplate {
  /** A resolvable Service port, or why the reference is invalid. */
  readonly ref: ServiceRef | Verdict;
  readonly display: string;
  readonly weight: number;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

export interface MatchTemplate {
  readonly match: RouteMatch;
  /** Precedence keys within the host (see precedence.ts). */
  readonly index: number;
}

export interface RuleTemplate {
  readonly index: number;
  readonly matches: readonly MatchTemplate[];
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly rewrite?: UrlRewrite;
  readonly redirect?: Redirect;
  readonly mirrors: readonly { readonly ref: ServiceRef | Verdict; readonly display: string; readonly percent: number }[];
  readonly timeouts?: RouteTimeouts;
  readonly backends: readonly BackendTemplate[];
}

export interface RouteTemplate {
  readonly route: HTTPRoute;
  readonly source: SourceRef;
  readonly namespace: string;
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleTemplate[];
  /** First unsupported value (Accepted=False/UnsupportedValue), if any. */
  readonly unsupported: Verdict | undefined;
  /** Reference problems, in rule order (ResolvedRefs=False with the first one's reason). */
  readonly refProblems: readonly Verdict[];
}

export interface RuleInputs {
  readonly services: ReadonlyMap<string, Service>;
  readonly grants: ReferenceGrants;
}

class Problems {
  unsupported: Verdict | undefined;
  readonly refs: Verdict[] = [];
  unsupportedValue(message: string): void {
    this.unsupported ??= problem('UnsupportedValue', message);
  }
}

function headerModifier(f: HTTPHeaderFilter | undefined, where: string, p: Problems): HeaderModifier | undefined {
  if (!f) {
    p.unsupportedValue(`${where}: filter configuration is missing`);
    return undefined;
  }
  const lower = (h: { name: string; value: string }) => ({ name: h.name.toLowerCase(), value: h.value });
  const out: HeaderModifier = {
    ...(f.set?.length ? { set: f.set.map(lower) } : {}),
    ...(f.add?.length ? { add: f.add.map(lower) } : {}),
    ...(f.remove?.length ? { remove: f.remove.map((n) => n.toLowerCase()) } : {}),
  };
  const names = [...(out.set ?? []).map((h) => h.name), ...(out.add ?? []).map((h) => h.name), ...(out.remove ?? [])];
  const bad = names.find((n) => !HEADER_NAME.test(n));
  if (bad !== undefined) p.unsupportedValue(`${where}: invalid header name ${JSON.stringify(bad)}`);
  return out;
}

function pathModifier(m: HTTPPathModifier | undefined, matches: readonly MatchTemplate[], where: string, p: Problems): PathModifier | undefined {
  if (!m) return undefined;
  if (m.type === 'ReplaceFullPath' && m.replaceFullPath !== undefined) return { type: 'ReplaceFullPath', value: m.replaceFullPath };
  if (m.type === 'ReplacePrefixMatch' && m.replacePrefixMatch !== undefined) {
    if (matches.some((x) => x.match.path.type !== 'Prefix')) {
      p.unsupportedValue(`${where}: ReplacePrefixMatch needs PathPrefix matches`);
      return undefined;
    }
    return { type: 'ReplacePrefixMatch', value: m.replacePrefixMatch };
  }
  p.unsupportedValue(`${where}: path modifier type ${JSON.stringify(m.type)} without its value`);
  return undefined;
}

function checkRegex(value: string, where: string, p: Problems): void {
  const reason = regexProblem(value);
  if (reason !== undefined) p.unsupportedValue(`${where}: ${JSON.stringify(value)} is not a regular expression Sluice supports: ${reason}`);
}

function nameValueMatches(
  list: readonly { type?: string; name: string; value: string }[] | undefined,
  lowerNames: boolean,
  where: string,
  p: Problems,
): StringMatch[] | undefined {
  if (!list?.length) return undefined;
  const out: StringMatch[] = [];
  const seen = new Set<string>();
  for (const m of list) {
    const name = lowerNames ? m.name.toLowerCase() : m.name;
    if (seen.has(name)) continue; // the spec: the first entry with a name wins
    seen.add(name);
    const type = m.type ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression') {
      p.unsupportedValue(`${where}: match type ${type} is not supported`);
      continue;
    }
    if (type === 'RegularExpression') checkRegex(m.value, where, p);
    out.push({ type, name, value: m.value });
  }
  return out;
}

function compileMatch(m: HTTPRouteMatch, where: string, p: Problems): RouteMatch | undefined {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  let path: RouteMatch['path'];
  if (type === 'RegularExpression') {
    checkRegex(value, where, p);
    path = { type: 'RegularExpression', value };
  } else if (type === 'Exact' || type === 'PathPrefix') {
    if (!value.startsWith('/')) {
      p.unsupportedValue(`${where}: path ${JSON.stringify(value)} must start with "/"`);
      return undefined;
    }
    if (type === 'Exact') path = { type: 'Exact', value };
    else {
      const trimmed = value.length > 1 ? value.replace(/\/+$/, '') : value;
      path = { type: 'Prefix', value: trimmed === '' ? '/' : trimmed };
    }
  } else {
    p.unsupportedValue(`${where}: path match type ${type} is not supported`);
    return undefined;
  }
  const headers = nameValueMatches(m.headers, true, where, p);
  const queryParams = nameValueMatches(m.queryParams, false, where, p);
  return { path, ...(headers ? { headers } : {}), ...(queryParams ? { queryParams } : {}), ...(m.method ? { method: m.method } : {}) };
}

/** Checks a reference to a Service; returns the Service port or why it is invalid. */
export function resolveBackendRef(ref: BackendObjectReference, route: HTTPRoute, inputs: RuleInputs): ServiceRef | Verdict {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const routeNs = route.metadata.namespace ?? 'default';
  const ns = ref.namespace ?? routeNs;
  const display = `${ns}/${ref.name}`;
  if ((group !== '' && group !== 'core') || kind !== 'Service') return problem('InvalidKind', `backendRef ${group}/${kind} ${display}: only Services are supported`);
  if (!inputs.grants.permits({ group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: routeNs }, { group: '', kind: 'Service', namespace: ns, name: ref.name })) {
    return problem('RefNotPermitted', `backendRef Service ${display} is in another namespace and no ReferenceGrant allows it`);
  }
  const service = inputs.services.get(display);
  if (!service) return problem('BackendNotFound', `Service ${display} does not exist`);
  if (ref.port === undefined) return problem('BackendNotFound', `backendRef Service ${display} needs a port`);
  const port = service.spec?.ports?.find((sp) => sp.port === ref.port);
  if (!port) return problem('BackendNotFound', `Service ${display} has no port ${ref.port}`);
  if (port.appProtocol && UNSUPPORTED_APP_PROTOCOLS.has(port.appProtocol)) {
    return problem('UnsupportedProtocol', `Service ${display} port ${ref.port} speaks ${port.appProtocol}, which Sluice does not proxy`);
  }
  return { namespace: ns, name: ref.name, port: ref.port };
}

function displayRef(ref: BackendObjectReference, route: HTTPRoute): string {
  return `${ref.namespace ?? route.metadata.namespace ?? 'default'}/${ref.name}:${ref.port ?? ''}`;
}

function mirrorPercent(f: NonNullable<HTTPRouteFilter['requestMirror']>): number {
  if (f.percent !== undefined) return Math.min(100, Math.max(0, f.percent));
  if (f.fraction) {
    const d = f.fraction.denominator ?? 100;
    return d > 0 ? Math.min(100, Math.max(0, (f.fraction.numerator / d) * 100)) : 0;
  }
  return 100;
}

function compileTimeouts(rule: HTTPRouteRule, where: string, p: Problems): RouteTimeouts | undefined {
  const t = rule.timeouts;
  if (!t) return undefined;
  const parse = (v: string | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) p.unsupportedValue(`${where}: timeouts.${field} ${JSON.stringify(v)} is not a duration`);
    return ms === 0 ? undefined : ms; // "0s" disables the timeout
  };
  const requestMs = parse(t.request, 'request');
  const backendRequestMs = parse(t.backendRequest, 'backendRequest');
  if (requestMs !== undefined && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    p.unsupportedValue(`${where}: timeouts.backendRequest must not exceed timeouts.request`);
  }
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  return { ...(requestMs !== undefined ? { requestMs } : {}), ...(backendRequestMs !== undefined ? { backendRequestMs } : {}) };
}

function compileRule(route: HTTPRoute, rule: HTTPRouteRule, ri: number, inputs: RuleInputs, p: Problems): RuleTemplate {
  const where = `rules[${ri}]`;
  const matchList = rule.matches?.length ? rule.matches : [{}];
  const matches: MatchTemplate[] = [];
  matchList.forEach((m, mi) => {
    const match = compileMatch(m, `${where}.matches[${mi}]`, p);
    if (match) matches.push({ match, index: mi });
  });

  let requestHeaders: HeaderModifier | undefined;
  let responseHeaders: HeaderModifier | undefined;
  let rewrite: UrlRewrite | undefined;
  let redirect: Redirect | undefined;
  const mirrors: { ref: ServiceRef | Verdict; display: string; percent: number }[] = [];
  (rule.filters ?? []).forEach((f, fi) => {
    const fw = `${where}.filters[${fi}]`;
    switch (f.type) {
      case 'RequestHeaderModifier':
        requestHeaders = headerModifier(f.requestHeaderModifier, fw, p);
        break;
      case 'ResponseHeaderModifier':
        responseHeaders = headerModifier(f.responseHeaderModifier, fw, p);
        break;
      case 'RequestRedirect': {
        const r = f.requestRedirect;
        if (!r) return p.unsupportedValue(`${fw}: requestRedirect is missing`);
        const statusCode = r.statusCode ?? 302;
        if (!REDIRECT_CODES.has(statusCode)) return p.unsupportedValue(`${fw}: redirect statusCode ${statusCode} is not supported`);
        if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') return p.unsupportedValue(`${fw}: redirect scheme ${r.scheme} is not supported`);
        if (r.hostname !== undefined && checkHostname(r.hostname.toLowerCase())) return p.unsupportedValue(`${fw}: redirect hostname ${JSON.stringify(r.hostname)} is not valid`);
        const path = pathModifier(r.path, matches, fw, p);
        redirect = {
          statusCode: statusCode as Redirect['statusCode'],
          ...(r.scheme ? { scheme: r.scheme as 'http' | 'https' } : {}),
          ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}),
          ...(r.port !== undefined ? { port: r.port } : {}),
          ...(path ? { path } : {}),
        };
        break;
      }
      case 'URLRewrite': {
        const u = f.urlRewrite;
        if (!u) return p.unsupportedValue(`${fw}: urlRewrite is missing`);
        const path = pathModifier(u.path, matches, fw, p);
        rewrite = { ...(u.hostname ? { hostname: u.hostname } : {}), ...(path ? { path } : {}) };
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (!m) return p.unsupportedValue(`${fw}: requestMirror is missing`);
        const ref = resolveBackendRef(m.backendRef, route, inputs);
        if ('ok' in ref) p.refs.push(ref);
        mirrors.push({ ref, display: displayRef(m.backendRef, route), percent: mirrorPercent(m) });
        break;
      }
      default:
        p.unsupportedValue(`${fw}: filter type ${f.type} is not supported`);
    }
  });
  if (redirect && rewrite) p.unsupportedValue(`${where}: RequestRedirect and URLRewrite cannot be combined`);

  const backends: BackendTemplate[] = (rule.backendRefs ?? []).map((b, bi) => {
    const bw = `${where}.backendRefs[${bi}]`;
    let bRequest: HeaderModifier | undefined;
    let bResponse: HeaderModifier | undefined;
    (b.filters ?? []).forEach((f, fi) => {
      if (f.type === 'RequestHeaderModifier') bRequest = headerModifier(f.requestHeaderModifier, `${bw}.filters[${fi}]`, p);
      else if (f.type === 'ResponseHeaderModifier') bResponse = headerModifier(f.responseHeaderModifier, `${bw}.filters[${fi}]`, p);
      else p.unsupportedValue(`${bw}.filters[${fi}]: filter type ${f.type} is not supported on a backendRef`);
    });
    const ref = resolveBackendRef(b, route, inputs);
    if ('ok' in ref) p.refs.push(ref);
    return {
      ref,
      display: displayRef(b, route),
      weight: Math.max(0, b.weight ?? 1),
      ...(bRequest ? { requestHeaders: bRequest } : {}),
      ...(bResponse ? { responseHeaders: bResponse } : {}),
    };
  });

  const timeouts = compileTimeouts(rule, where, p);
  return {
    index: ri,
    matches,
    ...(requestHeaders ? { requestHeaders } : {}),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(rewrite ? { rewrite } : {}),
    ...(redirect ? { redirect } : {}),
    mirrors,
    ...(timeouts ? { timeouts } : {}),
    backends,
  };
}

export function compileRoute(route: HTTPRoute, source: SourceRef, inputs: RuleInputs): RouteTemplate {
  const p = new Problems();
  const hostnames: string[] = [];
  for (const h of route.spec?.hostnames ?? []) {
    const lower = h.toLowerCase();
    const bad = checkHostname(lower);
    if (bad) p.unsupportedValue(`hostname ${JSON.stringify(h)} ${bad}`);
    else if (!hostnames.includes(lower)) hostnames.push(lower);
  }
  const given = route.spec?.rules;
  if (given !== undefined && !Array.isArray(given)) p.unsupportedValue('spec.rules must be a list');
  // No rules: the CRD default, one rule matching every path (without backends: 500).
  const rules = (Array.isArray(given) && given.length > 0 ? given : [{}]).map((r, ri) => compileRule(route, r, ri, inputs, p));
  return {
    route,
    source,
    namespace: route.metadata.namespace ?? 'default',
    hostnames,
    rules,
    unsupported: p.unsupported,
    refProblems: p.refs,
  };
}
