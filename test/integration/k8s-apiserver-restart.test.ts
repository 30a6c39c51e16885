// The apiserver goes away and comes back: Sluice keeps serving its last table meanwhile (no
// failed request, still ready), logs the outage clearly instead of crashing, and catches up
// with what changed once the apiserver is back (informers restarted with backoff). Sluice
// watches one namespace here (--watch-namespace), so it also checks that scoping.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { createApp, endpointSlice, ingress, paths, service, setEndpoints } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get, RequestStream } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let sluice: Sluice;
const backends: Backend[] = [];

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'k8s-restart');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.20.1', '10.77.20.2'], PORT)));
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.20.1' }] });
  // Watch one namespace here (the other suites watch all): --watch-namespace takes the namespaced paths.
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, watchNamespace: ns, name: 'sluice-restart' });
  await sluice.ready();
}, 60_000);

afterAll(async () => {
  if (!c.isApiserverRunning()) await c.startApiserver();
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('--watch-namespace: an Ingress of our class in another namespace is not served', async () => {
  const other = await createNamespace(c, 'k8s-restart-other');
  await must(c, 'POST', paths.services(other), service(other, 'web'));
  await must(c, 'POST', paths.slices(other), endpointSlice(other, 'web-1', 'web', PORT, [{ address: '10.77.20.2' }]));
  await must(c, 'POST', paths.ingresses(other), ingress(other, 'web', { className: `sluice-${ns}`, host: 'elsewhere.test', service: 'web' }));
  await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'probe', { className: `sluice-${ns}`, host: 'probe.test', service: 'web' }));
  // Once the later Ingress in our namespace is served, the earlier one elsewhere would be too.
  await eventually('probe.test to be served', async () => (await get(sluice, 'probe.test')).status === 200);
  expect((await get(sluice, 'elsewhere.test')).status).toBe(404);
});

test('apiserver stopped: Sluice keeps serving the last table; restarted: it catches up', async () => {
  expect(await get(sluice, 'web.test')).toMatchObject({ status: 200, body: 'backend 10.77.20.1' });
  const stream = new RequestStream(sluice, 'web.test', 2, 2);
  try {
    await c.stopApiserver();
    const outage = await sluice.waitForLog('the apiserver outage', (l) => l.code === 'SLUICE_K8S_UNREACHABLE', 40_000);
    expect(outage.msg).toMatch(/apiserver unreachable/);
    await sleep(3000);
    expect(sluice.alive()).toBe(true);
    expect((await sluice.admin('/readyz')).status).toBe(200);
    expect(await get(sluice, 'web.test')).toMatchObject({ status: 200, body: 'backend 10.77.20.1' });
    const duringOutage = stream.answers.length;

    await c.startApiserver();
    // Changes made after the restart reach Sluice: a new endpoint and a new Ingress.
    await setEndpoints(c, ns, 'web-1', 'web', PORT, [{ address: '10.77.20.2' }]);
    await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'web-new', { className: `sluice-${ns}`, host: 'new.test', service: 'web' }));
    await eventually('traffic to the endpoint added after the restart', async () => (await get(sluice, 'web.test')).body === 'backend 10.77.20.2', 60_000, 200);
    await eventually('the Ingress created after the restart', async () => (await get(sluice, 'new.test')).status === 200, 20_000);
    expect(duringOutage).toBeGreaterThan(100);
  } finally {
    await stream.stop();
  }
  expect(stream.failures()).toEqual([]);
  expect(sluice.findLog((l) => l.msg === 'recovered: listing and watching again')).toBeDefined();
  expect(sluice.alive()).toBe(true);
}, 180_000);
