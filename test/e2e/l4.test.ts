// L4 end to end (file mode): TLS passthrough (TLSRoute) routed by SNI with the backend's own
// certificate presented (openssl s_client), unknown SNI and silent clients reset, and TCPRoute
// to echo backends: data both ways, half-close, retry to another endpoint when a connect fails,
// and draining (an endpoint removed from the Service keeps its open connections, gets no new ones),
// and a circuit-breaker maxConnections that refuses connections beyond it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Server, type Socket } from 'node:net';
import { echoServer, tcpService } from './support/l4.js';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { debugRoutes, eventually, freePort, GATEWAY_CLASS_YAML, ManifestDir, metricValue, sClient, selfSignedPair, type Sluice, startSluice, waitForGeneration } from './support/harness.js';

/** A TLS backend with its own certificate (CN = its name); answers "hello from <name>". */
function tlsBackend(name: string): Promise<{ server: Server; port: number }> {
  const pair = selfSignedPair(name);
  return new Promise((resolve) => {
    const server = createTlsServer({ cert: Buffer.from(pair.crt, 'base64'), key: Buffer.from(pair.key, 'base64') }, (s) => {
      s.end(`hello from ${name}\n`);
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A TCP client that collects what it receives. */
function tcpClient(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const ended = new Promise<void>((r) => socket.once('end', () => r()));
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => text, ended }));
  });
}

/** Connects and waits for the socket to close; what arrived, and the error code it closed with. */
function refusedClient(port: number): Promise<{ received: string; error: string | undefined }> {
  return new Promise((resolve) => {
    let received = '';
    let error: string | undefined;
    const socket = connect({ host: '127.0.0.1', port });
    socket.setEncoding('utf8').on('data', (d: string) => (received += d));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
    socket.once('close', () => resolve({ received, error }));
  });
}

