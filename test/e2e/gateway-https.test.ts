// HTTPS listeners end to end: TLS terminated with certificateRefs Secrets chosen by SNI, a
// missing Secret leaves its listener ResolvedRefs=False while the other listeners keep serving,
// and a changed Secret is served on the next handshake without reopening the socket.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { request } from 'undici';
import { startEchoBackend } from '../../src/demo/backend.js';
import { closeServers, debugRoutes, getTls, selfSignedPair, tlsSecretYaml, eventually, freePort, ManifestDir, serviceYaml, type Sluice, startSluice, waitForGeneration, GATEWAY_CLASS_YAML } from './support/harness.js';

const GATEWAY = `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: web, namespace: web }
spec:
  gatewayClassName: sluice
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - { name: https-default, port: 443, protocol: HTTPS, tls: { certificateRefs: [{ name: default-cert }] } }
    - { name: https-a, port: 443, protocol: HTTPS, hostname: a.example.com, tls: { certificateRefs: [{ name: a-cert }] } }
    - { name: https-missing, port: 443, protocol: HTTPS, hostname: missing.example.com, tls: { certificateRefs: [{ name: missing-cert }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: web }
spec:
  parentRefs: [{ name: web }]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`;

describe('Gateway API HTTPS listeners (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  const first = selfSignedPair('a.example.com');

  beforeAll(async () => {
    const echoPort = await freePort();
    servers = [await startEchoBackend('echo', echoPort)];
    dir.write('gateway.yaml', GATEWAY);
    dir.write('service.yaml', serviceYaml('web', 'echo', [{ port: echoPort }]));
    dir.write('default-cert.yaml', tlsSecretYaml('web', 'default-cert', selfSignedPair('default.example.com')));
    dir.write('a-cert.yaml', tlsSecretYaml('web', 'a-cert', first));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('picks the certificate by SNI and proxies over HTTPS', async () => {
    const a = await getTls(sluice.httpsPort, 'a.example.com', 'a.example.com');
    expect(a.status).toBe(200);
    expect(a.subject).toBe('a.example.com');
    expect(JSON.parse(a.body)).toMatchObject({ backend: 'echo', headers: { 'x-forwarded-proto': 'https' } });
    const other = await getTls(sluice.httpsPort, 'other.example.com', 'other.example.com');
    expect(other.subject).toBe('default.example.com');
    expect(other.status).toBe(200);
    const noSni = await getTls(sluice.httpsPort, undefined, 'plain');
    expect(noSni.subject).toBe('default.example.com');
  });

  it('reports the listener with a missing Secret and keeps the others serving', async () => {
    const d = await debugRoutes(sluice);
    const gw = d.statuses.find((s) => s.kind === 'Gateway') as { status: { listeners: { name: string; conditions: { type: string; status: string; reason: string }[] }[] } };
    const resolved = Object.fromEntries(gw.status.listeners.map((l) => [l.name, l.conditions.find((c) => c.type === 'ResolvedRefs')!]));
    expect(resolved['https-missing']).toMatchObject({ status: 'False', reason: 'InvalidCertificateRef' });
    expect(resolved['https-a']).toMatchObject({ status: 'True' });
    expect(resolved['http']).toMatchObject({ status: 'True' });
    const http = await request(`http://127.0.0.1:${sluice.httpPort}/`, { headers: { host: 'www.example.com' }, reset: true });
    expect(http.statusCode).toBe(200);
    await http.body.dump();
    expect((await getTls(sluice.httpsPort, 'a.example.com', 'a.example.com')).status).toBe(200);
  });

  it('serves a changed Secret on the next handshake, on the same socket', async () => {
    const before = await getTls(sluice.httpsPort, 'a.example.com', 'a.example.com');
    const { generation } = await debugRoutes(sluice);
    dir.write('a-cert.yaml', tlsSecretYaml('web', 'a-cert', selfSignedPair('a.example.com')));
    await waitForGeneration(sluice, generation);
    const after = await eventually('the new certificate', async () => {
      const r = await getTls(sluice.httpsPort, 'a.example.com', 'a.example.com');
      return r.fingerprint !== before.fingerprint ? r : undefined;
    }, 5000);
    expect(after.status).toBe(200);
    expect(after.subject).toBe('a.example.com');
  });

  it('starts serving a listener once its Secret appears', async () => {
    dir.write('missing-cert.yaml', tlsSecretYaml('web', 'missing-cert', selfSignedPair('missing.example.com')));
    const served = await eventually('the missing listener to be served', async () => {
      const r = await getTls(sluice.httpsPort, 'missing.example.com', 'missing.example.com');
      return r.subject === 'missing.example.com' ? r : undefined;
    }, 5000);
    expect(served.status).toBe(200);
  });
});
