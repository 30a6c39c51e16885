// GRPCRoute against a real apiserver: the v1.6.1 standard-channel CRD (GRPCRoute v1) installed,
// RBAC from deploy/rbac.yaml, statuses written by Sluice (route Accepted/ResolvedRefs, the
// reasons BackendNotFound, InvalidKind and NotAllowedByListeners, listener supportedKinds and
// attachedRoutes counting GRPCRoutes apart from an HTTPRoute of the same name), and real grpc-js calls through Sluice (h2c on an HTTP
// listener, TLS h2 on an HTTPS listener) to grpc-js servers on pod addresses reached through
// EndpointSlices: service/method matches, a header match, weights over two backends, and
// Sluice's own gRPC statuses for no route and no backend.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { echoClient, type EchoClient, type EchoReply, grpc, type GrpcBackend, healthClient, startGrpcBackend, unary } from '../e2e/support/grpc.js';
import { issue, makeCa } from '../e2e/support/pki.js';
import { api, cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { conditionOf, deleteAllGateways, gatewayClass, GATEWAY_CONTROLLER, gwPaths, httpRoute, installGatewayCrds, objectBecomes } from './support/gateway.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { freePort, Sluice } from './support/sluice.js';
import { eventually } from '../support/wait.js';

const GROUP = 'gateway.networking.k8s.io';
const HOST = 'grpc.it.test';
const KINDS_HTTP = [{ group: GROUP, kind: 'HTTPRoute' }, { group: GROUP, kind: 'GRPCRoute' }];
let c: Cluster;
let ns: string;
let sluice: Sluice;
let httpPort: number;
let httpsPort: number;
const ca = makeCa('grpc-it-ca');
const backends = new Map<string, GrpcBackend>();
const clients: grpc.Client[] = [];
const track = <T extends grpc.Client>(client: T): T => (clients.push(client), client);

const grpcRoutes = (namespace: string) => `/apis/${GROUP}/v1/namespaces/${namespace}/grpcroutes`;
const grpcRoute = (name: string) => `${grpcRoutes(ns)}/${name}`;

function route(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: `${GROUP}/v1`, kind: 'GRPCRoute', metadata: { name, namespace: ns }, spec };
}

/** Our status entry of a GRPCRoute, once it carries both conditions. */
interface ParentStatus {
  readonly parentRef: Record<string, unknown>;
  readonly controllerName: string;
  readonly conditions: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[];
}

function ourEntry(name: string, what: string): Promise<ParentStatus> {
  return objectBecomes(c, grpcRoute(name), `GRPCRoute ${name}: ${what}`, (o) => {
    const mine: ParentStatus | undefined = (o.status?.parents ?? []).find((p: ParentStatus) => p.controllerName === GATEWAY_CONTROLLER);
    return mine && conditionOf(mine.conditions, 'Accepted') && conditionOf(mine.conditions, 'ResolvedRefs') ? mine : undefined;
  }, 30_000);
}

/** A Service (port 80 "http") whose EndpointSlice names one grpc-js server on a pod address. */
async function grpcService(name: string, address: string): Promise<void> {
  const backend = await startGrpcBackend(name, undefined, address);
  backends.set(name, backend);
  await must(c, 'POST', paths.services(ns), service(ns, name));
  await must(c, 'POST', paths.slices(ns), endpointSlice(ns, `${name}-1`, name, backend.port, [{ address }]));
}

const h2c = (authority = HOST): EchoClient => track(echoClient(httpPort, { authority }));
const call = (client: EchoClient, message: string, metadata: Record<string, string> = {}) =>
  unary<EchoReply>((md, o, cb) => client.Unary({ message }, md, o, cb), metadata);

