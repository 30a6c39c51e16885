// kubernetes.io/tls Secrets → PEM key pairs, checked once at translate time (a pure decode: no
// I/O), so the data plane never meets a certificate it cannot load.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret } from '../api/core.js';
import type { TlsCertificate } from '../table/types.js';
import type { Diagnostics } from './diagnostics.js';
import type { TranslateOptions } from './types.js';

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The Secret's key pair, or why it is unusable (`name` is "namespace/name" for messages). */
export function decodeKeyPair(secret: Secret | undefined, name: string): KeyPair | string {
  if (!secret) return `Secret ${name} does not exist`;
  const certB64 = secret.data?.['tls.crt'];
  const keyB64 = secret.data?.['tls.key'];
  if (!certB64 || !keyB64) return `Secret ${name} has no tls.crt and tls.key`;
  const certPem = Buffer.from(certB64, 'base64').toString('utf8');
  const keyPem = Buffer.from(keyB64, 'base64').toString('utf8');
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return `Secret ${name}: tls.key does not belong to tls.crt`;
  } catch {
    return `Secret ${name} does not hold a usable PEM certificate and key`;
  }
  return { certPem, keyPem };
}

/**
 * The --default-certificate Secret as a certificate for every name (hostnames: []), or undefined
 * with an error diagnostic on that Secret when it is missing, unusable, or outside the watched
 * namespace (then it is never in the snapshot).
 */
export function resolveDefaultCertificate(
  ref: NonNullable<TranslateOptions['defaultCertificate']>,
  options: Pick<TranslateOptions, 'watchNamespace'>,
  secrets: ReadonlyMap<string, Secret>,
  diagnostics: Diagnostics,
): TlsCertificate | undefined {
  const name = `${ref.namespace}/${ref.name}`;
  const source = { kind: 'Secret', namespace: ref.namespace, name: ref.name };
  if (options.watchNamespace && ref.namespace !== options.watchNamespace) {
    diagnostics.error(source, 'DefaultCertificateInvalid', `Secret ${name} is outside --watch-namespace ${options.watchNamespace}, so Sluice does not see it`);
    return undefined;
  }
  const pair = decodeKeyPair(secrets.get(name), name);
  if (typeof pair === 'string') {
    diagnostics.error(source, 'DefaultCertificateInvalid', pair);
    return undefined;
  }
  return { secret: source, hostnames: [], ...pair };
}
