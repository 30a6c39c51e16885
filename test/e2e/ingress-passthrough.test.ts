// Ingress TLS passthrough end to end (file mode): on the HTTPS port, the hosts of an Ingress
// annotated sluice.dev/ssl-passthrough reach their backend with the backend's own certificate
// (openssl s_client and node:https see it), while every other connection on the same socket is
// terminated by Sluice (Secret by SNI, default certificate without SNI); the passthrough
// Ingress's HTTP routes keep serving on port 80; an Ingress "*." host passes one label only;
// removing the annotation is a hot swap back to termination.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import { connect } from 'node:net';
import { type Backend, debugRoutes, eventually, get, getTls, INGRESS_CLASS_YAML, ManifestDir, metricValue, sClient, selfSignedPair, serviceYaml, type Sluice, startBackends, startSluice, stopBackends, tlsSecretYaml, waitForGeneration } from './support/harness.js';

/** An HTTPS backend with its own certificate for `name`: answers "vault <path>". */
function httpsBackend(name: string): Promise<{ server: Server; port: number }> {
  const pair = selfSignedPair(name);
  return new Promise((resolve) => {
    const server = createServer({ cert: Buffer.from(pair.crt, 'base64'), key: Buffer.from(pair.key, 'base64') }, (req, res) => res.end(`vault ${req.url}`));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function vaultIngress(annotated: boolean): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: vault
  namespace: sec
${annotated ? '  annotations: { sluice.dev/ssl-passthrough: "true" }\n' : ''}spec:
  ingressClassName: sluice
  rules:
    - host: vault.example.com
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: vault, port: { number: 443 } } } }
          - { path: /ui, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
    - host: "*.apps.example.com"
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: vault, port: { number: 443 } } } }] }
`;
}

describe('Ingress sluice.dev/ssl-passthrough', () => {
  const dir = new ManifestDir();
  let vault: { server: Server; port: number };
  let backends: Backend[];
  let sluice: Sluice;

  beforeAll(async () => {
    vault = await httpsBackend('vault.example.com');
    backends = await startBackends(['web']);
    dir.write('base.yaml', [
      INGRESS_CLASS_YAML,
      serviceYaml('sec', 'web', [{ port: backends[0]!.port }]),
      serviceYaml('sec', 'vault', [{ port: vault.port }]).replace('port: 80', 'port: 443'),
      tlsSecretYaml('sec', 'shop-cert', selfSignedPair('shop.example.com')),
    ].join('\n---\n'));
    dir.write('shop.yaml', `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: sec }
spec:
  ingressClassName: sluice
  tls: [{ hosts: [shop.example.com], secretName: shop-cert }]
  rules:
    - host: shop.example.com
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] }
`);
    dir.write('vault.yaml', vaultIngress(true));
    sluice = await startSluice(dir.path, ['--tls-handshake-timeout', '1s']);
    await eventually('passthrough installed', async () => (JSON.stringify(await debugRoutes(sluice)).includes('"passthrough"') ? true : undefined));
  });

  afterAll(async () => {
    await sluice?.stop();
    vault?.server.close();
    await stopBackends(backends ?? []);
    dir.remove();
  });

  it('passes a passthrough host through untouched: the backend presents its own certificate', async () => {
    const out = await sClient(sluice.httpsPort, 'vault.example.com');
    expect(out).toMatch(/subject=\s*CN\s*=\s*vault\.example\.com/);
    const r = await getTls(sluice.httpsPort, 'vault.example.com', 'vault.example.com', '/secret');
    expect(r).toMatchObject({ status: 200, subject: 'vault.example.com', body: 'vault /secret' });
    expect(await metricValue(sluice, 'sluice_l4_connections_total', { route: 'ingress/sec/vault/r0/passthrough' })).toBeGreaterThanOrEqual(2);
  });

  it('terminates every other connection on the same socket: by SNI, and without SNI', async () => {
    const shop = await getTls(sluice.httpsPort, 'shop.example.com', 'shop.example.com', '/cart');
    expect(shop.status).toBe(200);
    expect(shop.subject).toBe('shop.example.com');
    expect(JSON.parse(shop.body)).toMatchObject({ backend: 'web', path: '/cart' });
    const noSni = await getTls(sluice.httpsPort, undefined, 'shop.example.com');
    expect(noSni.subject).toBe('sluice-default');
    expect(noSni.status).toBe(200);
  });

  it('never terminates a passthrough host: a request for it with another SNI finds no route there', async () => {
    const fronted = await getTls(sluice.httpsPort, 'shop.example.com', 'vault.example.com', '/ui');
    expect(fronted.subject).toBe('shop.example.com');
    expect(fronted.status).toBe(404);
  });

  it('passes an Ingress "*." host for one label only', async () => {
    expect(await getTls(sluice.httpsPort, 'a.apps.example.com', 'a.apps.example.com', '/x')).toMatchObject({ subject: 'vault.example.com', body: 'vault /x' });
    expect((await getTls(sluice.httpsPort, 'a.b.apps.example.com', 'a.b.apps.example.com')).subject).toBe('sluice-default');
  });

  it('keeps serving the Ingress HTTP routes on port 80', async () => {
    const r = await get(sluice.httpPort, 'vault.example.com', '/ui/login');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ backend: 'web', path: '/ui/login' });
  });

  it('closes a silent client on the passthrough socket after the handshake timeout', async () => {
    const before = await metricValue(sluice, 'sluice_l4_rejected_total', { listener: 'https', reason: 'handshake_timeout' });
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port: sluice.httpsPort });
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('close', r));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await metricValue(sluice, 'sluice_l4_rejected_total', { listener: 'https', reason: 'handshake_timeout' })).toBe(before + 1);
  });

  it('goes back to terminating the host when the annotation is removed, without a restart', async () => {
    const { generation } = await debugRoutes(sluice);
    dir.write('vault.yaml', vaultIngress(false));
    await waitForGeneration(sluice, generation);
    const r = await getTls(sluice.httpsPort, 'vault.example.com', 'vault.example.com', '/ui/x');
    expect(r.subject).toBe('sluice-default');
    expect(JSON.parse(r.body)).toMatchObject({ backend: 'web', path: '/ui/x' });
  });
});
