// gRPC to TLS backends (file mode): a GRPCRoute whose Service has a BackendTLSPolicy reaches a
// grpc-js server that speaks gRPC over TLS only — HTTP/2 negotiated by ALPN, the policy's CA
// and hostname verified — for unary and streaming calls; a backend whose certificate another
// CA signed gets UNAVAILABLE (14), never a call without verification.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GATEWAY_CLASS_YAML, ManifestDir, metricValue, startSluice, type Sluice } from './support/harness.js';
import { echoClient, type EchoClient, type EchoReply, grpc, type GrpcBackend, startGrpcBackend, unary } from './support/grpc.js';
import { caConfigMap, issue, makeCa } from './support/pki.js';

function service(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: rpc }
spec: { ports: [{ name: grpc, port: 9443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: rpc, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: grpc, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: rpc }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${name} }]
  validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }], hostname: ${name}.rpc.svc }
`;
}

function routes(): string {
  return `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: rpc }
spec:
  gatewayClassName: sluice
  listeners: [{ name: http, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: secure, namespace: rpc }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [secure.example.com]
  rules: [{ backendRefs: [{ name: secure-echo, port: 9443 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: forged, namespace: rpc }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [forged.example.com]
  rules: [{ backendRefs: [{ name: forged-echo, port: 9443 }] }]
`;
}

describe('gRPC to TLS backends (BackendTLSPolicy, grpc-js over TLS)', () => {
  const dir = new ManifestDir();
  const ca = makeCa('backend-ca');
  const otherCa = makeCa('someone-else');
  let secure: GrpcBackend;
  let forged: GrpcBackend;
  let sluice: Sluice;
  const clients: grpc.Client[] = [];
  const client = (authority: string): EchoClient => {
    const c = echoClient(sluice.httpPort, { authority });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    secure = await startGrpcBackend('secure-1', issue(ca, 'secure-echo.rpc.svc', { dns: ['secure-echo.rpc.svc'] }));
    forged = await startGrpcBackend('forged-1', issue(otherCa, 'forged-echo.rpc.svc', { dns: ['forged-echo.rpc.svc'] }));
    dir.write('routes.yaml', routes());
    dir.write('ca.yaml', caConfigMap('rpc', 'backend-ca', ca));
    dir.write('secure.yaml', service('secure-echo', secure.port));
    dir.write('forged.yaml', service('forged-echo', forged.port));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await sluice?.stop();
    await secure?.stop();
    await forged?.stop();
    dir.remove();
  });

  it('carries a unary call over TLS h2 to the backend, verified against the policy CA', async () => {
    const c = client('secure.example.com');
    const r = await unary<EchoReply>((md, o, cb) => c.Unary({ message: 'over tls' }, md, o, cb));
    expect(r.error).toBeUndefined();
    expect(r.reply).toMatchObject({ message: 'over tls', backend: 'secure-1' });
    expect(secure.calls.get('Unary')).toBe(1);
  });

  it('streams a server-streaming call over the TLS connection', async () => {
    const c = client('secure.example.com');
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = c.ServerStream({ message: 'tick', count: 3 }, new grpc.Metadata());
      call.on('data', (r: EchoReply) => replies.push(r.message));
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    expect(replies).toEqual(['tick 0', 'tick 1', 'tick 2']);
  });

  it('answers UNAVAILABLE (14) when the backend certificate fails verification, and counts it', async () => {
    const c = client('forged.example.com');
    const r = await unary<EchoReply>((md, o, cb) => c.Unary({ message: 'x' }, md, o, cb));
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(forged.calls.get('Unary')).toBeUndefined();
    expect(await metricValue(sluice, 'sluice_upstream_tls_failures_total')).toBeGreaterThanOrEqual(1);
  });
});
