// kubernetes.io/tls Secrets → PEM key pairs, checked once at translate time (a pure decode: no
// I/O), so the data plane never meets a certificate it cannot load.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret } from '../api/core.js';

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