beforeAll(async () => {
  c = attach();
  await installGatewayCrds(c);
  await deleteAllGateways(c);
  ns = await createNamespace(c, 'gw-grpc');
  const id = await installRbac(c, ns);
  await grpcService('grpc-a', '10.77.90.1');
  await grpcService('grpc-b', '10.77.90.2');
  const leaf = issue(ca, HOST, { dns: [HOST] });
  await must(c, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'grpc-cert', namespace: ns },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(leaf.cert).toString('base64'), 'tls.key': Buffer.from(leaf.key).toString('base64') },
  });
  httpPort = await freePort();
  httpsPort = await freePort();
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`sluice-${ns}`));
  await must(c, 'POST', gwPaths.gateways(ns), {
    apiVersion: `${GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: ns },
    spec: {
      gatewayClassName: `sluice-${ns}`,
      listeners: [
        { name: 'http', port: httpPort, protocol: 'HTTP' },
        { name: 'https', port: httpsPort, protocol: 'HTTPS', hostname: HOST, tls: { mode: 'Terminate', certificateRefs: [{ name: 'grpc-cert' }] } },
        { name: 'http-only', port: await freePort(), protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] } },
      ],
    },
  });
  // No sectionName: attaches to every listener that allows GRPCRoutes (http and https, not http-only).
  await must(c, 'POST', grpcRoutes(ns), route('echo', {
    parentRefs: [{ name: 'gw' }],
    hostnames: [HOST],
    rules: [
      // The canary header sends Unary calls to grpc-b alone (more specific than the rule below).
      {
        matches: [{ method: { service: 'sluice.echo.Echo', method: 'Unary' }, headers: [{ name: 'x-canary', value: 'yes' }] }],
        backendRefs: [{ name: 'grpc-b', port: 80 }],
      },
      // Unary and ServerStream (not Fail) split 3:1 over both backends.
      {
        matches: [{ method: { type: 'RegularExpression', service: 'sluice\\.echo\\.Echo', method: 'Unary|ServerStream' } }],
        backendRefs: [{ name: 'grpc-a', port: 80, weight: 3 }, { name: 'grpc-b', port: 80, weight: 1 }],
      },
      { matches: [{ method: { service: 'grpc.health.v1.Health', method: 'Check' } }], backendRefs: [{ name: 'grpc-a', port: 80 }] },
    ],
  }));
  await must(c, 'POST', grpcRoutes(ns), route('missing-service', {
    parentRefs: [{ name: 'gw', sectionName: 'http' }],
    hostnames: ['missing.it.test'],
    rules: [{ backendRefs: [{ name: 'grpc-nowhere', port: 80 }] }],
  }));
  await must(c, 'POST', grpcRoutes(ns), route('foreign-kind', {
    parentRefs: [{ name: 'gw', sectionName: 'http' }],
    hostnames: ['foreign.it.test'],
    rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'objects', port: 80 }] }],
  }));
  await must(c, 'POST', grpcRoutes(ns), route('http-only', {
    parentRefs: [{ name: 'gw', sectionName: 'http-only' }],
    hostnames: ['refused.it.test'],
    rules: [{ backendRefs: [{ name: 'grpc-a', port: 80 }] }],
  }));
  // An HTTPRoute of the same name as a GRPCRoute: a route of its own in attachedRoutes.
  await must(c, 'POST', gwPaths.routes(ns), httpRoute(ns, 'echo', { gateway: { namespace: ns, name: 'gw' }, host: 'web.it.test', backends: [{ name: 'grpc-a' }] }));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-grpc' });
  await sluice.ready();
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await sluice?.stop();
  await Promise.all([...backends.values()].map((b) => b.stop()));
  if (c && ns) await api(c, 'DELETE', gwPaths.gateway(ns, 'gw'));
});

test('a valid GRPCRoute: Accepted=True and ResolvedRefs=True for its Gateway, at the current generation', async () => {
  const entry = await ourEntry('echo', 'our status entry');
  const generation = (await must(c, 'GET', grpcRoute('echo'))).body.metadata.generation;
  expect(entry.parentRef).toEqual({ group: GROUP, kind: 'Gateway', name: 'gw' }); // the spec's, group and kind defaulted by the CRD
  expect(conditionOf(entry.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: generation });
  expect(conditionOf(entry.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs', observedGeneration: generation });
}, 60_000);

test('a backendRef to a missing Service: Accepted, ResolvedRefs=False/BackendNotFound; calls get UNAVAILABLE (GRPCRoute spec)', async () => {
  const entry = await ourEntry('missing-service', 'our status entry');
  expect(conditionOf(entry.conditions, 'Accepted')?.status).toBe('True');
  expect(conditionOf(entry.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
  expect(conditionOf(entry.conditions, 'ResolvedRefs')!.message).toContain(`${ns}/grpc-nowhere`);
  const out = await call(h2c('missing.it.test'), 'anyone?');
  expect(out.error?.code).toBe(grpc.status.UNAVAILABLE);
  expect(out.error?.details).toBe('no valid backend');
}, 60_000);

test('a backendRef of a kind Sluice does not serve: ResolvedRefs=False/InvalidKind', async () => {
  const entry = await ourEntry('foreign-kind', 'our status entry');
  expect(conditionOf(entry.conditions, 'Accepted')?.status).toBe('True');
  expect(conditionOf(entry.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidKind' });
  expect(conditionOf(entry.conditions, 'ResolvedRefs')!.message).toContain('example.com/Bucket');
}, 60_000);

test('a GRPCRoute on a listener that only allows HTTPRoutes: Accepted=False/NotAllowedByListeners, not served', async () => {
  const entry = await ourEntry('http-only', 'our status entry');
  expect(entry.parentRef).toEqual({ group: GROUP, kind: 'Gateway', name: 'gw', sectionName: 'http-only' });
  expect(conditionOf(entry.conditions, 'Accepted')).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
  const out = await call(h2c('refused.it.test'), 'let me in');
  expect(out.error?.code).toBe(grpc.status.UNIMPLEMENTED);
  expect(out.error?.details).toBe('no route');
}, 60_000);

test('listeners: GRPCRoute among the supportedKinds of HTTP and HTTPS listeners, attachedRoutes counting GRPCRoutes', async () => {
  const gw = await objectBecomes(c, gwPaths.gateway(ns, 'gw'), 'the listeners with their attached GRPCRoutes', (o) => {
    const http = (o.status?.listeners ?? []).find((l: { name: string }) => l.name === 'http');
    return http?.attachedRoutes === 4 && o;
  }, 30_000);
  const byName = Object.fromEntries(gw.status.listeners.map((l: { name: string }) => [l.name, l]));
  // The GRPCRoutes echo, missing-service and foreign-kind (unresolved references still attach),
  // and the HTTPRoute echo; https: the GRPCRoute echo alone (the HTTPRoute's hostname is not its
  // own); http-only: the HTTPRoute alone, not the GRPCRoutes naming it.
  expect(byName.http).toMatchObject({ attachedRoutes: 4, supportedKinds: KINDS_HTTP });
  expect(byName.https).toMatchObject({ attachedRoutes: 1, supportedKinds: KINDS_HTTP });
  expect(byName['http-only']).toMatchObject({ attachedRoutes: 1, supportedKinds: [{ group: GROUP, kind: 'HTTPRoute' }] });
  for (const name of ['http', 'https', 'http-only']) {
    expect([name, conditionOf(byName[name].conditions, 'Programmed')?.status]).toEqual([name, 'True']);
    expect([name, conditionOf(byName[name].conditions, 'ResolvedRefs')?.status]).toEqual([name, 'True']);
  }
  expect(conditionOf(gw.status.conditions, 'Programmed')?.status).toBe('True');
}, 60_000);

test('a unary call over h2c reaches a grpc-js server through EndpointSlices; the method match keeps Fail unrouted', async () => {
  const client = h2c();
  const out = await eventually('a unary call to be served', async () => {
    const o = await call(client, 'hello');
    return o.reply ? o : undefined;
  }, 20_000, 200);
  expect(out.reply).toMatchObject({ message: 'hello' });
  expect(['grpc-a', 'grpc-b']).toContain(out.reply!.backend);
  const health = track(healthClient(httpPort, { authority: HOST }));
  const checked = await unary<{ status: string }>((md, o, cb) => health.Check({ service: '' }, md, o, cb));
  expect(checked.reply).toEqual({ status: 'SERVING' });
  expect(backends.get('grpc-a')!.calls.get('Check')).toBe(1);
  const fail = await unary<EchoReply>((md, o, cb) => client.Fail({ code: grpc.status.INTERNAL, message: 'never sent' }, md, o, cb));
  expect(fail.error?.code).toBe(grpc.status.UNIMPLEMENTED);
  expect(fail.error?.details).toBe('no route');
  expect([...backends.values()].map((b) => b.calls.get('Fail') ?? 0)).toEqual([0, 0]);
}, 60_000);

test('weights 3:1 split calls over both backends; the header match sends every call to grpc-b', async () => {
  const client = h2c();
  const hits = new Map<string, number>();
  for (let i = 0; i < 80; i++) {
    const out = await call(client, `weighted ${i}`);
    const key = out.reply?.backend ?? `error ${out.error?.code}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
  }
  // Smooth weighted round robin (README): any 4 calls in a row go 3 to grpc-a, 1 to grpc-b.
  expect(Object.fromEntries(hits)).toEqual({ 'grpc-a': 60, 'grpc-b': 20 });
  const canary = new Set<string>();
  for (let i = 0; i < 20; i++) canary.add((await call(client, `canary ${i}`, { 'x-canary': 'yes' })).reply?.backend ?? 'error');
  expect([...canary]).toEqual(['grpc-b']);
  // The header reaches the backend as metadata.
  expect((await call(client, 'seen?', { 'x-canary': 'yes' })).reply!.metadata).toContain('x-canary: yes');
}, 60_000);

test('server streaming over TLS h2 on the HTTPS listener', async () => {
  const client = track(echoClient(httpsPort, { authority: HOST, ca: Buffer.from(ca.cert) }));
  const stream = client.ServerStream({ message: 'tick', count: 4 }, new grpc.Metadata(), { deadline: Date.now() + 10_000 });
  const got: EchoReply[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (r: EchoReply) => got.push(r));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  expect(got.map((r) => r.message)).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3']);
  expect(new Set(got.map((r) => r.backend)).size).toBe(1); // one call, one backend
  expect(sluice.logs.filter((l) => l.level >= 50)).toEqual([]);
}, 60_000);
