// networking.k8s.io/v1 Ingress → virtual hosts on the HTTP listener (port 80).
// Precedence across all Ingresses of a host: Exact before Prefix, longer paths first. The same
// host + path + type in two places is a conflict: the oldest Ingress (then namespace/name) wins
// and the others get a diagnostic. spec.defaultBackend becomes the listener fallback.
import type { Ingress, IngressBackend } from '../../api/core.js';
import type { Secret } from '../../api/core.js';
import { canonicalPrefix, dnsNameProblem } from '../../table/canonical.js';
import type { PathMatch, Route, SourceRef, TlsCertificate, VirtualHost } from '../../table/types.js';
import { decodeKeyPair } from '../tls.js';
import { compareStrings } from '../../util/compare.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, refKey, sourceOf } from '../diagnostics.js';
import { describe } from '../../errors.js';

interface Candidate {
  readonly host: string;
  readonly route: Route;
  /** Ordering of the owning Ingress: creationTimestamp, then namespace/name. */
  readonly age: string;
  readonly order: number;
}

export interface IngressTranslation {
  readonly virtualHosts: VirtualHost[];
  readonly fallback: Route | undefined;
  /** Key pairs from spec.tls; when there are any, the same routes are served over HTTPS too. */
  readonly certificates: TlsCertificate[];
}

export function ingressAge(ing: Ingress): string {
  return `${ing.metadata.creationTimestamp ?? '9999'}|${ing.metadata.namespace}/${ing.metadata.name}`;
}

/** Validates an Ingress host: lower-cased DNS name, optionally "*." + name, no port. */
export function checkHost(host: string): string | undefined {
  if (host.includes(':')) return 'must not contain a port';
  return dnsNameProblem(host);
}

function pathMatch(pathType: string, path: string | undefined): PathMatch | string {
  const value = path === undefined || path === '' ? '/' : path;
  if (!value.startsWith('/')) return 'must be absolute (start with "/")';
  if (pathType === 'Exact') return { type: 'Exact', value };
  // Prefix and ImplementationSpecific: element-wise prefix; a trailing "/" is insignificant.
  return { type: 'Prefix', value: canonicalPrefix(value) };
}

/** Precedence: Exact first, then longer values first, then value, then oldest owner. */
function compareCandidates(a: Candidate, b: Candidate): number {
  const pa = a.route.match.path;
  const pb = b.route.match.path;
  if (pa.type !== pb.type) return pa.type === 'Exact' ? -1 : 1;
  return pb.value.length - pa.value.length || compareStrings(pa.value, pb.value) || compareStrings(a.age, b.age) || a.order - b.order;
}

