// The certificate for names no certificate claims (and for clients without SNI): the Secret
// --default-certificate names while it is usable (else the generated CN=sluice-default, with a
// diagnostic), or, with --reject-unknown-sni, no certificate at all: the handshake is refused.
// A known name always gets its own certificate.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Backend, debugRoutes, eventually, getTls, INGRESS_CLASS_YAML, ManifestDir, selfSignedPair, tlsSecretYaml, serviceYaml, type Sluice, startBackends, startSluice, stopBackends, waitForGeneration } from './support/harness.js';

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: shop }
spec:
  ingressClassName: sluice
  tls: [{ hosts: [shop.example.com], secretName: shop-cert }]
  rules:
    - host: shop.example.com
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`;

let backends: Backend[];
let dir: ManifestDir;

beforeAll(async () => {
  backends = await startBackends(['web']);
  dir = new ManifestDir();
  dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('shop', 'web', [{ port: backends[0]!.port }])].join('\n---\n'));
  dir.write('shop-cert.yaml', tlsSecretYaml('shop', 'shop-cert', selfSignedPair('shop.example.com')));
  dir.write('fallback-cert.yaml', tlsSecretYaml('infra', 'fallback', selfSignedPair('fallback.example.net')));
  dir.write('ingress.yaml', INGRESS);
});
afterAll(async () => {
  await stopBackends(backends ?? []);
  dir?.remove();
});

describe('--default-certificate infra/fallback', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await startSluice(dir.path, ['--default-certificate', 'infra/fallback']);
  });
  afterAll(async () => {
    await sluice?.stop();
  });

  it('serves that Secret for an unknown SNI and without SNI, and the own certificate for a known name', async () => {
    const known = await eventually('the HTTPS listener', async () => getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com'), 5000);
    expect(known.subject).toBe('shop.example.com');
    expect(known.status).toBe(200);
    expect((await getTls(sluice.httpsPort, 'unknown.example.org', 'shop.example.com')).subject).toBe('fallback.example.net');
    expect((await getTls(sluice.httpsPort, undefined, 'shop.example.com')).subject).toBe('fallback.example.net');
  });

  it('falls back to the generated certificate, with a diagnostic, once the Secret is gone', async () => {
    const { generation } = await debugRoutes(sluice);
    rmSync(join(dir.path, 'fallback-cert.yaml'));
    const d = await waitForGeneration(sluice, generation);
    expect(d.diagnostics).toContainEqual(expect.objectContaining({ code: 'SLUICE_DEFAULT_CERTIFICATE_INVALID', source: expect.objectContaining({ kind: 'Secret', name: 'fallback' }) }));
    expect((await getTls(sluice.httpsPort, undefined, 'shop.example.com')).subject).toBe('sluice-default');
    expect((await getTls(sluice.httpsPort, 'unknown.example.org', 'shop.example.com')).subject).toBe('sluice-default');
    expect((await getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com')).subject).toBe('shop.example.com');
  });
});

describe('--reject-unknown-sni', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await startSluice(dir.path, ['--reject-unknown-sni']);
  });
  afterAll(async () => {
    await sluice?.stop();
  });

  it('completes the handshake for a known name', async () => {
    const known = await eventually('the HTTPS listener', async () => getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com'), 5000);
    expect(known.subject).toBe('shop.example.com');
    expect(known.status).toBe(200);
  });

  it('refuses a handshake with an unknown SNI and one without SNI (handshake_failure alert)', async () => {
    await expect(getTls(sluice.httpsPort, 'unknown.example.org', 'shop.example.com')).rejects.toThrow(/alert handshake failure/);
    await expect(getTls(sluice.httpsPort, undefined, 'shop.example.com')).rejects.toThrow(/alert handshake failure/);
  });
});

describe('the generated certificate with --workers 2', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await startSluice(dir.path, ['--workers', '2']);
  });
  afterAll(async () => {
    await sluice?.stop();
  });

  it('is the same certificate whichever worker takes the handshake', async () => {
    await eventually('the HTTPS listener', async () => getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com'), 5000);
    // Fresh connections: the kernel spreads them over both workers.
    const fingerprints = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const r = await getTls(sluice.httpsPort, 'unknown.example.org', 'shop.example.com');
      expect(r.subject).toBe('sluice-default');
      fingerprints.add(r.fingerprint);
    }
    expect(fingerprints.size).toBe(1);
  });
});
