// TLS to backends end to end (file mode): BackendTLSPolicy with a ConfigMap CA, the policy's
// hostname as SNI and verified name, subjectAltNames instead of it, a Gateway's backend client
// certificate for backends that require mTLS — and every way verification fails answers 502
// with sluice_upstream_tls_failures_total{reason}, never a fallback to plaintext or to no
// verification. Real TLS backends (node:https) with their own CA, certificates made by openssl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { closeServers, debugRoutes, freePort, get, GATEWAY_CLASS_YAML, ManifestDir, metricValue, type Sluice, startSluice } from './support/harness.js';
import { caConfigMap, issue, makeCa, type Pem, tlsSecret } from './support/pki.js';

interface TlsEcho {
  readonly backend: string;
  readonly servername: string | false | null;
  readonly client: string | undefined;
  readonly path: string;
}

/** An HTTPS echo backend; with `clientCa` it requires a client certificate signed by it. */
function startTlsBackend(name: string, port: number, pair: Pem, clientCa?: Pem): Promise<Server> {
  const server = createServer({ cert: pair.cert, key: pair.key, ...(clientCa ? { ca: clientCa.cert, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const reply: TlsEcho = { backend: name, servername: socket.servername, client: peer.subject?.CN as string | undefined, path: req.url ?? '' };
    const body = JSON.stringify(reply);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function service(name: string, port: number, appProtocol?: string): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: app }
spec: { ports: [{ name: https, port: 443${appProtocol ? `, appProtocol: ${appProtocol}` : ''} }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}, namespace: app, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: https, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]
`;
}

function policy(name: string, validation: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: app }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${name} }]
  validation: ${validation}
`;
}

describe('BackendTLSPolicy and backend mTLS (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  let otherPort: number;
  const backendCa = makeCa('backend-ca');
  const otherCa = makeCa('other-ca');
  const clientCa = makeCa('client-ca');
  const serverPair = issue(backendCa, 'good.internal', { dns: ['good.internal'], uri: ['spiffe://test/ns/app/sa/backend'] });
  const clientPair = issue(clientCa, 'sluice-gateway', { client: true });

  beforeAll(async () => {
    const plainPort = await freePort();
    const mtlsPort = await freePort();
    otherPort = await freePort();
    servers = [await startTlsBackend('tls', plainPort, serverPair), await startTlsBackend('mtls', mtlsPort, serverPair, clientCa)];
    const routes = ['good', 'wrongca', 'mismatch', 'sanok', 'sanbad', 'mtls', 'unpoliced'];
    dir.write('gateway.yaml', `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: app }
spec:
  gatewayClassName: sluice
  tls: { backend: { clientCertificateRef: { name: client-cert } } }
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: plain, namespace: app }
spec:
  gatewayClassName: sluice
  listeners: [{ name: http, port: ${otherPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: tls, namespace: app }
spec:
  parentRefs: [{ name: gw }, { name: plain }]
  rules:
${routes.map((r) => `    - { matches: [{ path: { value: /${r} } }], backendRefs: [{ name: ${r}, port: 443 }] }`).join('\n')}
`);
    dir.write('secrets.yaml', [tlsSecret('app', 'client-cert', clientPair), caConfigMap('app', 'backend-ca', backendCa), caConfigMap('app', 'other-ca', otherCa)].join('---\n'));
    dir.write('services.yaml', [
      service('good', plainPort),
      service('wrongca', plainPort),
      service('mismatch', plainPort),
      service('sanok', plainPort),
      service('sanbad', plainPort),
      service('mtls', mtlsPort),
      service('unpoliced', plainPort, 'https'),
    ].join('---\n'));
    const ca = (cm: string) => `{ caCertificateRefs: [{ group: "", kind: ConfigMap, name: ${cm} }], hostname: good.internal`;
    dir.write('policies.yaml', [
      policy('good', `${ca('backend-ca')} }`),
      policy('wrongca', `${ca('other-ca')} }`),
      policy('mismatch', '{ caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }], hostname: other.internal }'),
      policy('sanok', '{ caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }], hostname: sni.internal, subjectAltNames: [{ type: URI, uri: "spiffe://test/ns/app/sa/backend" }] }'),
      policy('sanbad', `${ca('backend-ca')}, subjectAltNames: [{ type: Hostname, hostname: nope.internal }] }`),
      policy('mtls', `${ca('backend-ca')} }`),
    ].join('---\n'));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('verifies the backend against the policy CA, with the hostname as SNI', async () => {
    const r = await get(sluice.httpPort, 'www.example.com', '/good');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ backend: 'tls', servername: 'good.internal', client: undefined, path: '/good' });
    // Keep-alive and a second connection (session resumption) verify just the same.
    expect((await get(sluice.httpPort, 'www.example.com', '/good')).status).toBe(200);
  });

  it('answers 502 and counts the reason when the certificate does not chain to the CA', async () => {
    const r = await get(sluice.httpPort, 'www.example.com', '/wrongca');
    expect(r.status).toBe(502);
    expect(await metricValue(sluice, 'sluice_upstream_tls_failures_total', { backend: 'app/wrongca:443', reason: 'untrusted' })).toBeGreaterThan(0);
  });

  it('answers 502 when the certificate does not carry the hostname', async () => {
    expect((await get(sluice.httpPort, 'www.example.com', '/mismatch')).status).toBe(502);
    expect(await metricValue(sluice, 'sluice_upstream_tls_failures_total', { backend: 'app/mismatch:443', reason: 'hostname-mismatch' })).toBeGreaterThan(0);
  });

  it('verifies subjectAltNames instead of the hostname when they are given', async () => {
    const ok = await get(sluice.httpPort, 'www.example.com', '/sanok');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ servername: 'sni.internal' });
    expect((await get(sluice.httpPort, 'www.example.com', '/sanbad')).status).toBe(502);
    expect(await metricValue(sluice, 'sluice_upstream_tls_failures_total', { backend: 'app/sanbad:443', reason: 'san-mismatch' })).toBeGreaterThan(0);
  });

  it("presents the Gateway's backend client certificate to a backend that requires mTLS", async () => {
    const r = await get(sluice.httpPort, 'www.example.com', '/mtls');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ backend: 'mtls', client: 'sluice-gateway' });
    // Through a Gateway without spec.tls.backend no certificate is presented: the backend refuses.
    const without = await get(otherPort, 'www.example.com', '/mtls');
    expect(without.status).toBe(502);
    // TLS 1.3: the backend verifies the client after the handshake, so its refusal reaches
    // Sluice as a reset of the connection (counted with the upstream errors), not a TLS alert.
    expect(await metricValue(sluice, 'sluice_upstream_errors_total', { backend: 'app/mtls:443' })).toBeGreaterThan(0);
  });

  it('refuses an https port without a policy (500), and shows why on /debug/routes', async () => {
    const r = await get(sluice.httpPort, 'www.example.com', '/unpoliced');
    expect(r.status).toBe(500);
    const d = await debugRoutes(sluice);
    const cluster = d.clusters.find((c) => c.id === 'app/unpoliced:443') as unknown as { upstreamTls: { type: string } };
    expect(cluster.upstreamTls).toMatchObject({ type: 'refuse' });
    expect(d.diagnostics.map((x) => x.code)).toContain('SLUICE_BACKEND_TLS_WITHOUT_POLICY');
    const policyStatus = d.statuses.find((s) => s.kind === 'BackendTLSPolicy' && s.name === 'good') as unknown as { ancestors: { ancestorRef: { name: string }; conditions: { type: string; status: string }[] }[] };
    expect(policyStatus.ancestors.map((a) => a.ancestorRef.name)).toEqual(['gw', 'plain']);
    expect(policyStatus.ancestors[0]!.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
  });
});
