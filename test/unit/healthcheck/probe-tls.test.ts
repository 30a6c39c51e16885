// Active HTTP checks to TLS clusters, against real node:https backends with their own CA
// (certificates made by openssl): probes verify what requests verify (CA bundle, SNI and
// hostname, subjectAltNames), present the backend client certificate of the listeners that
// reach the cluster, fail on any TLS failure with its reason, never fall back to clear text,
// and TCP checks stay plain connects. Plus which listeners' certificates reach which cluster.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ActiveHealthChecker } from '../../../src/healthcheck/prober.js';
import { backendClientCertificates } from '../../../src/healthcheck/probe-tls.js';
import type { ActiveHealthCheck, Cluster, Listener, Route, TlsCertificate, UpstreamTls } from '../../../src/table/types.js';
import { issue, makeCa, type Pem } from '../../e2e/support/pki.js';
import { TrackedServer } from './support/tracked-server.js';

const backendCa = makeCa('probe-backend-ca');
const otherCa = makeCa('probe-other-ca');
const clientCa = makeCa('probe-client-ca');
const serverPair = issue(backendCa, 'api.internal', { dns: ['api.internal'], uri: ['spiffe://test/ns/app/sa/api'] });
const gatewayClient = issue(clientCa, 'gateway-a', { client: true });
const strangerClient = issue(otherCa, 'gateway-b', { client: true });

interface Seen {
  readonly servername: string | false | null;
  readonly host: string | undefined;
  readonly client: string | undefined;
  readonly agent: string | undefined;
}

/** An HTTPS backend recording what each request came with; `clientCa`: it requires a client certificate. */
class TlsBackend extends TrackedServer {
  readonly seen: Seen[];
  /** Connections that never completed a TLS handshake (clear text, refused certificates). */
  handshakeFailures = 0;

