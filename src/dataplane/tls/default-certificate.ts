// The certificate served when no certificate of the table fits (unknown or missing SNI) and no
// --default-certificate Secret is usable: self-signed, CN=sluice-default, ECDSA P-256, made once
// per process at first use. It names no host, so no client can mistake it for a tenant's.
// Node's crypto makes keys and signs but builds no X.509, hence the small DER encoder.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { bitString, booleanTrue, explicit, octetString, oid, sequence, set, smallInteger, time, unsignedInteger, utf8String } from './der.js';

export const DEFAULT_CERTIFICATE_CN = 'sluice-default';

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const HOUR_MS = 3_600_000;
const VALIDITY_MS = 365 * 24 * HOUR_MS;

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [booleanTrue()] : []), octetString(value));
}

/**
 * A self-signed leaf certificate for `commonName` (no subjectAltName): valid from an hour before
 * `now` (clock skew) for a year, CA:FALSE, digitalSignature, serverAuth.
 */
export function selfSignedCertificate(commonName: string, now: Date = new Date()): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and full length (RFC 5280: at most 20 octets)
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - HOUR_MS)), time(new Date(now.getTime() + VALIDITY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = sequence(tbs, algorithm, bitString(signature));
  return { certPem: pem('CERTIFICATE', certificate), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

let generated: KeyPair | undefined;

/** This process's CN=sluice-default certificate, generated on first call. */
export function generatedDefaultCertificate(): KeyPair {
  generated ??= selfSignedCertificate(DEFAULT_CERTIFICATE_CN);
  return generated;
}

/** Serves `pair` as this process's sluice-default certificate (workers take the controller's, so clients see one). */
export function adoptDefaultCertificate(pair: KeyPair): void {
  generated = pair;
}
