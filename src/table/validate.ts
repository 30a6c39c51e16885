// validate() is the gate before publish: a table with any problem here is never swapped in, and
// the last good table keeps serving. Translate should never produce such a table; this catches
// translator bugs before they reach traffic.
import { regexProblem } from '../util/linear-regex.js';
import { dnsNameProblem, invalidHeaderNames, isCanonicalPrefix, isTimeout } from './canonical.js';
import type { Cluster, HeaderModifier, L4Listener, L4Route, Listener, PathMatch, Route, RoutingTable, StringMatch } from './types.js';


function checkRegex(value: string, where: string, problems: string[]): void {
  const reason = regexProblem(value);
  if (reason !== undefined) problems.push(`${where}: invalid regular expression ${JSON.stringify(value)}: ${reason}`);
}

function checkPath(p: PathMatch, where: string, problems: string[]): void {
  if (p.type === 'RegularExpression') return checkRegex(p.value, where, problems);
  if (!p.value.startsWith('/')) problems.push(`${where}: path ${JSON.stringify(p.value)} must start with "/"`);
  if (p.type === 'Prefix' && !isCanonicalPrefix(p.value)) {
    problems.push(`${where}: prefix ${JSON.stringify(p.value)} must not end with "/"`);
  }
}

function checkStringMatches(ms: readonly StringMatch[] | undefined, where: string, problems: string[]): void {
  for (const m of ms ?? []) {
    if (m.name === '') problems.push(`${where}: empty match name`);
    if (m.type === 'RegularExpression') checkRegex(m.value, where, problems);
  }
}

function checkHeaderModifier(h: HeaderModifier | undefined, where: string, problems: string[]): void {
  if (!h) return;
  for (const n of invalidHeaderNames(h)) problems.push(`${where}: invalid header name ${JSON.stringify(n)}`);
}

function checkRoute(r: Route, where: string, clusters: ReadonlySet<string>, ids: Map<string, unknown>, problems: string[]): void {
  // The same route may serve two listeners (Ingress routes on HTTP and HTTPS); two different
  // routes may not share an id.
  const seen = ids.get(r.id);
  if (seen === r) return;
  if (seen) problems.push(`${where}: duplicate route id ${r.id}`);
  ids.set(r.id, r);
  checkPath(r.match.path, where, problems);
  checkStringMatches(r.match.headers, where, problems);
  checkStringMatches(r.match.queryParams, where, problems);
  checkHeaderModifier(r.requestHeaders, where, problems);
  checkHeaderModifier(r.responseHeaders, where, problems);
  for (const [field, ms] of Object.entries(r.timeouts ?? {})) {
    // backendRequest 0 turns the attempt timeout off; a request timeout of 0 is simply absent.
    const off = field === 'backendRequestMs' && ms === 0;
    if (ms !== undefined && !off && !isTimeout(ms)) problems.push(`${where}: invalid timeouts.${field} ${ms}`);
  }
  for (const m of r.mirrors ?? []) {
    if (!clusters.has(m.cluster)) problems.push(`${where}: mirror to unknown cluster ${m.cluster}`);
  }
  const a = r.action;
  if (a.type === 'forward') {
    if (a.backends.length === 0) problems.push(`${where}: forward action without backends`);
    for (const b of a.backends) {
      if (!clusters.has(b.cluster)) problems.push(`${where}: unknown cluster ${b.cluster}`);
      if (!Number.isFinite(b.weight) || b.weight < 0) problems.push(`${where}: invalid weight ${b.weight}`);
      checkHeaderModifier(b.requestHeaders, where, problems);
      checkHeaderModifier(b.responseHeaders, where, problems);
    }
  } else if (a.type === 'respond') {
    if (!Number.isInteger(a.status) || a.status < 200 || a.status > 599) problems.push(`${where}: invalid status ${a.status}`);
  }
}

function checkListener(l: Listener, clusters: ReadonlySet<string>, ids: Map<string, unknown>, problems: string[]): void {
  const where = `listener ${l.name}`;
  if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) problems.push(`${where}: invalid port ${l.port}`);
  if (l.protocol === 'HTTPS' && !l.tls) problems.push(`${where}: HTTPS without tls`);
  const hosts = new Set<string>();
  for (const vh of l.virtualHosts) {
    const hw = `${where} host ${vh.hostname}`;
    if (vh.hostname !== '*' && dnsNameProblem(vh.hostname)) problems.push(`${hw}: invalid hostname`);
    const key = `${vh.hostname}|${vh.wildcardLabels ?? ''}`;
    if (hosts.has(key)) problems.push(`${hw}: duplicate virtual host`);
    hosts.add(key);
    for (const r of vh.routes) checkRoute(r, `${hw} route ${r.id}`, clusters, ids, problems);
  }
  if (l.fallback) checkRoute(l.fallback, `${where} fallback`, clusters, ids, problems);
  if (l.passthrough) {
    if (l.protocol !== 'HTTPS') problems.push(`${where}: passthrough hosts on a plain HTTP listener`);
    checkL4Routes(where, 'TLSPassthrough', l.passthrough, clusters, ids, problems);
    for (const r of l.passthrough) for (const h of r.hostnames) if (hosts.has(`${h}|${r.wildcardLabels ?? ''}`)) problems.push(`${where}: passthrough host ${h} also has a virtual host`);
  }
}

