// Active HTTP health checks to TLS backends end to end (file mode): a BackendTLSPolicy with its
// own CA and a BackendTrafficPolicy with an active HTTP check on the same Services. The probes
// speak TLS with the data plane's verification — the endpoint that verifies stays healthy and
// serves (its backend only speaks TLS, so clear-text probes would mark it unhealthy), one whose
// certificate fails verification is taken out by the active check before any request reaches
// it, and the Gateway's backend client certificate is presented to a backend requiring mTLS.
// Real node:https backends; certificates made by openssl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { closeServers, debugRoutes, eventually, freePort, get, GATEWAY_CLASS_YAML, ManifestDir, metricValue, type Sluice, sleep, startSluice } from './support/harness.js';
import { caConfigMap, issue, makeCa, type Pem, tlsSecret } from './support/pki.js';

interface Seen {
  readonly path: string;
  readonly agent: string | undefined;
  readonly host: string | undefined;
  readonly servername: string | false | null;
  readonly client: string | undefined;
}

/** An HTTPS-only backend answering its name, recording every request; `clientCa`: it requires a client certificate. */
async function tlsBackend(name: string, pair: Pem, seen: Seen[], clientCa?: Pem): Promise<{ server: Server; port: number }> {
  const server = createServer({ cert: pair.cert, key: pair.key, ...(clientCa ? { ca: clientCa.cert, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push({ path: req.url ?? '', agent: req.headers['user-agent'], host: req.headers.host, servername: socket.servername, client: socket.getPeerCertificate().subject?.CN as string | undefined });
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
    res.end(name);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, port };
}

/** A Service with an https port over endpoints on 127.0.0.1 (one EndpointSlice each). */
function service(name: string, ports: readonly number[]): string {
  return [`apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: app }
spec: { ports: [{ name: https, port: 443 }] }`, ...ports.map((port, i) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-${i}, namespace: app, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: https, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]`)].join('\n---\n');
}

/** A BackendTLSPolicy trusting backend-ca for api.internal, and an active HTTP check, on a Service. */
function policies(name: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: app }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${name} }]
  validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }], hostname: api.internal }
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: app }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${name} }]
  healthCheck:
    active: { type: HTTP, http: { path: /health }, interval: 500ms, timeout: 500ms, healthyThreshold: 1, unhealthyThreshold: 2 }
`;
}

interface ProbedEndpoint {
  readonly port: number;
  readonly health?: readonly { active?: string; failures: number }[];
  readonly activeCheck?: { result: string; tlsFailure?: string; detail?: string };
}

async function endpointsOf(sluice: Sluice, clusterId: string): Promise<ProbedEndpoint[]> {
  const d = await debugRoutes(sluice);
  return (d.clusters.find((c) => c.id === clusterId)?.endpoints ?? []) as unknown as ProbedEndpoint[];
}

describe('active HTTP health checks to TLS backends (file mode)', () => {
  const dir = new ManifestDir();
  const backendCa = makeCa('hc-backend-ca');
  const otherCa = makeCa('hc-other-ca');
  const clientCa = makeCa('hc-client-ca');
  const goodPair = issue(backendCa, 'api.internal', { dns: ['api.internal'] });
  // The right name, the wrong issuer: fails verification against backend-ca.
  const strangerPair = issue(otherCa, 'api.internal', { dns: ['api.internal'] });
  const clientPair = issue(clientCa, 'sluice-gateway', { client: true });
  const goodSeen: Seen[] = [];
  const strangerSeen: Seen[] = [];
  const mtlsSeen: Seen[] = [];
  let servers: Server[] = [];
  let goodPort: number;
  let strangerPort: number;
  let mtlsPort: number;
  let sluice: Sluice;

  beforeAll(async () => {
    const good = await tlsBackend('good', goodPair, goodSeen);
    const stranger = await tlsBackend('stranger', strangerPair, strangerSeen);
    const mtls = await tlsBackend('mtls', goodPair, mtlsSeen, clientCa);
    servers = [good.server, stranger.server, mtls.server];
    [goodPort, strangerPort, mtlsPort] = [good.port, stranger.port, mtls.port];
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
kind: HTTPRoute
metadata: { name: tls, namespace: app }
spec:
  parentRefs: [{ name: gw }]
  rules:
${['tls', 'mixed', 'mtls'].map((r) => `    - { matches: [{ path: { value: /${r} } }], backendRefs: [{ name: ${r}, port: 443 }] }`).join('\n')}
`);
    dir.write('secrets.yaml', [tlsSecret('app', 'client-cert', clientPair), caConfigMap('app', 'backend-ca', backendCa)].join('---\n'));
    dir.write('services.yaml', [service('tls', [goodPort]), service('mixed', [goodPort, strangerPort]), service('mtls', [mtlsPort])].join('\n---\n'));
    dir.write('policies.yaml', [policies('tls'), policies('mixed'), policies('mtls')].join('---\n'));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('probes a TLS backend over TLS, verified like requests: it stays healthy and serves', async () => {
    // Well past unhealthyThreshold x interval: clear-text probes would have failed twice by now.
    await eventually('probes of the TLS backend', async () => goodSeen.filter((s) => s.agent === 'sluice-health-check').length >= 4 || undefined);
    await sleep(1200);
    const [endpoint] = await endpointsOf(sluice, 'app/tls:443');
    expect(endpoint?.activeCheck).toEqual({ result: 'success' });
    expect((endpoint?.health ?? []).every((h) => h.active !== 'unhealthy')).toBe(true);
    const probe = goodSeen.find((s) => s.agent === 'sluice-health-check')!;
    expect(probe).toMatchObject({ path: '/health', servername: 'api.internal', host: 'api.internal' });
    const r = await get(sluice.httpPort, 'www.example.com', '/tls');
    expect(r.status).toBe(200);
    expect(r.body).toBe('good');
    expect(await metricValue(sluice, 'sluice_health_checks_total', { result: 'success' })).toBeGreaterThan(0);
  });

  it('takes out, by the active check, an endpoint whose certificate fails verification', async () => {
    // No request has gone to this Service yet: only the probes can have judged it.
    const ejected = await eventually('the stranger endpoint fails its active checks', async () => {
      const eps = await endpointsOf(sluice, 'app/mixed:443');
      const stranger = eps.find((e) => e.port === strangerPort);
      return stranger?.health?.some((h) => h.active === 'unhealthy') ? stranger : undefined;
    });
    expect(ejected.activeCheck).toMatchObject({ result: 'error', tlsFailure: 'untrusted' });
    expect(ejected.health?.every((h) => h.failures === 0)).toBe(true); // not passive health
    expect(strangerSeen).toEqual([]); // the probe never got past the handshake
    expect(await metricValue(sluice, 'sluice_health_check_tls_failures_total', { cluster: 'app/mixed:443', reason: 'untrusted' })).toBeGreaterThan(0);
    expect(sluice.output()).toMatch(/"tlsFailure":"untrusted".*endpoint fails active health checks/);
    const good = (await endpointsOf(sluice, 'app/mixed:443')).find((e) => e.port === goodPort);
    expect(good?.activeCheck).toEqual({ result: 'success' });
    // Every request goes to the endpoint that verifies (round robin would give the other half).
    const replies = await Promise.all(Array.from({ length: 8 }, () => get(sluice.httpPort, 'www.example.com', '/mixed')));
    expect(replies.map((r) => `${r.status} ${r.body}`)).toEqual(Array.from({ length: 8 }, () => '200 good'));
  });

  it("presents the Gateway's backend client certificate to a backend that requires mTLS", async () => {
    await eventually('probes of the mTLS backend', async () => mtlsSeen.filter((s) => s.agent === 'sluice-health-check').length >= 3 || undefined);
    expect(mtlsSeen.filter((s) => s.agent === 'sluice-health-check').every((s) => s.client === 'sluice-gateway')).toBe(true);
    const [endpoint] = await endpointsOf(sluice, 'app/mtls:443');
    expect(endpoint?.activeCheck).toEqual({ result: 'success' });
    expect((endpoint?.health ?? []).every((h) => h.active !== 'unhealthy')).toBe(true);
    expect((await get(sluice.httpPort, 'www.example.com', '/mtls')).body).toBe('mtls');
  });
});
