// HTTP/2 towards clients, end to end with real clients (curl, Node's http2) against the real
// sluice process: h2 and HTTP/1.1 on one HTTPS port by ALPN, cleartext h2c (prior knowledge and
// Upgrade: h2c) with --http2-cleartext, request bodies without Content-Length, split cookies,
// no pseudo- or connection-specific header crossing, SETTINGS_MAX_CONCURRENT_STREAMS announced
// and holding, 421 for a request whose host belongs to another listener than the connection's
// SNI, route-policy admission (a rate limit) on h2 streams, GOAWAY on drain with the stream in
// flight finished; and with HTTP/2 off, neither.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { promisify } from 'node:util';
import { closeServers, freePort, GATEWAY_CLASS_YAML, getTls, ManifestDir, selfSignedPair, serviceYaml, startSluice, tlsSecretYaml, type Sluice } from './support/harness.js';
import { startEchoBackend } from '../../src/demo/backend.js';

const run = promisify(execFile);

const MANIFESTS = `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: web }
spec:
  gatewayClassName: sluice
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - { name: a, port: 443, protocol: HTTPS, hostname: a.example.com, tls: { certificateRefs: [{ name: a-cert }] } }
    - { name: b, port: 443, protocol: HTTPS, hostname: b.example.com, tls: { certificateRefs: [{ name: b-cert }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo, namespace: web }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ path: { value: /slow } }]
      backendRefs: [{ name: slow, port: 80 }]
    - matches: [{ path: { value: /h2c-backend } }]
      backendRefs: [{ name: h2c, port: 80 }]
    - backendRefs: [{ name: echo, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: limited, namespace: web }
spec:
  parentRefs: [{ name: gw, sectionName: http }]
  hostnames: [limited.example.com]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
---
apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: limited, namespace: web }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited }]
  rateLimit: { type: Local, rules: [{ limit: { requests: 1, unit: Minute }, burst: 2 }] }
`;

