// TLS to a cluster's endpoints (BackendTLSPolicy): a profile per (cluster TLS, client
// certificate) holds ONE SecureContext (trust anchors, and the Gateway's client key pair for
// backend mTLS), the SNI, and the identity check — made once and shared by every pool of that
// profile, so a request only picks a pool. Each pool (one per endpoint) builds its own undici
// connector from these options, so TLS sessions are cached per endpoint and resumed on new
// connections to it. Verification never degrades: the chain must reach the trust anchors
// (rejectUnauthorized), and the certificate must carry the server name, or — when the policy
// lists subjectAltNames — one of those instead. The controller's active health checks build
// their TLS from this same class (src/healthcheck/probe-tls.ts), so a probe verifies exactly
// what a request does.
import { createHash } from 'node:crypto';
import { checkServerIdentity, createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureContext } from 'node:tls';
import type { SubjectAltName, TlsCertificate, UpstreamTls } from '../../table/types.js';

export type VerifiedTls = Extract<UpstreamTls, { type: 'verify' }>;

/** What a TLS pool connects with; `id` tells pools of different profiles apart. */
export interface TlsProfile {
  readonly id: string;
  readonly connect: ConnectionOptions;
}

/** The error code of a certificate that carries none of the policy's subjectAltNames. */
export const SAN_MISMATCH = 'SLUICE_UPSTREAM_TLS_SAN_MISMATCH';

function profileId(tls: VerifiedTls, client: TlsCertificate | undefined): string {
  const h = createHash('sha256');
  h.update(tls.serverName).update('\0').update(tls.trust).update('\0').update(tls.caPem ?? '').update('\0');
  for (const s of tls.subjectAltNames ?? []) h.update(`${s.type}:${s.value}\0`);
  if (client) h.update(client.certPem).update('\0').update(client.keyPem);
  return h.digest('hex').slice(0, 32);
}

/** Certificate SAN entries as Node prints them ("DNS:a, URI:spiffe://x", quoted when they hold specials). */
export function certificateSans(cert: Pick<PeerCertificate, 'subjectaltname'>): { dns: string[]; uri: string[] } {
  const dns: string[] = [];
  const uri: string[] = [];
  const text = cert.subjectaltname ?? '';
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = entry.exec(text); m !== null && m[0] !== ''; m = entry.exec(text)) {
    const raw = m[2]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (m[1] === 'DNS') dns.push(value.toLowerCase());
    else if (m[1] === 'URI') uri.push(value);
  }
  return { dns, uri };
}

/** Whether a "*.example.com" pattern covers `name` (exactly one more label). */
function coveredBy(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  const label = name.endsWith(suffix) ? name.slice(0, -suffix.length) : '';
  return label.length > 0 && !label.includes('.') && label !== '*';
}

/** DNS names match exactly, or one side's leading "*." covers exactly one label of the other. */
function dnsMatches(a: string, b: string): boolean {
  return a === b || coveredBy(a, b) || coveredBy(b, a);
}

/** The identity check for a policy with subjectAltNames: any one of them must be on the certificate. */
export function sanCheck(sans: readonly SubjectAltName[]): (host: string, cert: PeerCertificate) => Error | undefined {
  const dns = sans.filter((s) => s.type === 'Hostname').map((s) => s.value.toLowerCase());
  const uris = new Set(sans.filter((s) => s.type === 'URI').map((s) => s.value));
  const wanted = sans.map((s) => `${s.type} ${s.value}`).join(', ');
  return (_host, cert) => {
    const have = certificateSans(cert);
    if (have.uri.some((u) => uris.has(u)) || have.dns.some((d) => dns.some((w) => dnsMatches(w, d)))) return undefined;
    return Object.assign(new Error(`upstream certificate carries none of the subjectAltNames ${wanted} (it has ${cert.subjectaltname ?? 'none'})`), { code: SAN_MISMATCH });
  };
}

export class UpstreamTlsProfiles {
  private readonly profiles = new Map<string, TlsProfile>();

  /** The profile for a cluster's TLS and the listener's backend client certificate, made on first use. */
  get(tls: VerifiedTls, client: TlsCertificate | undefined): TlsProfile {
    const id = profileId(tls, client);
    let p = this.profiles.get(id);
    if (!p) {
      const secureContext: SecureContext = createSecureContext({
        // Without ca, Node's bundled Mozilla roots: wellKnownCACertificates System.
        ...(tls.trust === 'bundle' ? { ca: tls.caPem } : {}),
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      const connect: ConnectionOptions = {
        secureContext,
        servername: tls.serverName,
        rejectUnauthorized: true,
        checkServerIdentity: tls.subjectAltNames ? sanCheck(tls.subjectAltNames) : (_host, cert) => checkServerIdentity(tls.serverName, cert),
      };
      this.profiles.set(id, (p = { id, connect }));
    }
    return p;
  }

  /** After a table install: drops the profiles no current cluster holds. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.profiles.keys()) if (!ids.has(id)) this.profiles.delete(id);
  }
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/**
 * Why an upstream TLS connection failed, as the reason label of
 * sluice_upstream_tls_failures_total, or undefined when the error is not a TLS failure.
 */
export function tlsFailureReason(err: { code?: string }): string | undefined {
  const code = err.code;
  if (code === undefined) return undefined;
  if (UNTRUSTED.has(code)) return 'untrusted';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostname-mismatch';
  if (code === SAN_MISMATCH) return 'san-mismatch';
  if (code.startsWith('ERR_SSL_')) {
    if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE/.test(code)) return 'rejected-by-backend';
    if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/.test(code)) return 'not-tls';
    return 'handshake';
  }
  return undefined;
}
