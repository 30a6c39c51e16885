// Canary weights through an HTTPRoute in a cluster: a 90/10 split measured over 2000 requests
// lands within ±3 points, and a weight change made while requests flow takes effect within 1 s
// with no failed request.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { deleteAllGateways, gateway, gatewayClass, gwPaths, httpRoute, installGatewayCrds, type WeightedBackend } from './support/gateway.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get, RequestStream, spread } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
const HOST = 'shop.canary.test';
const STABLE = 'backend 10.77.61.1';
const CANARY = 'backend 10.77.61.2';
let c: Cluster;
let ns: string;
let sluice: Sluice;
const backends: Backend[] = [];

function route(weights: readonly WeightedBackend[], resourceVersion?: string): unknown {
  return httpRoute(ns, 'shop', { gateway: { namespace: ns, name: 'gw' }, host: HOST, backends: weights, ...(resourceVersion ? { resourceVersion } : {}) });
}

beforeAll(async () => {
  c = attach();
  await installGatewayCrds(c);
  await deleteAllGateways(c);
  ns = await createNamespace(c, 'gw-canary');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.61.1', '10.77.61.2'], PORT)));
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`sluice-${ns}`));
  await must(c, 'POST', gwPaths.gateways(ns), gateway(ns, 'gw', `sluice-${ns}`));
  for (const [name, address] of [['stable', '10.77.61.1'], ['canary', '10.77.61.2']] as const) {
    await must(c, 'POST', paths.services(ns), service(ns, name));
    await must(c, 'POST', paths.slices(ns), endpointSlice(ns, `${name}-1`, name, PORT, [{ address }]));
  }
  await must(c, 'POST', gwPaths.routes(ns), route([{ name: 'stable', weight: 90 }, { name: 'canary', weight: 10 }]));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-canary' });
  await sluice.ready();
  await eventually(`${HOST} to be served`, async () => (await get(sluice, HOST)).status === 200);
}, 90_000);

afterAll(async () => {
  await sluice?.stop();
  await deleteAllGateways(c);
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('a 90/10 split over 2000 requests lands within ±3 points', async () => {
  const hits = await spread(sluice, HOST, 2000);
  const canaryShare = (100 * (hits.get(CANARY) ?? 0)) / 2000;
  console.log(`canary share over 2000 requests: ${canaryShare.toFixed(2)} % (${JSON.stringify([...hits])})`);
  expect((hits.get(STABLE) ?? 0) + (hits.get(CANARY) ?? 0)).toBe(2000);
  expect(Math.abs(canaryShare - 10)).toBeLessThanOrEqual(3);
}, 60_000);

test('a weight change while requests flow takes effect within 1 s, no failed request', async () => {
  const stream = new RequestStream(sluice, HOST, 4, 1);
  await sleep(500);
  const current = await must(c, 'GET', gwPaths.route(ns, 'shop'));
  const sentAt = performance.now();
  await must(c, 'PUT', gwPaths.route(ns, 'shop'), route([{ name: 'stable', weight: 0 }, { name: 'canary', weight: 100 }], current.body.metadata.resourceVersion));
  await sleep(2000);
  const answers = await stream.stop();
  expect(stream.failures()).toEqual([]);
  const lastStable = Math.max(...answers.filter((a) => a.body === STABLE).map((a) => a.at));
  const tookMs = lastStable - sentAt;
  console.log(`weight change 90/10 → 0/100: last answer from stable ${tookMs.toFixed(1)} ms after the PUT was sent (${answers.length} requests, 0 failed)`);
  expect(tookMs).toBeLessThan(1000);
  const after = answers.filter((a) => a.at > sentAt + 1000);
  expect(after.length).toBeGreaterThan(100);
  expect(after.every((a) => a.body === CANARY)).toBe(true);
}, 30_000);