/** A Service whose port says appProtocol kubernetes.io/h2c (Gateway API BackendProtocolH2C). */
function h2cServiceYaml(port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: h2c, namespace: web }
spec: { ports: [{ name: http, port: 80, appProtocol: kubernetes.io/h2c }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: h2c-1, namespace: web, labels: { kubernetes.io/service-name: h2c } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]
`;
}

/** A cleartext HTTP/2 backend (prior knowledge only) answering with the protocol and headers it got, and a trailer. */
async function startH2cBackend(): Promise<{ server: http2.Http2Server; port: number }> {
  const server = http2.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ httpVersion: req.httpVersion, authority: req.headers[':authority'], te: req.headers['te'] ?? null, via: req.headers['x-forwarded-proto'] }));
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

interface H2Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function h2request(session: ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let got: IncomingHttpHeaders = {};
    let text = '';
    req.on('response', (h) => {
      got = h;
      status = Number(h[':status']);
    });
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, headers: got, body: text }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

function connect(url: string, servername?: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** An HTTP/1.1 backend that holds each answer 300 ms and records the most requests it had at once. */
async function startSlowBackend(): Promise<{ server: Server; port: number; maxInFlight: () => number }> {
  let inFlight = 0;
  let max = 0;
  const server = createServer((req, res) => {
    inFlight++;
    max = Math.max(max, inFlight);
    req.resume();
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end('slow\n');
    }, Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 300));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, maxInFlight: () => max };
}

describe('HTTP/2 towards clients (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  let slow: Awaited<ReturnType<typeof startSlowBackend>>;
  let h2cBackend: Awaited<ReturnType<typeof startH2cBackend>>;
  const sessions: ClientHttp2Session[] = [];
  const open = async (url: string, servername?: string) => {
    const s = await connect(url, servername);
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    const echoPort = await freePort();
    slow = await startSlowBackend();
    h2cBackend = await startH2cBackend();
    servers = [await startEchoBackend('echo', echoPort), slow.server];
    dir.write('gateway.yaml', MANIFESTS);
    dir.write('echo.yaml', serviceYaml('web', 'echo', [{ port: echoPort }]));
    dir.write('slow.yaml', serviceYaml('web', 'slow', [{ port: slow.port }]));
    dir.write('h2c.yaml', h2cServiceYaml(h2cBackend.port));
    dir.write('a-cert.yaml', tlsSecretYaml('web', 'a-cert', selfSignedPair('a.example.com')));
    dir.write('b-cert.yaml', tlsSecretYaml('web', 'b-cert', selfSignedPair('b.example.com')));
    sluice = await startSluice(dir.path, ['--http2-cleartext', '--http2-max-concurrent-streams', '3']);
  });

  afterAll(async () => {
    for (const s of sessions) s.destroy();
    await sluice?.stop();
    await closeServers(servers);
    await new Promise<void>((r) => h2cBackend.server.close(() => r()));
    dir.remove();
  });

  it('speaks h2c to a backend whose Service port says appProtocol kubernetes.io/h2c, trailers included', async () => {
    const session = await open(`https://127.0.0.1:${sluice.httpsPort}`, 'a.example.com');
    const req = session.request({ ':path': '/h2c-backend', ':authority': 'a.example.com', te: 'trailers' });
    const trailers = new Promise<IncomingHttpHeaders>((r) => req.once('trailers', (t) => r(t)));
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    await new Promise((r) => req.on('end', r));
    expect(JSON.parse(body)).toEqual({ httpVersion: '2.0', authority: 'a.example.com', te: 'trailers', via: 'https' });
    expect((await trailers)['x-checksum']).toBe('abc');
    // An HTTP/1.1 client reaches the same h2c backend (chunked, with the trailer).
    const h1 = await run('curl', ['-sk', '--http1.1', '--raw', '--resolve', `a.example.com:${sluice.httpsPort}:127.0.0.1`, `https://a.example.com:${sluice.httpsPort}/h2c-backend`]);
    expect(h1.stdout).toMatch(/"httpVersion":"2.0"/);
    expect(h1.stdout).toMatch(/x-checksum: abc/);
  });

  it('speaks h2 and HTTP/1.1 on one HTTPS port, chosen by ALPN (curl)', async () => {
    const resolve = `a.example.com:${sluice.httpsPort}:127.0.0.1`;
    const url = `https://a.example.com:${sluice.httpsPort}/curl`;
    const h2 = await run('curl', ['-sk', '--http2', '--resolve', resolve, '-o', '/dev/null', '-w', '%{http_version} %{http_code}', url]);
    expect(h2.stdout).toBe('2 200');
    const h1 = await run('curl', ['-sk', '--http1.1', '--resolve', resolve, '-o', '/dev/null', '-w', '%{http_version} %{http_code}', url]);
    expect(h1.stdout).toBe('1.1 200');
  });

  it('proxies an h2 request to the HTTP/1.1 backend: :authority as Host, body without length, cookies joined, nothing connection-specific', async () => {
    const session = await open(`https://127.0.0.1:${sluice.httpsPort}`, 'a.example.com');
    const body = Buffer.alloc(100_000, 'x');
    const r = await h2request(session, { ':method': 'POST', ':path': '/upload?q=1', ':authority': 'a.example.com', cookie: ['a=1', 'b=2'], 'x-custom': 'yes' }, body);
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body) as { path: string; host: string; headers: Record<string, string>; bodyBytes: number };
    expect(echo).toMatchObject({ path: '/upload?q=1', host: 'a.example.com', bodyBytes: 100_000 });
    expect(echo.headers['cookie']).toBe('a=1; b=2');
    expect(echo.headers['x-custom']).toBe('yes');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(Object.keys(echo.headers).filter((h) => h.startsWith(':'))).toEqual([]);
    // The backend's Connection/Keep-Alive stop at Sluice (an h2 response may not carry them).
    expect(r.headers['connection']).toBeUndefined();
    expect(r.headers['keep-alive']).toBeUndefined();
  });

  it('takes cleartext h2c with prior knowledge and by Upgrade: h2c (--http2-cleartext)', async () => {
    const session = await open(`http://127.0.0.1:${sluice.httpPort}`);
    const r = await h2request(session, { ':path': '/prior', ':authority': 'h2c.example.com' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ path: '/prior', host: 'h2c.example.com' });
    const up = await run('curl', ['-s', '-v', '--http2', `http://127.0.0.1:${sluice.httpPort}/upgraded`]);
    expect(up.stderr).toMatch(/< HTTP\/1\.1 101 Switching Protocols/);
    expect(up.stderr).toMatch(/< HTTP\/2 200/);
    expect(JSON.parse(up.stdout)).toMatchObject({ path: '/upgraded' });
  });

  it('admits h2 requests like any other: a rate limit answers 429 on the stream, the connection serves on', async () => {
    const session = await open(`http://127.0.0.1:${sluice.httpPort}`);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await h2request(session, { ':path': '/', ':authority': 'limited.example.com' })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await h2request(session, { ':path': '/', ':authority': 'limited.example.com' });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['connection']).toBeUndefined();
    expect((await h2request(session, { ':path': '/', ':authority': 'other.example.com' })).status).toBe(200);
  });

  it('announces SETTINGS_MAX_CONCURRENT_STREAMS and never has more streams of one connection at the backend', async () => {
    const session = await open(`https://127.0.0.1:${sluice.httpsPort}`, 'a.example.com');
    await new Promise<void>((r) => (session.remoteSettings.maxConcurrentStreams === 3 ? r() : session.once('remoteSettings', () => r())));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(3);
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => h2request(session, { ':path': `/slow?i=${i}`, ':authority': 'a.example.com' })));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(slow.maxInFlight()).toBeLessThanOrEqual(3);
    expect(slow.maxInFlight()).toBeGreaterThan(1);
  });

  it('answers 421 when the host belongs to another listener than the connection\'s SNI (h2 and HTTP/1.1)', async () => {
    const session = await open(`https://127.0.0.1:${sluice.httpsPort}`, 'a.example.com');
    expect((await h2request(session, { ':path': '/', ':authority': 'a.example.com' })).status).toBe(200);
    expect((await h2request(session, { ':path': '/', ':authority': 'b.example.com' })).status).toBe(421);
    expect((await getTls(sluice.httpsPort, 'a.example.com', 'b.example.com')).status).toBe(421);
    expect((await getTls(sluice.httpsPort, 'b.example.com', 'b.example.com:443')).status).toBe(200);
  });

  it('sends GOAWAY on drain and lets the stream in flight finish', async () => {
    const session = await open(`https://127.0.0.1:${sluice.httpsPort}`, 'a.example.com');
    const goaway = new Promise<number>((r) => session.once('goaway', (code: number) => r(code)));
    const inFlight = h2request(session, { ':path': '/slow?ms=1500', ':authority': 'a.example.com' });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = sluice.stop('SIGTERM');
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.body).toBe('slow\n');
    await stopped;
  });
});

