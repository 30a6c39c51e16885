// A cluster that installs Gateway API after Sluice started: Sluice becomes ready without the CRDs
// (they do not hold back the sync gate), then finds them by periodic discovery and serves an
// HTTPRoute without a restart. This suite deletes the CRDs first (the apiserver removes their
// objects itself) and leaves them installed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { conditionOf, deleteGatewayCrds, gateway, gatewayClass, gwPaths, httpRoute, installGatewayCrds, objectBecomes } from './support/gateway.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let sluice: Sluice;
const backends: Backend[] = [];

beforeAll(async () => {
  c = attach();
  await deleteGatewayCrds(c);
  ns = await createNamespace(c, 'gw-late');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.62.1'], PORT)));
  await must(c, 'POST', paths.services(ns), service(ns, 'web'));
  await must(c, 'POST', paths.slices(ns), endpointSlice(ns, 'web-1', 'web', PORT, [{ address: '10.77.62.1' }]));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-late-crds' });
}, 120_000);

afterAll(async () => {
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('ready without the Gateway API CRDs', async () => {
  await sluice.ready();
  await sluice.waitForLog('that the CRDs are missing', (l) => l.msg === 'Gateway API CRDs not (all) installed: checking again periodically');
});

test('CRDs installed after start: watched and served without a restart', async () => {
  const installedAt = Date.now();
  await installGatewayCrds(c);
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`sluice-${ns}`));
  await must(c, 'POST', gwPaths.gateways(ns), gateway(ns, 'gw', `sluice-${ns}`));
  await must(c, 'POST', gwPaths.routes(ns), httpRoute(ns, 'web', { gateway: { namespace: ns, name: 'gw' }, host: 'late.gw.test', backends: [{ name: 'web' }] }));
  await eventually('late.gw.test to be served', async () => (await get(sluice, 'late.gw.test')).body === 'backend 10.77.62.1', 60_000, 250);
  console.log(`Gateway API picked up ${Date.now() - installedAt} ms after the CRDs were installed`);
  await sluice.waitForLog('that the CRDs were found', (l) => l.msg === 'Gateway API CRDs found: watching them');
  await objectBecomes(c, gwPaths.gatewayClass(`sluice-${ns}`), 'the GatewayClass to be accepted', (o) => conditionOf(o.status?.conditions, 'Accepted')?.status === 'True');
  expect(sluice.logs.filter((l) => l.level >= 50)).toEqual([]);
  await must(c, 'DELETE', gwPaths.gateway(ns, 'gw'));
}, 90_000);
