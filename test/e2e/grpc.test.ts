// gRPC end to end with real grpc-js clients and a real grpc-js server (h2c, grpc.health.v1 and
// an echo service): GRPCRoute service/method routing over prior-knowledge h2c on an HTTP
// listener (no --http2-cleartext: the GRPCRoute turns it on) and over TLS h2 on an HTTPS
// listener, header filters both ways, server streaming, trailers (grpc-status, grpc-message and
// custom trailer metadata) passed through, and Sluice's own answers as gRPC statuses:
// UNAVAILABLE (14) for a dead endpoint and for no endpoint, RESOURCE_EXHAUSTED (8) past a
// circuit-breaker limit (x-sluice-overflow as metadata), UNIMPLEMENTED (12) for no route.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, GATEWAY_CLASS_YAML, ManifestDir, selfSignedPair, startSluice, tlsSecretYaml, type Sluice } from './support/harness.js';
import { echoClient, type EchoClient, type EchoReply, grpc, type GrpcBackend, healthClient, startGrpcBackend, unary } from './support/grpc.js';

function serviceYaml(name: string, port: number | undefined): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: rpc }
spec: { ports: [{ name: grpc, port: 9000, appProtocol: kubernetes.io/h2c }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: rpc, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: grpc, port: ${port ?? 1} }]
endpoints: ${port === undefined ? '[]' : '[{ addresses: ["127.0.0.1"], conditions: { ready: true } }]'}
`;
}

const ROUTES = `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: rpc }
spec:
  gatewayClassName: sluice
  listeners:
    - { name: http, port: 80, protocol: HTTP }
    - { name: https, port: 443, protocol: HTTPS, hostname: grpc.example.com, tls: { certificateRefs: [{ name: grpc-cert }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo, namespace: rpc }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [grpc.example.com]
  rules:
    - matches: [{ method: { service: sluice.echo.Echo } }]
      filters:
        - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-via, value: sluice }] } }
        - { type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: x-served-by, value: sluice }] } }
      backendRefs: [{ name: grpc-echo, port: 9000 }]
    - matches: [{ method: { service: grpc.health.v1.Health, method: Check } }]
      backendRefs: [{ name: grpc-echo, port: 9000 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: broken, namespace: rpc }
spec:
  parentRefs: [{ name: gw, sectionName: http }]
  hostnames: [down.example.com, empty.example.com]
  rules:
    - matches: [{ method: { service: sluice.echo.Echo }, headers: [{ name: x-target, value: down }] }]
      backendRefs: [{ name: grpc-down, port: 9000 }]
    - matches: [{ method: { service: sluice.echo.Echo } }]
      backendRefs: [{ name: grpc-empty, port: 9000 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: limited, namespace: rpc }
spec:
  parentRefs: [{ name: gw, sectionName: http }]
  hostnames: [limited.example.com]
  rules: [{ backendRefs: [{ name: grpc-limited, port: 9000 }] }]
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: one-at-a-time, namespace: rpc }
spec:
  targetRefs: [{ group: "", kind: Service, name: grpc-limited }]
  circuitBreaker: { maxParallelRequests: 1 }
`;

describe('gRPC through GRPCRoute (file mode, grpc-js client and server)', () => {
  const dir = new ManifestDir();
  const cert = selfSignedPair('grpc.example.com');
  let backend: GrpcBackend;
  let sluice: Sluice;
  const clients: grpc.Client[] = [];
  const track = <T extends grpc.Client>(c: T): T => (clients.push(c), c);

  beforeAll(async () => {
    backend = await startGrpcBackend('echo-1');
    dir.write('routes.yaml', ROUTES);
    dir.write('cert.yaml', tlsSecretYaml('rpc', 'grpc-cert', cert));
    dir.write('echo.yaml', serviceYaml('grpc-echo', backend.port));
    dir.write('down.yaml', serviceYaml('grpc-down', await freePort()));
    dir.write('empty.yaml', serviceYaml('grpc-empty', undefined));
    dir.write('limited.yaml', serviceYaml('grpc-limited', backend.port));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await sluice?.stop();
    await backend?.stop();
    dir.remove();
  });

  const h2c = (authority = 'grpc.example.com'): EchoClient => track(echoClient(sluice.httpPort, { authority }));

  it('routes a unary call over prior-knowledge h2c, with header filters both ways', async () => {
    const client = h2c();
    const out = await unary<EchoReply>((md, o, cb) => client.Unary({ message: 'hello' }, md, o, cb), { 'x-client': 'jest' });
    expect(out.error).toBeUndefined();
    expect(out.reply).toMatchObject({ message: 'hello', backend: 'echo-1' });
    expect(out.reply!.metadata).toEqual(expect.arrayContaining(['x-via: sluice', 'x-client: jest']));
    // Connection-specific headers never reach an h2 backend; TE: trailers does.
    expect(out.reply!.metadata.some((l) => l.startsWith('connection:') || l.startsWith('keep-alive:'))).toBe(false);
    expect(out.headers?.get('x-served-by')).toEqual(['sluice']);
  });

  it('streams a server-streaming call message by message', async () => {
    const client = h2c();
    const stream = client.ServerStream({ message: 'tick', count: 5, delayMs: 20 }, new grpc.Metadata());
    const got: EchoReply[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (r: EchoReply) => got.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    expect(got.map((r) => r.message)).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
  });

  it('passes the backend\'s trailers through: grpc-status, grpc-message and its own metadata', async () => {
    const client = h2c();
    const out = await unary<EchoReply>((md, o, cb) => client.Fail({ code: grpc.status.FAILED_PRECONDITION, message: 'not today: 100%' }, md, o, cb));
    expect(out.error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(out.error?.details).toBe('not today: 100%');
    expect(out.trailers?.get('x-fail-detail')).toEqual(['from-backend']);
  });

  it('serves grpc.health.v1 Check through the route', async () => {
    const client = track(healthClient(sluice.httpPort, { authority: 'grpc.example.com' }));
    const out = await unary<{ status: string }>((md, o, cb) => client.Check({ service: '' }, md, o, cb));
    expect(out.reply).toEqual({ status: 'SERVING' });
  });

  it('serves gRPC over TLS h2 on the HTTPS listener', async () => {
    const client = track(echoClient(sluice.httpsPort, { authority: 'grpc.example.com', ca: Buffer.from(cert.crt, 'base64') }));
    const out = await unary<EchoReply>((md, o, cb) => client.Unary({ message: 'over tls' }, md, o, cb));
    expect(out.error).toBeUndefined();
    expect(out.reply).toMatchObject({ message: 'over tls', backend: 'echo-1' });
  });

  it('answers UNAVAILABLE (14) as a gRPC status when the endpoint refuses the connection', async () => {
    const client = h2c('down.example.com');
    const out = await unary<EchoReply>((md, o, cb) => client.Unary({ message: 'x' }, md, o, cb), { 'x-target': 'down' });
    expect(out.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(out.error?.details).toBe('upstream connect error');
  });

  it('answers UNAVAILABLE (14) when the backend has no endpoint', async () => {
    const client = h2c('empty.example.com');
    const out = await unary<EchoReply>((md, o, cb) => client.Unary({ message: 'x' }, md, o, cb));
    expect(out.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(out.error?.details).toBe('no ready endpoint');
  });

  it('answers RESOURCE_EXHAUSTED (8) past a circuit-breaker limit, the call in flight unharmed', async () => {
    const client = h2c('limited.example.com');
    const slow = unary<EchoReply>((md, o, cb) => client.Unary({ message: 'slow', delayMs: 1500 }, md, o, cb));
    // The slow call is in flight once the backend has counted it.
    const before = backend.calls.get('Unary') ?? 0;
    for (let i = 0; i < 100 && (backend.calls.get('Unary') ?? 0) === before; i++) await new Promise((r) => setTimeout(r, 20));
    const refused = await unary<EchoReply>((md, o, cb) => client.Unary({ message: 'second' }, md, o, cb));
    expect(refused.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.error?.details).toBe('upstream overflow');
    expect(refused.error?.metadata.get('x-sluice-overflow')).toEqual(['maxParallelRequests']);
    expect((await slow).reply).toMatchObject({ message: 'slow' });
  });

  it('answers UNIMPLEMENTED (12) when no route matches the method', async () => {
    const client = track(healthClient(sluice.httpPort, { authority: 'down.example.com' }));
    const out = await unary<{ status: string }>((md, o, cb) => client.Check({ service: '' }, md, o, cb));
    expect(out.error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(out.error?.details).toBe('no route');
  });
});