describe('HTTP/2 off (--http2=false, no --http2-cleartext)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;

  beforeAll(async () => {
    const echoPort = await freePort();
    servers = [await startEchoBackend('echo', echoPort)];
    // Only the echo route: the slow and h2c backends are not needed here.
    dir.write('gateway.yaml', MANIFESTS.split('\n').filter((line) => !/slow|h2c/.test(line)).join('\n'));
    dir.write('echo.yaml', serviceYaml('web', 'echo', [{ port: echoPort }]));
    dir.write('a-cert.yaml', tlsSecretYaml('web', 'a-cert', selfSignedPair('a.example.com')));
    dir.write('b-cert.yaml', tlsSecretYaml('web', 'b-cert', selfSignedPair('b.example.com')));
    sluice = await startSluice(dir.path, ['--http2=false']);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('offers only HTTP/1.1 by ALPN and refuses the h2c preface on HTTP listeners', async () => {
    const url = `https://a.example.com:${sluice.httpsPort}/`;
    const r = await run('curl', ['-sk', '--http2', '--resolve', `a.example.com:${sluice.httpsPort}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_version} %{http_code}', url]);
    expect(r.stdout).toBe('1.1 200');
    const prior = await run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `http://127.0.0.1:${sluice.httpPort}/`]).catch((err: { stdout: string }) => err);
    expect(prior.stdout).not.toBe('2 200');
    // Upgrade: h2c is not taken either: the request is served as HTTP/1.1.
    const up = await run('curl', ['-s', '--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `http://127.0.0.1:${sluice.httpPort}/`]);
    expect(up.stdout).toBe('1.1 200');
  });
});
