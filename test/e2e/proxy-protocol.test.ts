// --proxy-protocol end to end: a load balancer in front of Sluice (here: the test) sends a
// PROXY v1 or v2 header before HTTP or TLS; the address it carries is the client (X-Real-IP,
// and what X-Forwarded-For is extended with). Connections without a valid header, or from a
// peer that is not in --trusted-proxies, are closed without an answer. TCPRoute listeners read
// the header too: the backend gets the bytes behind it, and SourceIP hashing uses its address;
// a BackendTrafficPolicy proxyProtocol passes the client on to the backend in a header of its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, createServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { echoServer, tcpService } from './support/l4.js';
import { type Backend, debugRoutes, eventually, freePort, GATEWAY_CLASS_YAML, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, rawHttp, rawJson, selfSignedPair, serviceYaml, type Sluice, startBackends, startSluice, stopBackends, tlsSecretYaml } from './support/harness.js';

let backends: Backend[];
let echoes: Server[] = [];
let tcpPort: number;
let relayPort: number;
let dir: ManifestDir;
/** Trusts 127.0.0.1, where the test connects from. */
let sluice: Sluice;
/** Trusts only 10.0.0.0/8: the test is an untrusted peer. */
let untrusting: Sluice;

const HOST = 'app.example.com';
const GET = `GET /api HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;

/** A PROXY v2 header for TCP over IPv4 (spec section 2.2), with one TLV after the addresses. */
function proxyV2(source: string, sourcePort: number, destination: string, destinationPort: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const tlv = Buffer.from([0x04, 0x00, 0x02, 0xab, 0xcd]); // PP2_TYPE_NOOP, 2 bytes
  const body = Buffer.alloc(12);
  source.split('.').forEach((o, i) => body.writeUInt8(Number(o), i));
  destination.split('.').forEach((o, i) => body.writeUInt8(Number(o), 4 + i));
  body.writeUInt16BE(sourcePort, 8);
  body.writeUInt16BE(destinationPort, 10);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length + tlv.length);
  return Buffer.concat([signature, Buffer.from([0x21, 0x11]), length, body, tlv]);
}

beforeAll(async () => {
  backends = await startBackends(['api']);
  dir = new ManifestDir();
  dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('pp', 'api', [{ port: backends[0]!.port }])].join('\n---\n'));
  dir.write('ingress.yaml', ingressYaml('pp', 'app', HOST, [{ path: '/api', service: 'api' }]));
  dir.write('tls.yaml', `${tlsSecretYaml('pp', 'app-cert', selfSignedPair(HOST))}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: app-tls, namespace: pp }
spec:
  ingressClassName: sluice
  tls: [{ hosts: [${HOST}], secretName: app-cert }]
  rules: [{ host: ${HOST}, http: { paths: [{ path: /api, pathType: Prefix, backend: { service: { name: api, port: { number: 80 } } } }] } }]
`);
  const a = await echoServer('alpha');
  const b = await echoServer('beta');
  echoes = [a.server, b.server];
  tcpPort = await freePort();
  relayPort = await freePort();
  // Answers with every byte it received, once the client has finished sending.
  const recorder = createServer({ allowHalfOpen: true }, (s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => s.end(Buffer.concat(got)));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  echoes.push(recorder);
  dir.write('tcp.yaml', `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: l4, namespace: pp }
spec:
  gatewayClassName: sluice
  listeners: [{ name: tcp, port: ${tcpPort}, protocol: TCP }, { name: relay, port: ${relayPort}, protocol: TCP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: echo, namespace: pp }
spec:
  parentRefs: [{ name: l4, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: echo, port: 9000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: relay, namespace: pp }
spec:
  parentRefs: [{ name: l4, sectionName: relay }]
  rules: [{ backendRefs: [{ name: recorder, port: 9000 }] }]
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: recorder, namespace: pp }
spec:
  targetRefs: [{ group: "", kind: Service, name: recorder }]
  proxyProtocol: { version: V1 }
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: echo, namespace: pp }
spec:
  targetRefs: [{ group: "", kind: Service, name: echo }]
  loadBalancer: { type: ConsistentHash, consistentHash: { type: SourceIP } }
