// TLSRoute and TCPRoute against a real apiserver: the v1.6.1 CRDs (standard channel) installed,
// RBAC from deploy/rbac.yaml, statuses written (route Accepted/ResolvedRefs, listener
// supportedKinds and attachedRoutes), and a real connection through the TCP listener to a pod
// address (plain HTTP spliced byte for byte).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connect } from 'node:net';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { conditionOf, gatewayClass, gwPaths, installGatewayCrds, objectBecomes } from './support/gateway.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { freePort, Sluice } from './support/sluice.js';

const PORT = 8080;
const GROUP = 'gateway.networking.k8s.io';
let c: Cluster;
let ns: string;
let sluice: Sluice;
let tcpPort: number;
const backends: Backend[] = [];

const l4Path = (plural: string, name?: string) => `/apis/${GROUP}/v1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;

beforeAll(async () => {
  c = attach();
  await installGatewayCrds(c);
  ns = await createNamespace(c, 'gw-l4');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.80.1'], PORT)));
  await must(c, 'POST', paths.services(ns), service(ns, 'db'));
  await must(c, 'POST', paths.slices(ns), endpointSlice(ns, 'db-1', 'db', PORT, [{ address: '10.77.80.1' }]));
  tcpPort = await freePort();
  const tlsPort = await freePort();
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`sluice-${ns}`));
  await must(c, 'POST', gwPaths.gateways(ns), {
    apiVersion: `${GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name: 'l4', namespace: ns },
    spec: {
      gatewayClassName: `sluice-${ns}`,
      listeners: [
        { name: 'tls', port: tlsPort, protocol: 'TLS', tls: { mode: 'Passthrough' } },
        { name: 'tcp', port: tcpPort, protocol: 'TCP' },
      ],
    },
  });
  await must(c, 'POST', l4Path('tlsroutes'), {
    apiVersion: `${GROUP}/v1`,
    kind: 'TLSRoute',
    metadata: { name: 'secure', namespace: ns },
    spec: { parentRefs: [{ name: 'l4', sectionName: 'tls' }], hostnames: ['secure.l4.test'], rules: [{ backendRefs: [{ name: 'missing', port: 443 }] }] },
  });
  await must(c, 'POST', l4Path('tcproutes'), {
    apiVersion: `${GROUP}/v1`,
    kind: 'TCPRoute',
    metadata: { name: 'db', namespace: ns },
    spec: { parentRefs: [{ name: 'l4', sectionName: 'tcp' }], rules: [{ backendRefs: [{ name: 'db', port: 80 }] }] },
  });
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-l4' });
  await sluice.ready();
}, 120_000);

afterAll(async () => {
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  if (c && ns) await must(c, 'DELETE', gwPaths.gateway(ns, 'l4')).catch(() => undefined);
});

test('TCPRoute and TLSRoute statuses are written', async () => {
  const tcp = await objectBecomes(c, l4Path('tcproutes', 'db'), 'the TCPRoute to be accepted', (o) => {
    const p = o.status?.parents?.[0];
    return conditionOf(p?.conditions, 'Accepted')?.status === 'True' && conditionOf(p?.conditions, 'ResolvedRefs')?.status === 'True' ? p : undefined;
  }, 30_000);
  expect(tcp.controllerName).toBe('sluice.dev/gateway-controller');
  // The TLSRoute is accepted, but its backend Service does not exist.
  const tls = await objectBecomes(c, l4Path('tlsroutes', 'secure'), 'the TLSRoute status', (o) => o.status?.parents?.[0], 30_000);
  expect(conditionOf(tls.conditions, 'Accepted')).toMatchObject({ status: 'True' });
  expect(conditionOf(tls.conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
  const gw = await objectBecomes(c, gwPaths.gateway(ns, 'l4'), 'the Gateway listeners', (o) => (o.status?.listeners?.length === 2 ? o : undefined));
  const byName = Object.fromEntries(gw.status.listeners.map((l: { name: string }) => [l.name, l]));
  expect(byName.tls).toMatchObject({ attachedRoutes: 1, supportedKinds: [{ group: GROUP, kind: 'TLSRoute' }] });
  expect(byName.tcp).toMatchObject({ attachedRoutes: 1, supportedKinds: [{ group: GROUP, kind: 'TCPRoute' }] });
  expect(conditionOf(byName.tcp.conditions, 'Programmed')?.status).toBe('True');
}, 60_000);

test('a connection to the TCP listener reaches the pod', async () => {
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    const s = connect({ host: '127.0.0.1', port: tcpPort }, () => s.write('GET / HTTP/1.1\r\nHost: db\r\nConnection: close\r\n\r\n'));
    s.setEncoding('utf8').on('data', (d: string) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain('backend 10.77.80.1');
  expect(sluice.logs.filter((l) => l.level >= 50)).toEqual([]);
}, 30_000);
