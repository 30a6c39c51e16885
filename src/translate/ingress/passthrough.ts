// Ingress TLS passthrough (`sluice.dev/ssl-passthrough: "true"`), as ingress-nginx's
// ssl-passthrough: on the HTTPS port, connections whose SNI is one of the Ingress's rule hosts
// are spliced untouched to the backend of that rule's path "/" (else the Ingress's
// spec.defaultBackend); Sluice never terminates them, so path rules and every other setting of
// the Ingress do not apply there. Its HTTP (port 80) rules keep serving. Two Ingresses asking
// for one host: the oldest wins.
import type { Ingress } from '../../api/core.js';
import type { L4Route, VirtualHost } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, refKey, sourceOf } from '../diagnostics.js';
import { backendCluster, checkHost, ingressAge } from './ingress.js';

export const SSL_PASSTHROUGH_ANNOTATION = 'sluice.dev/ssl-passthrough';

/** Whether the Ingress asks for passthrough; an unusable value is reported and means no. */
function wantsPassthrough(ing: Ingress, diagnostics: Diagnostics): boolean {
  const value = ing.metadata.annotations?.[SSL_PASSTHROUGH_ANNOTATION];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  diagnostics.error(sourceOf(ing), 'IngressAnnotationInvalid', SSL_PASSTHROUGH_ANNOTATION, value, '"true" or "false"');
  return false;
}

/** The passthrough routes of every Ingress that asks for them, one per host, oldest Ingress first. */
export function translatePassthrough(ingresses: readonly Ingress[], clusters: ClusterRegistry, diagnostics: Diagnostics): L4Route[] {
  const routes: L4Route[] = [];
  const owners = new Map<string, string>();
  for (const ing of [...ingresses].sort((a, b) => compareStrings(ingressAge(a), ingressAge(b)))) {
    if (!wantsPassthrough(ing, diagnostics)) continue;
    const source = sourceOf(ing);
    const ns = ing.metadata.namespace ?? 'default';
    (ing.spec?.rules ?? []).forEach((rule, ri) => {
      const host = (rule.host ?? '').toLowerCase();
      if (host === '') return diagnostics.warning(source, 'IngressPassthroughNoHost', ri);
      if (checkHost(host) !== undefined) return; // reported by the HTTP translation
      const winner = owners.get(host);
      if (winner !== undefined) return diagnostics.warning(source, 'IngressPassthroughHostConflict', host, winner);
      const backend = (rule.http?.paths ?? []).find((p) => (p.path || '/') === '/')?.backend ?? ing.spec?.defaultBackend;
      if (!backend) return diagnostics.warning(source, 'IngressPassthroughNoBackend', host);
      owners.set(host, refKey(source));
      routes.push({
        id: `ingress/${ns}/${ing.metadata.name}/r${ri}/passthrough`,
        source,
        hostnames: [host],
        ...(host.startsWith('*.') ? { wildcardLabels: 'one' as const } : {}),
        backends: [{ cluster: backendCluster(backend, ns, source, clusters), weight: 1 }],
      });
    });
  }
  return routes;
}

/**
 * The Ingress virtual hosts served on the HTTPS port: all but the passed-through hosts (their
 * connections are never terminated). Another Ingress's routes on such a host are reported.
 */
export function terminatedHosts(virtualHosts: readonly VirtualHost[], passthrough: readonly L4Route[], diagnostics: Diagnostics): VirtualHost[] {
  if (passthrough.length === 0) return [...virtualHosts];
  const owners = new Map(passthrough.map((r) => [r.hostnames[0]!, r.source] as const));
  return virtualHosts.filter((vh) => {
    const owner = owners.get(vh.hostname);
    if (!owner) return true;
    for (const r of vh.routes) if (refKey(r.source) !== refKey(owner)) diagnostics.warning(r.source, 'IngressHostPassedThrough', vh.hostname, refKey(owner));
    return false;
  });
}
