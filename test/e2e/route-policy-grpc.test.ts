// RoutePolicy on GRPCRoutes end to end, with a real grpc-js client and server (file mode): a
// refusal reaches the client as a gRPC status in a trailers-only answer — ipAccess deny →
// PERMISSION_DENIED, basicAuth without credentials → UNAUTHENTICATED (WWW-Authenticate still
// sent, as metadata), with them OK; a rate limit on one GRPCRoute rule (sectionName) →
// RESOURCE_EXHAUSTED past its burst while the other rule is unlimited — and an HTTPRoute of the
// same name on the same Gateway is untouched by the GRPCRoute-targeted policy.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GATEWAY_CLASS_YAML, get, ManifestDir, serviceYaml, startBackends, startSluice, stopBackends, type Backend, type Sluice } from './support/harness.js';
import { echoClient, type EchoClient, type EchoReply, grpc, type GrpcBackend, healthClient, type HealthClient, startGrpcBackend, unary } from './support/grpc.js';

const NS = 'rpc';

function grpcServiceYaml(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NS} }
spec: { ports: [{ name: grpc, port: 9000 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: ${NS}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: grpc, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]`;
}

function grpcRouteYaml(name: string, host: string, rules: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: ${name}, namespace: ${NS} }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [${host}]
  rules:
${rules}`;
}

function policyYaml(name: string, target: string, body: string): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: ${name}, namespace: ${NS} }
spec:
  targetRefs: [${target}]
  ${body}`;
}

const TO_ECHO = '    - backendRefs: [{ name: grpc-echo, port: 9000 }]';
// bob: {SHA} of "password".
const HTPASSWD = 'bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n';

describe('RoutePolicy on GRPCRoutes (grpc-js client and server)', () => {
  const dir = new ManifestDir();
  let grpcBackend: GrpcBackend;
  let httpBackends: Backend[];
  let sluice: Sluice;
  const clients: grpc.Client[] = [];
  const echo = (authority: string): EchoClient => {
    const c = echoClient(sluice.httpPort, { authority });
    clients.push(c);
    return c;
  };
  const health = (authority: string): HealthClient => {
    const c = healthClient(sluice.httpPort, { authority });
    clients.push(c);
    return c;
  };
  const call = (client: EchoClient, metadata: Record<string, string> = {}) => unary<EchoReply>((md, o, cb) => client.Unary({ message: 'hi' }, md, o, cb), metadata);

  beforeAll(async () => {
    grpcBackend = await startGrpcBackend('echo-1');
    httpBackends = await startBackends(['web-1']);
    dir.write('routes.yaml', [
      GATEWAY_CLASS_YAML,
      `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ${NS} }
spec:
  gatewayClassName: sluice
  listeners: [{ name: http, port: 80, protocol: HTTP }]`,
      grpcRouteYaml('denied', 'denied.example.com', TO_ECHO),
      // An HTTPRoute named like the GRPCRoute: a different target.
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: denied, namespace: ${NS} }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [web.example.com]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]`,
      grpcRouteYaml('secured', 'secured.example.com', TO_ECHO),
      grpcRouteYaml('limited', 'limited.example.com', `    - name: echo
      matches: [{ method: { service: sluice.echo.Echo } }]
      backendRefs: [{ name: grpc-echo, port: 9000 }]
    - name: health
      matches: [{ method: { service: grpc.health.v1.Health } }]
      backendRefs: [{ name: grpc-echo, port: 9000 }]`),
      `apiVersion: v1
kind: Secret
metadata: { name: htpasswd, namespace: ${NS} }
type: sluice.dev/htpasswd
data:
  .htpasswd: ${Buffer.from(HTPASSWD).toString('base64')}`,
      policyYaml('deny-local', '{ group: gateway.networking.k8s.io, kind: GRPCRoute, name: denied }', 'ipAccess: { deny: [127.0.0.0/8] }'),
      policyYaml('basic', '{ group: gateway.networking.k8s.io, kind: GRPCRoute, name: secured }', 'basicAuth: { secretRef: { name: htpasswd }, realm: rpc }'),
      policyYaml('echo-limit', '{ group: gateway.networking.k8s.io, kind: GRPCRoute, name: limited, sectionName: echo }', 'rateLimit: { rules: [{ limit: { requests: 2, unit: Hour } }] }'),
    ].join('\n---\n'));
    dir.write('services.yaml', [grpcServiceYaml('grpc-echo', grpcBackend.port), serviceYaml(NS, 'web', httpBackends.map((b) => ({ port: b.port })))].join('\n---\n'));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await sluice?.stop();
    await grpcBackend?.stop();
    if (httpBackends) await stopBackends(httpBackends);
    dir.remove();
  });

  it('ipAccess deny: the client gets PERMISSION_DENIED and the backend is never called', async () => {
    const before = grpcBackend.calls.get('Unary') ?? 0;
    const out = await call(echo('denied.example.com'));
    expect(out.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(out.error?.details).toBe('forbidden');
    expect(grpcBackend.calls.get('Unary') ?? 0).toBe(before);
  });

  it('the HTTPRoute of the same name on the same Gateway is not affected by the GRPCRoute-targeted policy', async () => {
    const res = await get(sluice.httpPort, 'web.example.com', '/');
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ backend: 'web-1' });
  });

  it('basicAuth: no credentials → UNAUTHENTICATED with WWW-Authenticate; wrong ones too; right ones → OK', async () => {
    const client = echo('secured.example.com');
    const none = await call(client);
    expect(none.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.error?.metadata.get('www-authenticate')).toEqual(['Basic realm="rpc", charset="UTF-8"']);
    const wrong = await call(client, { authorization: `Basic ${Buffer.from('bob:nope').toString('base64')}` });
    expect(wrong.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const right = await call(client, { authorization: `Basic ${Buffer.from('bob:password').toString('base64')}` });
    expect(right.error).toBeUndefined();
    expect(right.reply).toMatchObject({ message: 'hi', backend: 'echo-1' });
  });

  it('a rate limit on one rule (sectionName): RESOURCE_EXHAUSTED after the burst, the other rule unlimited', async () => {
    const client = echo('limited.example.com');
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await call(client));
    expect(outcomes.map((o) => o.error?.code ?? grpc.status.OK)).toEqual([grpc.status.OK, grpc.status.OK, grpc.status.RESOURCE_EXHAUSTED]);
    const limited = outcomes[2]!.error!;
    expect(limited.details).toBe('too many requests');
    expect(Number(limited.metadata.get('retry-after')[0])).toBeGreaterThan(0);
    // The health rule has no limit.
    const checker = health('limited.example.com');
    for (let i = 0; i < 4; i++) {
      const out = await unary<{ status: string }>((md, o, cb) => checker.Check({ service: '' }, md, o, cb));
      expect([i, out.error?.code, out.reply?.status]).toEqual([i, undefined, 'SERVING']);
    }
  });
});
