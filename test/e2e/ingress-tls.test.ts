// Ingress spec.tls end to end: the Ingress routes are served over HTTPS on --https-port with
// the Secret's certificate chosen by SNI (unknown or missing SNI: the generated default), a
// renewed Secret is served on the next handshake, and plain HTTP keeps working beside it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, debugRoutes, eventually, get, getTls, INGRESS_CLASS_YAML, ManifestDir, selfSignedPair, tlsSecretYaml, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;

beforeAll(async () => {
  backends = await startBackends(['web']);
  dir = new ManifestDir();
  dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('shop', 'web', [{ port: backends[0]!.port }])].join('\n---\n'));
  dir.write('secret.yaml', tlsSecretYaml('shop', 'shop-cert', selfSignedPair('shop.example.com')));
  dir.write('ingress.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: shop }
spec:
  ingressClassName: sluice
  tls:
    - { hosts: [shop.example.com], secretName: shop-cert }
    - { hosts: [broken.example.com], secretName: does-not-exist }
  rules:
    - host: shop.example.com
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`);
  // Another tenant whose spec.tls lists no hosts: its certificate covers its own rule hosts only.
  dir.write('other-cert.yaml', tlsSecretYaml('shop', 'other-cert', selfSignedPair('other.example.com')));
  dir.write('other.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: other, namespace: shop }
spec:
  ingressClassName: sluice
  tls: [{ secretName: other-cert }]
  rules:
    - host: other.example.com
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`);
  sluice = await startSluice(dir.path);
});
afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
});

describe('Ingress TLS', () => {
  it('terminates TLS with the Secret chosen by SNI and forwards X-Forwarded-Proto https', async () => {
    const r = await eventually('the HTTPS listener', async () => getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com', '/cart'), 5000);
    expect(r.status).toBe(200);
    expect(r.subject).toBe('shop.example.com');
    const echo = JSON.parse(r.body) as { backend: string; path: string; headers: Record<string, string> };
    expect(echo).toMatchObject({ backend: 'web', path: '/cart' });
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers['x-forwarded-port']).toBe(String(sluice.httpsPort));
  });

  it('serves the generated CN=sluice-default certificate, never a tenant certificate, for an unknown SNI and without SNI', async () => {
    expect((await getTls(sluice.httpsPort, 'other.example.com', 'other.example.com')).subject).toBe('other.example.com');
    const unknown = await getTls(sluice.httpsPort, 'unknown.example.org', 'shop.example.com');
    const noSni = await getTls(sluice.httpsPort, undefined, 'shop.example.com');
    expect(unknown.subject).toBe('sluice-default');
    expect(noSni.subject).toBe('sluice-default');
    expect(noSni.fingerprint).toBe(unknown.fingerprint);
    // The request itself is still routed by Host (the client chose to ignore the certificate).
    expect(noSni.status).toBe(200);
  });

  it('keeps serving plain HTTP and reports the unusable Secret', async () => {
    expect((await get(sluice.httpPort, 'shop.example.com', '/')).json().headers['x-forwarded-proto']).toBe('http');
    const d = await debugRoutes(sluice);
    expect(d.diagnostics.some((x) => x.code === 'SLUICE_INGRESS_TLS_SECRET_INVALID' && x.message.includes('does-not-exist'))).toBe(true);
  });

  it('serves a renewed certificate on the next handshake', async () => {
    const before = await getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com');
    dir.write('secret.yaml', tlsSecretYaml('shop', 'shop-cert', selfSignedPair('shop.example.com')));
    const after = await eventually('the renewed certificate', async () => {
      const r = await getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com');
      return r.fingerprint !== before.fingerprint ? r : undefined;
    }, 5000);
    expect(after.status).toBe(200);
  });
});