export function translateIngresses(
  ingresses: readonly Ingress[],
  secrets: ReadonlyMap<string, Secret>,
  clusters: ClusterRegistry,
  diagnostics: Diagnostics,
): IngressTranslation {
  const certificates = ingressCertificates(ingresses, secrets, diagnostics);
  const candidates: Candidate[] = [];
  let order = 0;
  let fallback: { route: Route; age: string; owner: SourceRef } | undefined;
  const defaultLosers: { owner: SourceRef; age: string }[] = [];

  for (const ing of ingresses) {
    const source = sourceOf(ing);
    const ns = ing.metadata.namespace ?? 'default';
    const age = ingressAge(ing);
    const base = `ingress/${ns}/${ing.metadata.name}`;

    if (ing.spec?.defaultBackend) {
      const route: Route = {
        id: `${base}/default`,
        source,
        match: { path: { type: 'Prefix', value: '/' } },
        action: { type: 'forward', backends: [{ cluster: backendCluster(ing.spec.defaultBackend, ns, source, clusters), weight: 1 }] },
      };
      if (!fallback || compareStrings(age, fallback.age) < 0) {
        if (fallback) defaultLosers.push({ owner: fallback.owner, age: fallback.age });
        fallback = { route, age, owner: source };
      } else defaultLosers.push({ owner: source, age });
    }

    (ing.spec?.rules ?? []).forEach((rule, ri) => {
      const host = (rule.host ?? '').toLowerCase();
      if (host !== '') {
        const problem = checkHost(host);
        if (problem) return diagnostics.error(source, 'IngressInvalidHost', host, problem);
      }
      (rule.http?.paths ?? []).forEach((p, pi) => {
        const match = pathMatch(p.pathType, p.path);
        if (typeof match === 'string') return diagnostics.error(source, 'IngressInvalidPath', p.path ?? '', match);
        const route: Route = {
          id: `${base}/r${ri}/p${pi}`,
          source,
          match: { path: match },
          action: { type: 'forward', backends: [{ cluster: backendCluster(p.backend, ns, source, clusters), weight: 1 }] },
        };
        candidates.push({ host: host === '' ? '*' : host, route, age, order: order++ });
      });
    });
  }

  for (const loser of defaultLosers) {
    diagnostics.warning(loser.owner, 'IngressDefaultBackendConflict', refKey(fallback!.owner));
  }

  const byHost = new Map<string, Candidate[]>();
  for (const c of candidates) {
    let list = byHost.get(c.host);
    if (!list) byHost.set(c.host, (list = []));
    list.push(c);
  }
  const virtualHosts: VirtualHost[] = [];
  for (const [host, list] of [...byHost].sort(([a], [b]) => compareStrings(a, b))) {
    list.sort(compareCandidates);
    const routes: Route[] = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      const prev = routes[routes.length - 1];
      const cp = c.route.match.path;
      if (prev && prev.match.path.type === cp.type && prev.match.path.value === cp.value) {
        diagnostics.warning(c.route.source, 'IngressPathConflict', host, cp.value, `${refKey(prev.source)} (${prev.id})`);
        continue;
      }
      routes.push(c.route);
    }
    virtualHosts.push(host.startsWith('*.') ? { hostname: host, wildcardLabels: 'one', routes } : { hostname: host, routes });
  }
  return { virtualHosts, fallback: fallback?.route, certificates };
}

/**
 * spec.tls of every Ingress, oldest Ingress first (its certificate wins a host two list). An
 * entry without hosts covers that Ingress's own rule hosts, never every name: names nobody
 * claims get the default certificate, not a tenant's. A Secret that is missing or unusable
 * drops that entry only, with a diagnostic.
 */
function ingressCertificates(ingresses: readonly Ingress[], secrets: ReadonlyMap<string, Secret>, diagnostics: Diagnostics): TlsCertificate[] {
  const out: TlsCertificate[] = [];
  for (const ing of [...ingresses].sort((a, b) => compareStrings(ingressAge(a), ingressAge(b)))) {
    const ns = ing.metadata.namespace ?? 'default';
    for (const tls of ing.spec?.tls ?? []) {
      if (!tls.secretName) continue; // no certificate of its own: the default one serves these hosts
      const name = `${ns}/${tls.secretName}`;
      const pair = decodeKeyPair(secrets.get(name), name);
      if (typeof pair === 'string') {
        diagnostics.error(sourceOf(ing), 'IngressTlsSecretInvalid', pair);
        continue;
      }
      const hostnames = tls.hosts?.length ? tls.hosts.map((h) => h.toLowerCase()) : ruleHosts(ing);
      if (hostnames.length === 0) {
        diagnostics.warning(sourceOf(ing), 'IngressTlsNoHosts', name);
        continue;
      }
      out.push({ secret: { kind: 'Secret', namespace: ns, name: tls.secretName }, hostnames, ...pair });
    }
  }
  return out;
}

function ruleHosts(ing: Ingress): string[] {
  return [...new Set((ing.spec?.rules ?? []).flatMap((r) => (r.host ? [r.host.toLowerCase()] : [])))];
}

export function backendCluster(
  backend: IngressBackend,
  namespace: string,
  source: SourceRef,
  clusters: ClusterRegistry,
): string {
  if (backend.service) {
    const port = backend.service.port?.number ?? backend.service.port?.name ?? 0;
    return clusters.resolve({ namespace, name: backend.service.name, port }, source);
  }
  // An unusable reference still gets a cluster, so the route answers 503 rather than 404.
  if (backend.resource) {
    const { kind, name } = backend.resource;
    return clusters.unresolvable(`${namespace}/${kind}:${name}`, namespace, source, describe('BackendResourceUnsupported', kind));
  }
  return clusters.unresolvable(`${namespace}/-`, namespace, source, describe('BackendMissing'));
}
