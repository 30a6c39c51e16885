// Ingress status written by Sluice: status.loadBalancer.ingress from --publish-address (IPs →
// ip, names → hostname) or from --publish-service (load-balancer ingress, else external IPs,
// else cluster IP; followed when that Service changes). Ingresses of other classes are left
// alone, an Ingress that leaves our class loses our address, and status writes (ours or
// anyone's) never cause a table rebuild.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { api, cluster as attach, createNamespace, installRbac, must, type SluiceIdentity } from './support/kube.js';
import { createApp, ingress, paths, service } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let id: SluiceIdentity;
const backends: Backend[] = [];
const className = () => `sluice-${ns}`;

async function statusOf(name: string): Promise<unknown[]> {
  const res = await api(c, 'GET', paths.ingress(ns, name));
  return res.body?.status?.loadBalancer?.ingress ?? [];
}

function statusBecomes(name: string, expected: unknown[], timeoutMs = 20_000): Promise<unknown> {
  return eventually(`status of ${name} to be ${JSON.stringify(expected)}`, async () => {
    const current = await statusOf(name);
    return JSON.stringify(current) === JSON.stringify(expected) ? current : undefined;
  }, timeoutMs);
}

async function swaps(s: Sluice): Promise<string> {
  const text = (await s.admin('/metrics')).body;
  return text.split('\n').filter((l) => l.startsWith('sluice_table_swaps_total')).join('\n');
}

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'k8s-status');
  id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.30.1'], PORT)));
  await createApp(c, ns, { className: className(), host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.30.1' }] });
  await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'foreign', { className: 'someone-else', host: 'foreign.test', service: 'web' }));
}, 60_000);

afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

describe('--publish-address', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    sluice = await Sluice.start({
      kubeconfig: id.kubeconfig,
      ingressClass: className(),
      name: 'sluice-status',
      args: ['--publish-address', '10.77.200.1,lb.sluice.test'],
    });
    await sluice.ready();
  });
  afterAll(async () => {
    await sluice?.stop();
  });

  test('our Ingress gets the published addresses; an Ingress of another class does not', async () => {
    expect((await get(sluice, 'web.test')).status).toBe(200);
    await statusBecomes('web', [{ ip: '10.77.200.1' }, { hostname: 'lb.sluice.test' }]);
    expect(await statusOf('foreign')).toEqual([]);
  });

  test('status writes do not trigger rebuilds (ours, or anyone else\'s)', async () => {
    await sleep(1000); // our own write has come back through the watch by now
    // Nothing changed since Sluice started: the first build is the only one, despite our write.
    const before = await swaps(sluice);
    expect(before).toContain('sluice_table_swaps_total{path="full"} 1');
    const generation = (await sluice.routes()).generation;
    // Someone else writes a status: the store sees a status-only change and ignores it.
    const current = await must(c, 'GET', paths.ingressStatus(ns, 'foreign'));
    await must(c, 'PUT', paths.ingressStatus(ns, 'foreign'), { ...current.body, status: { loadBalancer: { ingress: [{ ip: '10.77.250.250' }] } } });
    await sleep(1500);
    expect((await sluice.routes()).generation).toBe(generation);
    expect(await swaps(sluice)).toBe(before);
    expect(await statusOf('foreign')).toEqual([{ ip: '10.77.250.250' }]);
  });

  test('an Ingress that leaves our class loses our address (only ours)', async () => {
    await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'moving', { className: className(), host: 'moving.test', service: 'web' }));
    await statusBecomes('moving', [{ ip: '10.77.200.1' }, { hostname: 'lb.sluice.test' }]);
    const current = await must(c, 'GET', paths.ingress(ns, 'moving'));
    await must(c, 'PUT', paths.ingress(ns, 'moving'), { ...current.body, spec: { ...current.body.spec, ingressClassName: 'someone-else' } });
    await statusBecomes('moving', []);
    await eventually('moving.test to stop being served', async () => (await get(sluice, 'moving.test')).status === 404);
  });
});

describe('--publish-service', () => {
  let sluice: Sluice;
  const lbPath = () => paths.service(ns, 'sluice-lb');
  beforeAll(async () => {
    await must(c, 'POST', paths.services(ns), service(ns, 'sluice-lb', { type: 'LoadBalancer', externalIPs: ['10.77.201.1'] }));
    sluice = await Sluice.start({
      kubeconfig: id.kubeconfig,
      ingressClass: className(),
      name: 'sluice-status-svc',
      args: ['--publish-service', `${ns}/sluice-lb`],
    });
    await sluice.ready();
  });
  afterAll(async () => {
    await sluice?.stop();
  });

  test('the Service\'s external IPs, then its load-balancer ingress, then its cluster IP', async () => {
    await statusBecomes('web', [{ ip: '10.77.201.1' }]);

    const svc = await must(c, 'GET', `${lbPath()}/status`);
    await must(c, 'PUT', `${lbPath()}/status`, { ...svc.body, status: { loadBalancer: { ingress: [{ ip: '10.77.201.9' }, { hostname: 'edge.sluice.test' }] } } });
    await statusBecomes('web', [{ ip: '10.77.201.9' }, { hostname: 'edge.sluice.test' }]);

    const withLb = await must(c, 'GET', `${lbPath()}/status`);
    await must(c, 'PUT', `${lbPath()}/status`, { ...withLb.body, status: { loadBalancer: {} } });
    const plain = await must(c, 'GET', lbPath());
    await must(c, 'PUT', lbPath(), { ...plain.body, spec: { ...plain.body.spec, externalIPs: [] } });
    await statusBecomes('web', [{ ip: plain.body.spec.clusterIP }]);
    expect(sluice.alive()).toBe(true);
  });
});