function checkUpstreamTls(c: Cluster, problems: string[]): void {
  const tls = c.upstreamTls;
  if (!tls || tls.type === 'refuse') return;
  const where = `cluster ${c.id} upstream TLS`;
  if (dnsNameProblem(tls.serverName) || tls.serverName.startsWith('*.')) problems.push(`${where}: invalid server name ${JSON.stringify(tls.serverName)}`);
  if (tls.trust === 'bundle' && !tls.caPem?.includes('-----BEGIN CERTIFICATE-----')) problems.push(`${where}: CA bundle without certificates`);
  if (tls.subjectAltNames?.length === 0) problems.push(`${where}: empty subjectAltNames (absent means: verify the server name)`);
  for (const san of tls.subjectAltNames ?? []) {
    if (san.type === 'Hostname' ? dnsNameProblem(san.value) !== undefined : !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(san.value)) problems.push(`${where}: invalid ${san.type} SAN ${JSON.stringify(san.value)}`);
  }
}

function checkL4Listener(l: L4Listener, clusters: ReadonlySet<string>, ids: Map<string, unknown>, problems: string[]): void {
  const where = `listener ${l.name}`;
  if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) problems.push(`${where}: invalid port ${l.port}`);
  if (l.protocol === 'TCP' && l.routes.length > 1) problems.push(`${where}: a TCP listener has at most one route`);
  checkL4Routes(where, l.protocol, l.routes, clusters, ids, problems);
}

function checkL4Routes(where: string, protocol: L4Listener['protocol'], routes: readonly L4Route[], clusters: ReadonlySet<string>, ids: Map<string, unknown>, problems: string[]): void {
  const hosts = new Set<string>();
  for (const r of routes) {
    const rw = `${where} route ${r.id}`;
    // Route ids share one namespace with the HTTP routes (they label the same metrics).
    if (ids.has(r.id)) problems.push(`${rw}: duplicate route id`);
    ids.set(r.id, r);
    if (protocol === 'TCP' && r.hostnames.length > 0) problems.push(`${rw}: a TCP route has no hostnames`);
    if (protocol === 'TLSPassthrough' && r.hostnames.length === 0) problems.push(`${rw}: a TLS passthrough route needs hostnames`);
    for (const h of r.hostnames) {
      if (h !== '*' && dnsNameProblem(h)) problems.push(`${rw}: invalid hostname ${JSON.stringify(h)}`);
      if (hosts.has(h)) problems.push(`${rw}: hostname ${h} is already served by another route`);
      hosts.add(h);
    }
    for (const b of r.backends) {
      if (!clusters.has(b.cluster)) problems.push(`${rw}: unknown cluster ${b.cluster}`);
      if (!Number.isFinite(b.weight) || b.weight < 0) problems.push(`${rw}: invalid weight ${b.weight}`);
    }
  }
}

/** Returns every problem found; an empty list means the table may be published. */
export function validateTable(table: RoutingTable): string[] {
  const problems: string[] = [];
  const clusterIds = new Set<string>();
  for (const c of table.clusters) {
    if (clusterIds.has(c.id)) problems.push(`duplicate cluster ${c.id}`);
    clusterIds.add(c.id);
    for (const e of c.endpoints) {
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) problems.push(`cluster ${c.id}: invalid endpoint port ${e.port}`);
    }
    checkUpstreamTls(c, problems);
  }
  const names = new Set<string>();
  const routeIds = new Map<string, unknown>();
  const binds = new Map<string, string>();
  // HTTP and L4 listeners share one name space and one set of sockets.
  const claim = (l: Pick<Listener, 'name' | 'address' | 'port'>): void => {
    if (names.has(l.name)) problems.push(`duplicate listener ${l.name}`);
    names.add(l.name);
    const bind = `${l.address ?? '*'}:${l.port}`;
    const other = binds.get(bind);
    if (other !== undefined) problems.push(`listener ${l.name}: ${bind} is already served by listener ${other}`);
    binds.set(bind, l.name);
  };
  for (const l of table.listeners) {
    claim(l);
    checkListener(l, clusterIds, routeIds, problems);
  }
  for (const l of table.l4Listeners ?? []) {
    claim(l);
    checkL4Listener(l, clusterIds, routeIds, problems);
  }
  return problems;
}
