// A BackendTLSPolicy's spec.validation → what the cluster's TLS verifies, or every problem found.
// Shape problems (hostname, SANs, both or neither trust source, an unknown well-known set) make
// the policy Invalid; reference problems (caCertificateRefs) are reported apart, as the spec's
// ResolvedRefs condition wants: an unusable bundle still wins its Services, which then refuse
// traffic (5xx) rather than fall back to plaintext or to no verification.
import type { BackendTLSPolicy } from '../../api/gateway.js';
import type { SubjectAltName } from '../../table/types.js';
import { dnsNameProblem } from '../../table/canonical.js';
import { type CaBundle, type CaBundleInputs, readCaBundle } from '../ca-bundle.js';
import type { Fields } from '../policy/fields.js';

export const MAX_CA_REFS = 8;
export const MAX_SANS = 5;
/** RFC 3986 scheme ":" then something: what the CRD's pattern asks of a URI SAN. */
const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*[^?#]*(\?[^#]*)?(#.*)?$/;

export interface TlsValidation {
  readonly serverName: string;
  readonly subjectAltNames?: readonly SubjectAltName[];
  /** 'system', or the bundle read from caCertificateRefs (which may have problems). */
  readonly trust: 'system' | CaBundle;
}

function preciseHostname(s: string): string | undefined {
  if (s.startsWith('*.')) return 'must be a precise hostname (no wildcard)';
  return dnsNameProblem(s);
}

export function readValidation(policy: BackendTLSPolicy, f: Fields, cas: CaBundleInputs): TlsValidation | undefined {
  const v = f.object(policy.spec?.validation, 'validation');
  if (!v) {
    if (policy.spec?.validation === undefined) f.problem('validation', 'is required');
    return undefined;
  }
  const at = f.at('validation');
  const serverName = at.string(v['hostname'], 'hostname', preciseHostname);
  if (v['hostname'] === undefined) at.problem('hostname', 'is required (the SNI and the name the certificate must carry)');
  const sans = readSans(v['subjectAltNames'], at);
  const refs = at.list(v['caCertificateRefs'], 'caCertificateRefs', MAX_CA_REFS);
  const wellKnown = v['wellKnownCACertificates'];
  let trust: TlsValidation['trust'] | undefined;
  if (refs && refs.length > 0 && wellKnown !== undefined && wellKnown !== '') at.invalid('must not name both caCertificateRefs and wellKnownCACertificates');
  else if (refs && refs.length > 0) trust = readCaBundle(readRefs(refs, at), cas);
  else if (wellKnown === 'System') trust = 'system';
  else if (wellKnown !== undefined && wellKnown !== '') at.problem('wellKnownCACertificates', `${JSON.stringify(wellKnown)} is not supported (only System)`);
  else at.invalid('must name caCertificateRefs or wellKnownCACertificates');
  if (serverName === undefined || trust === undefined || sans === null) return undefined;
  return { serverName, trust, ...(sans.length > 0 ? { subjectAltNames: sans } : {}) };
}

function readRefs(list: readonly unknown[], f: Fields): { group?: string; kind?: string; name: string }[] {
  const out: { group?: string; kind?: string; name: string }[] = [];
  list.forEach((item, i) => {
    const ref = f.object(item, `caCertificateRefs[${i}]`);
    const name = ref && f.at(`caCertificateRefs[${i}]`).string(ref['name'], 'name', (s) => (s.length > 0 ? undefined : 'must not be empty'));
    if (ref && name === undefined) return void f.problem(`caCertificateRefs[${i}]`, 'needs a name');
    if (!ref || name === undefined) return;
    out.push({ name, ...(typeof ref['group'] === 'string' ? { group: ref['group'] } : {}), ...(typeof ref['kind'] === 'string' ? { kind: ref['kind'] } : {}) });
  });
  return out;
}

/** The SANs, or null when any is malformed (reported). */
function readSans(value: unknown, f: Fields): SubjectAltName[] | null {
  const list = f.list(value, 'subjectAltNames', MAX_SANS);
  if (value !== undefined && !list) return null;
  const out: SubjectAltName[] = [];
  let bad = false;
  (list ?? []).forEach((item, i) => {
    const at = f.at(`subjectAltNames[${i}]`);
    const san = f.object(item, `subjectAltNames[${i}]`);
    const type = san && at.oneOf(san['type'], 'type', ['Hostname', 'URI'] as const);
    const hostname = san && type === 'Hostname' ? at.string(san['hostname'], 'hostname', dnsNameProblem) : undefined;
    const uri = san && type === 'URI' ? at.string(san['uri'], 'uri', (s) => (URI.test(s) && s.length <= 253 ? undefined : 'is not an absolute URI with a scheme and an authority')) : undefined;
    if (type === 'Hostname' && hostname !== undefined) out.push({ type, value: hostname });
    else if (type === 'URI' && uri !== undefined) out.push({ type, value: uri });
    else {
      if (san && type !== undefined && san[type === 'Hostname' ? 'hostname' : 'uri'] === undefined) at.problem(type === 'Hostname' ? 'hostname' : 'uri', `is required with type ${type}`);
      if (san && san['type'] === undefined) at.problem('type', 'is required (Hostname or URI)');
      bad = true;
    }
  });
  return bad ? null : out;
}