  constructor(pair: Pem, clientCa?: Pem) {
    const seen: Seen[] = [];
    super(
      createServer({ cert: pair.cert, key: pair.key, ...(clientCa ? { ca: clientCa.cert, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
        const socket = req.socket as TLSSocket;
        seen.push({ servername: socket.servername, host: req.headers.host, client: socket.getPeerCertificate().subject?.CN as string | undefined, agent: req.headers['user-agent'] });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }),
    );
    this.seen = seen;
    this.server.on('tlsClientError', () => this.handshakeFailures++);
  }
}

let tls: TlsBackend;
let mtls: TlsBackend;
beforeAll(async () => {
  tls = await new TlsBackend(serverPair).listen();
  mtls = await new TlsBackend(serverPair, clientCa).listen();
});
afterAll(async () => {
  await tls.close();
  await mtls.close();
});

const checkers: ActiveHealthChecker[] = [];
afterEach(async () => {
  await Promise.all(checkers.splice(0).map((c) => c.stop()));
});

const SOURCE = { kind: 'BackendTLSPolicy', namespace: 'app', name: 'p' };
const verify = (o: Partial<Extract<UpstreamTls, { type: 'verify' }>> = {}): UpstreamTls => ({ type: 'verify', source: SOURCE, serverName: 'api.internal', trust: 'bundle', caPem: backendCa.cert, ...o });

const httpCheck = (http: Partial<NonNullable<ActiveHealthCheck['http']>> = {}): ActiveHealthCheck => ({
  type: 'HTTP',
  http: { path: '/health', method: 'GET', expectedStatuses: [{ start: 200, end: 299 }], ...http },
  intervalMs: 20,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 2,
  initialJitterMs: 0,
});

function cluster(id: string, port: number, upstreamTls: UpstreamTls | undefined, check: ActiveHealthCheck = httpCheck()): Cluster {
  return {
    id,
    service: { namespace: 'app', name: id },
    portName: 'https',
    loadBalancer: { type: 'RoundRobin' },
    policy: { source: { kind: 'BackendTrafficPolicy', namespace: 'app', name: 'p' }, healthCheck: { panicThreshold: 50, active: check } },
    endpoints: [{ address: '127.0.0.1', port, ready: true, serving: true, terminating: false }],
    ...(upstreamTls ? { upstreamTls } : {}),
  };
}

const certificate = (name: string, pair: Pem): TlsCertificate => ({ secret: { kind: 'Secret', namespace: 'app', name }, hostnames: [], certPem: pair.cert, keyPem: pair.key });

function route(id: string, clusterId: string, extra: Partial<Route> = {}): Route {
  return { id, source: { kind: 'HTTPRoute', namespace: 'app', name: id }, match: { path: { type: 'Prefix', value: '/' } }, action: { type: 'forward', backends: [{ cluster: clusterId, weight: 1 }] }, ...extra };
}

function listener(name: string, routes: Route[], client?: TlsCertificate, fallback?: Route): Listener {
  return { name, protocol: 'HTTP', port: 80, virtualHosts: [{ hostname: '*', routes }], ...(client ? { backendClientCertificate: client } : {}), ...(fallback ? { fallback } : {}) };
}

/** A checker with the real probes, recording verdicts, results and TLS failure reasons. */
function checker() {
  const verdicts: string[] = [];
  const results: string[] = [];
  const tlsFailures: string[] = [];
  const c = new ActiveHealthChecker({
    onVerdict: (clusterId, key, healthy) => verdicts.push(`${clusterId} ${key} ${healthy ? 'healthy' : 'unhealthy'}`),
    metrics: { result: (r) => results.push(r), tlsFailure: (clusterId, reason) => tlsFailures.push(`${clusterId} ${reason}`) },
  });
  checkers.push(c);
  return { c, verdicts, results, tlsFailures };
}

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('active HTTP checks to TLS clusters', () => {
  it('probe over TLS with the policy hostname as SNI and, by default, as Host; a check hostname changes only Host', async () => {
    const { c, verdicts, results } = checker();
    const before = tls.seen.length;
    c.update({ listeners: [], clusters: [cluster('app/a:443', tls.port, verify()), cluster('app/b:443', tls.port, verify(), httpCheck({ hostname: 'health.local' }))] });
    await waitFor(() => results.filter((r) => r === 'success').length >= 6);
    expect(verdicts).toEqual([]);
    const seen = tls.seen.slice(before);
    expect(seen).toContainEqual({ servername: 'api.internal', host: 'api.internal', client: undefined, agent: 'sluice-health-check' });
    expect(seen).toContainEqual({ servername: 'api.internal', host: 'health.local', client: undefined, agent: 'sluice-health-check' });
    expect(seen.every((s) => s.servername === 'api.internal')).toBe(true);
  });

  it('verifies subjectAltNames instead of the hostname, as requests do', async () => {
    const { c, verdicts, results, tlsFailures } = checker();
    c.update({
      listeners: [],
      clusters: [
        cluster('app/sanok:443', tls.port, verify({ serverName: 'sni.internal', subjectAltNames: [{ type: 'URI', value: 'spiffe://test/ns/app/sa/api' }] })),
        cluster('app/sanbad:443', tls.port, verify({ subjectAltNames: [{ type: 'Hostname', value: 'nope.internal' }] })),
      ],
    });
    await waitFor(() => verdicts.length === 1 && results.filter((r) => r === 'success').length >= 3);
    expect(verdicts).toEqual([`app/sanbad:443 ${tls.key} unhealthy`]);
    expect(new Set(tlsFailures)).toEqual(new Set(['app/sanbad:443 san-mismatch']));
  });

  it('fails, with the reason, a certificate from another CA or without the hostname — and passes once the policy trusts it', async () => {
    const { c, verdicts, results, tlsFailures } = checker();
    c.update({ listeners: [], clusters: [cluster('app/wrongca:443', tls.port, verify({ caPem: otherCa.cert })), cluster('app/mismatch:443', tls.port, verify({ serverName: 'other.internal' }))] });
    await waitFor(() => verdicts.length === 2);
    expect(new Set(verdicts)).toEqual(new Set([`app/wrongca:443 ${tls.key} unhealthy`, `app/mismatch:443 ${tls.key} unhealthy`]));
    expect(results.every((r) => r === 'error')).toBe(true);
    expect(new Set(tlsFailures)).toEqual(new Set(['app/wrongca:443 untrusted', 'app/mismatch:443 hostname-mismatch']));
    // /debug/routes shows each endpoint's latest probe, and why it failed.
    expect(c.snapshot()['app/wrongca:443']?.[tls.key]).toMatchObject({ result: 'error', tlsFailure: 'untrusted', detail: expect.stringMatching(/certificate/) });
    // The policy's CA changes: the probes start over on the new trust anchors.
    c.update({ listeners: [], clusters: [cluster('app/wrongca:443', tls.port, verify())] });
    await waitFor(() => verdicts.length === 4);
    expect(verdicts.slice(2).sort()).toEqual([`app/mismatch:443 ${tls.key} healthy`, `app/wrongca:443 ${tls.key} healthy`]);
  });

  it('trusts the system roots for wellKnownCACertificates: System (a private CA fails)', async () => {
    const { c, verdicts, tlsFailures } = checker();
    c.update({ listeners: [], clusters: [cluster('app/system:443', tls.port, verify({ trust: 'system', caPem: undefined }))] });
    await waitFor(() => verdicts.length === 1);
    expect(tlsFailures[0]).toBe('app/system:443 untrusted');
  });

  it('never probes a TLS port in clear text: a cluster without TLS fails against it', async () => {
    const { c, verdicts, results, tlsFailures } = checker();
    const failures = tls.handshakeFailures;
    c.update({ listeners: [], clusters: [cluster('app/clear:443', tls.port, undefined)] });
    await waitFor(() => verdicts.length === 1);
    expect(results.slice(0, 2).every((r) => r !== 'success')).toBe(true);
    expect(tlsFailures).toEqual([]); // clear text was asked for: not a TLS failure
    expect(tls.handshakeFailures).toBeGreaterThan(failures);
  });

  it('fails a cluster whose TLS cannot be verified without connecting (reason refused)', async () => {
    const { c, verdicts, tlsFailures } = checker();
    const connections = tls.connections;
    c.update({ listeners: [], clusters: [cluster('app/refused:443', tls.port, { type: 'refuse', source: SOURCE, reason: 'no CA' })] });
    await waitFor(() => verdicts.length === 1);
    expect(tlsFailures.slice(0, 2)).toEqual(['app/refused:443 refused', 'app/refused:443 refused']);
    expect(tls.connections).toBe(connections);
  });

  it('keeps TCP checks plain TCP connects, without a handshake', async () => {
    const { c, verdicts, results } = checker();
    const seen = tls.seen.length;
    const tcp: ActiveHealthCheck = { type: 'TCP', intervalMs: 20, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1, initialJitterMs: 0 };
    c.update({ listeners: [], clusters: [cluster('app/tcp:443', tls.port, verify({ caPem: otherCa.cert }), tcp)] });
    await waitFor(() => results.length >= 3);
    expect(results.slice(0, 3)).toEqual(['success', 'success', 'success']);
    expect(verdicts).toEqual([]);
    expect(tls.seen.length).toBe(seen);
  });
});

describe('backend client certificates in probes', () => {
  it('present the certificate of the listeners that reach the cluster to a backend that requires one', async () => {
    const { c, verdicts, results } = checker();
    const before = mtls.seen.length;
    c.update({ listeners: [listener('gw-a', [route('r', 'app/mtls:443')], certificate('a', gatewayClient))], clusters: [cluster('app/mtls:443', mtls.port, verify())] });
    await waitFor(() => results.filter((r) => r === 'success').length >= 3);
    expect(verdicts).toEqual([]);
    expect(mtls.seen.slice(before).every((s) => s.client === 'gateway-a')).toBe(true);
  });

  it('fail without one (no listener reaching the cluster presents a certificate)', async () => {
    const { c, verdicts } = checker();
    c.update({ listeners: [listener('plain', [route('r', 'app/mtls:443')])], clusters: [cluster('app/mtls:443', mtls.port, verify())] });
    await waitFor(() => verdicts.length === 1);
    expect(verdicts).toEqual([`app/mtls:443 ${mtls.key} unhealthy`]);
  });

  it('pass when one of several listeners’ certificates is accepted (each is tried every round)', async () => {
    const { c, verdicts, results } = checker();
    const before = mtls.seen.length;
    const failures = mtls.handshakeFailures;
    const listeners = [listener('gw-b', [route('r1', 'app/mtls:443')], certificate('b', strangerClient)), listener('gw-a', [route('r2', 'app/mtls:443')], certificate('a', gatewayClient))];
    c.update({ listeners, clusters: [cluster('app/mtls:443', mtls.port, verify())] });
    await waitFor(() => results.filter((r) => r === 'success').length >= 3);
    expect(verdicts).toEqual([]);
    expect(mtls.seen.slice(before).every((s) => s.client === 'gateway-a')).toBe(true);
    // The stranger's certificate was tried too, and refused by the backend.
    await waitFor(() => mtls.handshakeFailures > failures);
  });

  it('are collected per cluster from backends, mirrors, forward auth and fallbacks, once each', () => {
    const a = certificate('a', gatewayClient);
    const sameAsA = certificate('a-copy', gatewayClient);
    const b = certificate('b', strangerClient);
    const edge = { sources: [], forwardAuth: { cluster: 'app/auth:80', path: '/', headersToBackend: [], headersToUpstream: [], timeoutMs: 1000, failOpen: false } };
    const listeners = [
      listener('gw-a', [route('r1', 'app/web:443', { mirrors: [{ cluster: 'app/mirror:443', percent: 100 }], edge })], a, route('fb', 'app/fallback:443')),
      listener('gw-a2', [route('r2', 'app/web:443')], sameAsA),
      listener('gw-b', [route('r3', 'app/web:443')], b),
      listener('plain', [route('r4', 'app/plain:443')]),
    ];
    const certs = backendClientCertificates(listeners);
    expect(certs.get('app/web:443')).toEqual([a, b]);
    expect(certs.get('app/mirror:443')).toEqual([a]);
    expect(certs.get('app/auth:80')).toEqual([a]);
    expect(certs.get('app/fallback:443')).toEqual([a]);
    expect(certs.has('app/plain:443')).toBe(false);
  });
});