describe('L4: TLS passthrough and TCPRoute (file mode)', () => {
  const dir = new ManifestDir();
  const servers: Server[] = [];
  let sluice: Sluice;
  let tlsPort: number;
  let tcpPort: number;
  let retryPort: number;
  let limitedPort: number;
  let alpha: number;
  let beta: number;

  beforeAll(async () => {
    tlsPort = await freePort();
    tcpPort = await freePort();
    retryPort = await freePort();
    limitedPort = await freePort();
    const app = await tlsBackend('app.example.com');
    const a = await echoServer('alpha');
    const b = await echoServer('beta');
    servers.push(app.server, a.server, b.server);
    alpha = a.port;
    beta = b.port;
    const dead = await freePort(); // nothing listens here: connects are refused
    dir.write('gateway.yaml', `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: l4, namespace: l4 }
spec:
  gatewayClassName: sluice
  listeners:
    - { name: tls, port: ${tlsPort}, protocol: TLS, tls: { mode: Passthrough } }
    - { name: tcp, port: ${tcpPort}, protocol: TCP }
    - { name: retry, port: ${retryPort}, protocol: TCP }
    - { name: limited, port: ${limitedPort}, protocol: TCP }
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: { name: app, namespace: l4 }
spec:
  parentRefs: [{ name: l4, sectionName: tls }]
  hostnames: [app.example.com]
  rules: [{ backendRefs: [{ name: app, port: 9000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: echo, namespace: l4 }
spec:
  parentRefs: [{ name: l4, sectionName: tcp }]
  rules: [{ backendRefs: [{ name: echo, port: 9000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: retry, namespace: l4 }
spec:
  parentRefs: [{ name: l4, sectionName: retry }]
  rules: [{ backendRefs: [{ name: flaky, port: 9000 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: limited, namespace: l4 }
spec:
  parentRefs: [{ name: l4, sectionName: limited }]
  rules: [{ backendRefs: [{ name: limited, port: 9000 }] }]
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: limited, namespace: l4 }
spec:
  targetRefs: [{ group: "", kind: Service, name: limited }]
  circuitBreaker: { maxConnections: 1 }
`);
    dir.write('app.yaml', tcpService('l4', 'app', [app.port]));
    dir.write('echo.yaml', tcpService('l4', 'echo', [alpha]));
    dir.write('flaky.yaml', tcpService('l4', 'flaky', [dead, beta]));
    dir.write('limited.yaml', tcpService('l4', 'limited', [beta]));
    sluice = await startSluice(dir.path, ['--tls-handshake-timeout', '1s']);
    await eventually('L4 listeners installed', async () => ((await debugRoutes(sluice)) as unknown as { l4Listeners?: unknown[] }).l4Listeners?.length === 4 || undefined);
  });

  afterAll(async () => {
    await sluice?.stop();
    for (const s of servers) s.close();
    dir.remove();
  });

  it('passes TLS through by SNI: the backend presents its own certificate', async () => {
    const out = await sClient(tlsPort, 'app.example.com');
    expect(out).toMatch(/subject=\s*CN\s*=\s*app\.example\.com/);
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, servername: 'app.example.com', rejectUnauthorized: false });
      s.setEncoding('utf8').on('data', (d: string) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(body).toBe('hello from app.example.com\n');
    expect(await metricValue(sluice, 'sluice_l4_connections_total', { route: `tlsroute/l4/app/*:${tlsPort}` })).toBeGreaterThanOrEqual(2);
  });

  it('resets a connection whose SNI no route serves, presenting no certificate', async () => {
    const before = await metricValue(sluice, 'sluice_l4_rejected_total', { reason: 'unknown_sni' });
    const out = await sClient(tlsPort, 'other.example.com');
    expect(out).not.toMatch(/subject=/);
    expect(out).toMatch(/no peer certificate available/);
    expect(await metricValue(sluice, 'sluice_l4_rejected_total', { reason: 'unknown_sni' })).toBe(before + 1);
  });

  it('closes a client that sends nothing after the handshake timeout', async () => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port: tlsPort });
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('close', r));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await metricValue(sluice, 'sluice_l4_rejected_total', { reason: 'handshake_timeout' })).toBeGreaterThanOrEqual(1);
  });

  it('rejects bytes that are not a ClientHello', async () => {
    const socket = connect({ host: '127.0.0.1', port: tlsPort });
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    expect(await metricValue(sluice, 'sluice_l4_rejected_total', { reason: 'not_tls' })).toBe(1);
  });

  it('splices TCP both ways, and a client that half-closes still receives the rest', async () => {
    const c = await tcpClient(tcpPort);
    c.socket.write('ping');
    await eventually('echo', async () => c.received() === 'alpha\nping' || undefined);
    c.socket.end('pong'); // FIN: the backend's summary must still arrive
    await c.ended;
    expect(c.received()).toBe('alpha\npingpong' + 'alpha got 8 bytes, bye\n');
  });

  it('retries a refused connect on another endpoint', async () => {
    for (let i = 0; i < 4; i++) {
      const c = await tcpClient(retryPort);
      await eventually('greeting', async () => c.received() === 'beta\n' || undefined);
      c.socket.end();
      await c.ended;
    }
    expect(await metricValue(sluice, 'sluice_l4_connect_failures_total', { kind: 'refused' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps open connections to a removed endpoint and sends new ones elsewhere', async () => {
    const old = await tcpClient(tcpPort);
    await eventually('greeting', async () => old.received() === 'alpha\n' || undefined);
    const { generation } = await debugRoutes(sluice);
    dir.write('echo.yaml', tcpService('l4', 'echo', [beta]));
    await waitForGeneration(sluice, generation);
    const fresh = await tcpClient(tcpPort);
    await eventually('new connection on beta', async () => fresh.received() === 'beta\n' || undefined);
    old.socket.write('still here');
    await eventually('old connection still served by alpha', async () => old.received() === 'alpha\nstill here' || undefined);
    old.socket.end();
    fresh.socket.end();
    await Promise.all([old.ended, fresh.ended]);
    expect(old.received()).toContain('alpha got 10 bytes');
  });

  it('refuses connections beyond the circuit breaker\'s maxConnections, and admits again once one closes', async () => {
    const first = await tcpClient(limitedPort);
    await eventually('first greeted', async () => first.received() === 'beta\n' || undefined);
    // The reset may reach the client before or after its connect completes: both are a refusal.
    expect(await refusedClient(limitedPort)).toEqual({ received: '', error: 'ECONNRESET' }); // reset before any byte of the backend's
    expect(await metricValue(sluice, 'sluice_l4_rejected_total', { reason: 'overflow' })).toBe(1);
    first.socket.end();
    await first.ended;
    await eventually('a slot again', async () => {
      const next = await tcpClient(limitedPort);
      next.socket.on('error', () => undefined);
      const greeted = await eventually('greeting', async () => next.received() === 'beta\n' || undefined, 1000).catch(() => false);
      next.socket.destroy();
      return greeted || undefined;
    });
  });
});