---
${tcpService('pp', 'echo', [a.port, b.port])}
---
${tcpService('pp', 'recorder', [(recorder.address() as { port: number }).port])}
`);
  sluice = await startSluice(dir.path, ['--proxy-protocol', '--trusted-proxies', '127.0.0.1', '--client-header-timeout', '2s']);
  await eventually('the TCP listener', async () => ((await debugRoutes(sluice)) as unknown as { l4Listeners?: unknown[] }).l4Listeners?.length === 2 || undefined);
  untrusting = await startSluice(dir.path, ['--proxy-protocol', '--trusted-proxies', '10.0.0.0/8']);
});
afterAll(async () => {
  await Promise.all([sluice?.stop(), untrusting?.stop()]);
  await stopBackends(backends ?? []);
  for (const e of echoes) e.close();
  dir?.remove();
});

describe('PROXY protocol', () => {
  it('takes the client address from a v1 header sent in the same write as the request', async () => {
    const r = await rawHttp(sluice.httpPort, `PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\r\n${GET}`);
    expect(r.status).toBe(200);
    const seen = rawJson(r).headers;
    expect(seen['x-real-ip']).toBe('203.0.113.9');
    expect(seen['x-forwarded-for']).toBe('203.0.113.9');
  });

  it('takes the client address from a binary v2 header', async () => {
    const r = await rawHttp(sluice.httpPort, Buffer.concat([proxyV2('198.51.100.4', 40000, '192.0.2.1', 80), Buffer.from(GET)]));
    expect(r.status).toBe(200);
    expect(rawJson(r).headers['x-real-ip']).toBe('198.51.100.4');
  });

  it('reads the header before the TLS handshake on HTTPS listeners', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const raw = connect({ host: '127.0.0.1', port: sluice.httpsPort }, () => {
        raw.write('PROXY TCP4 203.0.113.77 192.0.2.1 6000 443\r\n');
        const tls = tlsConnect({ socket: raw, servername: HOST, rejectUnauthorized: false }, () => tls.write(GET));
        let text = '';
        tls.on('data', (c: Buffer) => (text += c.toString()));
        tls.on('end', () => resolve(text));
        tls.on('error', reject);
      });
      raw.on('error', reject);
    });
    expect(body).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(body.slice(body.indexOf('\r\n\r\n') + 4)).headers['x-real-ip']).toBe('203.0.113.77');
  });

  it('closes connections without a valid header, and counts them', async () => {
    const before = await metricValue(sluice, 'sluice_proxy_protocol_errors_total');
    for (const bytes of [GET, `PROXY TCP4 203.0.113.9 nonsense 5555 80\r\n${GET}`, 'PROXY TCP6 203.0.113.9 192.0.2.1 5555 80\r\n']) {
      const r = await rawHttp(sluice.httpPort, bytes, 5000);
      expect(r.closed).toBe(true);
      expect(r.text).toBe('');
    }
    expect(await metricValue(sluice, 'sluice_proxy_protocol_errors_total')).toBe(before + 3);
  });

  it('closes a connection whose header does not arrive in time', async () => {
    const r = await rawHttp(sluice.httpPort, 'PROXY TCP4 203.0.113.9', 15_000);
    expect(r.closed).toBe(true);
    expect(r.text).toBe('');
    expect(await metricValue(sluice, 'sluice_proxy_protocol_errors_total', { reason: 'timeout' })).toBeGreaterThanOrEqual(1);
  });

  it('accepts headers from trusted peers only', async () => {
    const r = await rawHttp(untrusting.httpPort, `PROXY TCP4 203.0.113.9 192.0.2.1 5555 80\r\n${GET}`, 5000);
    expect(r.closed).toBe(true);
    expect(r.text).toBe('');
    expect(await metricValue(untrusting, 'sluice_proxy_protocol_errors_total', { reason: 'untrusted' })).toBe(1);
  });

  /** Connects to the TCPRoute listener, sends `head` and "ping", FINs; resolves with all it got back. */
  function tcpExchange(head: string, port = tcpPort): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.end(`${head}ping`));
      socket.setEncoding('utf8').on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined); // a refused connection is reset: 'close' follows
    });
  }

  it('reads the header on TCPRoute listeners: the backend gets only the bytes behind it', async () => {
    const reply = await tcpExchange('PROXY TCP4 203.0.113.5 192.0.2.1 5555 5432\r\n');
    expect(reply).toMatch(/^(alpha|beta)\nping(alpha|beta) got 4 bytes, bye\n$/);
    expect(await tcpExchange('')).toBe(''); // no header: closed, nothing forwarded
  });

  it('hashes SourceIP on the address of the header, not the load balancer\'s', async () => {
    const seen = new Map<string, Set<string>>();
    for (let i = 1; i <= 16; i++) {
      for (let n = 0; n < 2; n++) {
        const reply = await tcpExchange(`PROXY TCP4 198.51.100.${i} 192.0.2.1 ${4000 + n} 5432\r\n`);
        const name = reply.split('\n')[0]!;
        if (!seen.has(name)) seen.set(name, new Set());
        seen.get(name)!.add(`198.51.100.${i}`);
      }
    }
    // Every client stays on one endpoint, and 16 clients do not all hash to the same one.
    expect([...seen.keys()].sort()).toEqual(['alpha', 'beta']);
    const [alpha, beta] = [seen.get('alpha')!, seen.get('beta')!];
    for (const ip of alpha) expect(beta.has(ip)).toBe(false);
  });

  it('passes the client on to a backend that asked for the PROXY protocol (BackendTrafficPolicy proxyProtocol)', async () => {
    const reply = await tcpExchange('PROXY TCP4 198.51.100.77 192.0.2.1 4000 5432\r\n', relayPort);
    // The client and the address it connected to, as the load balancer's header named them.
    expect(reply).toBe('PROXY TCP4 198.51.100.77 192.0.2.1 4000 5432\r\nping');
  });
});
