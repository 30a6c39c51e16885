// How the prober reaches a cluster's endpoints: in clear text, or over TLS with the very
// profiles the data plane's requests use (UpstreamTlsProfiles builds both: one CA bundle or the
// system roots, one SNI, one identity check, one client key pair), or not at all when the
// cluster's TLS cannot be verified (its requests answer 500 without connecting).
//
// The client certificate is the listener's (a Gateway's spec.tls.backend), while a probe runs
// per cluster. A cluster reached only by listeners without one is probed without one; else the
// probe presents the certificate(s) of the listeners that reach it. When several listeners
// present different ones, each probe round tries each, and the endpoint passes when one passes:
// a certificate the backend refuses fails that Gateway's requests on every endpoint alike, which
// ejecting endpoints cannot mend (and would take them from the Gateways they serve), while an
// endpoint that is down fails every variant.
import type { TlsProfile, UpstreamTlsProfiles } from '../dataplane/upstream/tls.js';
import { listenerRoutes, routeClusters } from '../table/routes.js';
import type { Cluster, Listener, Route, TlsCertificate } from '../table/types.js';
import type { ProbeTls } from './probe.js';

export type ProbeTransport =
  | { readonly type: 'clear' }
  /** One variant per client certificate (or one without), in listener order. */
  | { readonly type: 'tls'; readonly variants: readonly (ProbeTls & { readonly profileId: string })[] }
  /** The cluster's TLS cannot be verified (upstreamTls refuse): a probe fails without connecting. */
  | { readonly type: 'refuse'; readonly reason: string };

const CLEAR: ProbeTransport = { type: 'clear' };

/** Every cluster a route's requests go to with the listener's client certificate. */
function requestClusters(route: Route): string[] {
  const ids = routeClusters(route);
  if (route.edge?.forwardAuth) ids.push(route.edge.forwardAuth.cluster);
  return ids;
}

/** Cluster id → the backend client certificates its requests present. */
export type ClientCertificates = ReadonlyMap<string, readonly TlsCertificate[]>;

/**
 * For each cluster, the distinct backend client certificates of the listeners whose routes send
 * to it (backends, mirrors, forward auth: every request the data plane makes with the
 * listener's certificate), in listener order. Clusters no such listener reaches are absent.
 */
export function backendClientCertificates(listeners: readonly Listener[]): ClientCertificates {
  const out = new Map<string, TlsCertificate[]>();
  for (const l of listeners) {
    const cert = l.backendClientCertificate;
    if (!cert) continue;
    for (const route of listenerRoutes(l)) {
      for (const id of requestClusters(route)) {
        const certs = out.get(id);
        if (!certs) out.set(id, [cert]);
        else if (!certs.some((c) => c.certPem === cert.certPem && c.keyPem === cert.keyPem)) certs.push(cert);
      }
    }
  }
  return out;
}

/** How to probe a cluster's endpoints; `clients`: its entry of backendClientCertificates. */
export function probeTransport(cluster: Cluster, clients: readonly TlsCertificate[] | undefined, profiles: UpstreamTlsProfiles): ProbeTransport {
  const tls = cluster.upstreamTls;
  if (!tls) return CLEAR;
  if (tls.type === 'refuse') return { type: 'refuse', reason: tls.reason };
  const variant = (p: TlsProfile) => ({ connect: p.connect, serverName: tls.serverName, profileId: p.id });
  const certs = clients && clients.length > 0 ? clients : [undefined];
  return { type: 'tls', variants: certs.map((c) => variant(profiles.get(tls, c))) };
}

/** Equal for transports that probe alike (a change restarts the cluster's probe streaks). */
export function transportSignature(t: ProbeTransport): string {
  if (t.type === 'tls') return `tls:${t.variants.map((v) => v.profileId).join(',')}`;
  return t.type === 'refuse' ? `refuse:${t.reason}` : 'clear';
}
