// CA bundles from ConfigMaps (key ca.crt): BackendTLSPolicy validation.caCertificateRefs and
// Gateway spec.tls.frontend validation. Every reference is checked on its own (kind, namespace,
// existence, PEM content, parsed once here so the data plane never meets a bundle it cannot
// load); the bundle is the certificates of the references that resolved. A reference that does
// not resolve contributes nothing, so connections that would need it fail verification.
import { X509Certificate } from 'node:crypto';
import type { ConfigMap } from '../api/core.js';
import type { ReferenceGrants } from './gateway/references.js';

export const CA_KEY = 'ca.crt';

export interface CaReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Why a reference did not resolve, in the Gateway API's reasons. */
export type CaRefProblemReason = 'InvalidKind' | 'InvalidCACertificateRef' | 'RefNotPermitted';

export interface CaBundle {
  /** The PEM certificates of every reference that resolved ('' when none did). */
  readonly pem: string;
  /** How many references resolved. */
  readonly resolved: number;
  /** Each reference that did not, in order. */
  readonly problems: readonly { readonly reason: CaRefProblemReason; readonly message: string }[];
}

export interface CaBundleInputs {
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  /** For references to another namespace; absent: such references are not allowed at all. */
  readonly grants?: ReferenceGrants;
  /** The referring object, for ReferenceGrant checks (group, kind, namespace). */
  readonly from: { readonly group: string; readonly kind: string; readonly namespace: string };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text, normalised, or why it holds none usable. */
export function parseCertificates(text: string): string[] | string {
  const blocks = text.match(PEM_BLOCK);
  if (!blocks || blocks.length === 0) return 'holds no PEM certificate';
  const out: string[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      out.push(new X509Certificate(block).toString().trim());
    } catch {
      return `certificate ${i + 1} does not parse`;
    }
  }
  return out;
}

export function readCaBundle(refs: readonly CaReference[], inputs: CaBundleInputs): CaBundle {
  const pems: string[] = [];
  const problems: { reason: CaRefProblemReason; message: string }[] = [];
  let resolved = 0;
  for (const ref of refs) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'ConfigMap';
    const namespace = ref.namespace ?? inputs.from.namespace;
    const display = `${kind} ${namespace}/${ref.name}`;
    if ((group !== '' && group !== 'core') || kind !== 'ConfigMap') {
      problems.push({ reason: 'InvalidKind', message: `caCertificateRef ${group ? `${group}/` : ''}${kind} ${ref.name}: only ConfigMaps (key ${CA_KEY}) can hold a CA bundle` });
      continue;
    }
    if (namespace !== inputs.from.namespace) {
      const to = { group: '', kind: 'ConfigMap', namespace, name: ref.name };
      if (!inputs.grants?.permits(inputs.from, to)) {
        problems.push({ reason: 'RefNotPermitted', message: `caCertificateRef ${display} is in another namespace and no ReferenceGrant allows it` });
        continue;
      }
    }
    const cm = inputs.configMaps.get(`${namespace}/${ref.name}`);
    const text = cm?.data?.[CA_KEY];
    if (!cm) {
      problems.push({ reason: 'InvalidCACertificateRef', message: `caCertificateRef ${display} does not exist` });
      continue;
    }
    if (text === undefined || text.trim() === '') {
      problems.push({ reason: 'InvalidCACertificateRef', message: `caCertificateRef ${display} has no ${CA_KEY}` });
      continue;
    }
    const certs = parseCertificates(text);
    if (typeof certs === 'string') {
      problems.push({ reason: 'InvalidCACertificateRef', message: `caCertificateRef ${display}: ${CA_KEY} ${certs}` });
      continue;
    }
    resolved++;
    pems.push(...certs);
  }
  return { pem: pems.length > 0 ? `${pems.join('\n')}\n` : '', resolved, problems };
}

/** "namespace/name" → ConfigMap. */
export function configMapIndex(list: readonly ConfigMap[]): Map<string, ConfigMap> {
  return new Map(list.map((c) => [`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, c] as const));
}
