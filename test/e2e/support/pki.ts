// A small PKI for TLS tests, made with the real openssl: CAs, and leaf certificates they sign
// (server or client, with DNS and URI SANs). PEM text, ready for ConfigMaps (ca.crt), Secrets
// (base64 via secret()) and Node TLS options.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function inTemp<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pki-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA (ECDSA P-256, CA:TRUE), valid two days. */
export function makeCa(commonName: string): Pem {
  return inTemp((dir) => {
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.crt']);
    return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  });
}

export interface LeafOptions {
  readonly dns?: readonly string[];
  readonly uri?: readonly string[];
  /** clientAuth instead of serverAuth. */
  readonly client?: boolean;
  /** Subject beyond CN, e.g. "/O=Example/OU=Payments". */
  readonly subjectExtra?: string;
  /** false: no authorityKeyIdentifier, so a verifier finds the issuer by name alone (as with certificates Go's x509 makes from a template). */
  readonly authorityKeyId?: boolean;
}

/** A leaf certificate for `commonName` signed by `ca`. */
export function issue(ca: Pem, commonName: string, options: LeafOptions = {}): Pem {
  return inTemp((dir) => {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key);
    const sans = [...(options.dns ?? []).map((d) => `DNS:${d}`), ...(options.uri ?? []).map((u) => `URI:${u}`)];
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${options.client ? 'clientAuth' : 'serverAuth'}`,
      ...(options.authorityKeyId === false ? ['authorityKeyIdentifier=none'] : []),
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    writeFileSync(join(dir, 'ext.cnf'), `${ext.join('\n')}\n`);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `${options.subjectExtra ?? ''}/CN=${commonName}`, '-keyout', 'leaf.key', '-out', 'leaf.csr']);
    openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'leaf.crt']);
    return { cert: readFileSync(join(dir, 'leaf.crt'), 'utf8'), key: readFileSync(join(dir, 'leaf.key'), 'utf8') };
  });
}

/** A kubernetes.io/tls Secret holding a key pair. */
export function tlsSecret(namespace: string, name: string, pair: Pem): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data: { tls.crt: ${Buffer.from(pair.cert).toString('base64')}, tls.key: ${Buffer.from(pair.key).toString('base64')} }
`;
}

/** A ConfigMap with a CA bundle under ca.crt. */
export function caConfigMap(namespace: string, name: string, ...cas: readonly Pem[]): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: ${namespace} }
data:
  ca.crt: ${JSON.stringify(cas.map((c) => c.cert).join(''))}
`;
}
