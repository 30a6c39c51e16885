// Leader election on a Lease with two real Sluice processes. Both serve traffic; only the
// leader writes Ingress status (each publishes a different address here, so the status shows
// who wrote it). The leader is killed (SIGKILL, no release) → the other takes over after the
// lease duration and writes status. With the apiserver gone the leader steps down without
// crashing and takes the lease back afterwards. A leader stopped with SIGTERM releases the
// Lease, so the other takes over at once.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { api, cluster as attach, createNamespace, installRbac, type SluiceIdentity } from './support/kube.js';
import { createApp, paths } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let id: SluiceIdentity;
const backends: Backend[] = [];
const started: Sluice[] = [];

const LEASE_FLAGS = ['--leader-elect', '--lease-duration', '3s', '--lease-renew-deadline', '2s', '--lease-retry-period', '500ms'];

async function replica(name: string, address: string): Promise<Sluice> {
  const s = await Sluice.start({
    kubeconfig: id.kubeconfig,
    ingressClass: `sluice-${ns}`,
    name,
    env: { POD_NAME: name, POD_NAMESPACE: ns },
    args: [...LEASE_FLAGS, '--publish-address', address],
  });
  started.push(s);
  return s;
}

const becameLeader = (s: Sluice, timeoutMs = 20_000) => s.waitForLog('it became the leader', (l) => typeof l.msg === 'string' && l.msg.startsWith('became the leader'), timeoutMs);
const leaderLines = (s: Sluice) => s.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('became the leader')).length;
const statusWrites = (s: Sluice) => s.logs.filter((l) => l.msg === 'ingress status written').length;

async function statusIp(): Promise<string | undefined> {
  const res = await api(c, 'GET', paths.ingress(ns, 'web'));
  return res.body?.status?.loadBalancer?.ingress?.[0]?.ip;
}

async function holder(): Promise<{ holder: string | undefined; transitions: number | undefined }> {
  const res = await api(c, 'GET', paths.lease(ns, 'sluice-leader'));
  return { holder: res.body?.spec?.holderIdentity, transitions: res.body?.spec?.leaseTransitions };
}

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'k8s-leader');
  id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.40.1'], PORT)));
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.40.1' }] });
}, 60_000);

afterAll(async () => {
  if (!c.isApiserverRunning()) await c.startApiserver();
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('two replicas serve traffic; only the leader writes status; the leader killed → the other takes over', async () => {
  const a = await replica('sluice-a', '10.77.210.1');
  await a.ready();
  await becameLeader(a);
  const b = await replica('sluice-b', '10.77.210.2');
  await b.ready();
  expect((await get(a, 'web.test')).status).toBe(200);
  expect((await get(b, 'web.test')).status).toBe(200);

  await eventually('status written by the leader', async () => (await statusIp()) === '10.77.210.1');
  await sleep(2000); // several retry periods: the follower must stay a follower
  expect(await holder()).toMatchObject({ holder: 'sluice-a' });
  expect(leaderLines(b)).toBe(0);
  expect(statusWrites(b)).toBe(0);
  expect(await statusIp()).toBe('10.77.210.1');

  const killedAt = Date.now();
  await a.kill();
  await becameLeader(b, 15_000);
  const takeoverMs = Date.now() - killedAt;
  await eventually('status written by the new leader', async () => (await statusIp()) === '10.77.210.2');
  expect(await holder()).toMatchObject({ holder: 'sluice-b', transitions: 1 });
  expect(takeoverMs).toBeGreaterThanOrEqual(2000); // waited for the lease (3 s, renewed every 0.5 s) to expire
  console.log(`leader killed → follower took over after ${takeoverMs} ms (lease duration 3 s)`);
  expect((await get(b, 'web.test')).status).toBe(200);
}, 90_000);

test('apiserver down: the leader steps down without crashing, serves on, and leads again after', async () => {
  const b = started.find((s) => s.name === 'sluice-b')!;
  await c.stopApiserver();
  await b.waitForLog('stepping down', (l) => typeof l.msg === 'string' && l.msg.startsWith('not the leader any more'), 20_000);
  expect(b.alive()).toBe(true);
  expect((await get(b, 'web.test')).status).toBe(200);
  await c.startApiserver();
  await eventually('sluice-b to lead again', () => leaderLines(b) >= 2, 30_000);
  expect(await holder()).toMatchObject({ holder: 'sluice-b' });
}, 120_000);

test('a leader stopped with SIGTERM releases the lease: the other takes over at once', async () => {
  const b = started.find((s) => s.name === 'sluice-b')!;
  const c2 = await replica('sluice-c', '10.77.210.3');
  await c2.ready();
  await sleep(1000);
  expect(leaderLines(c2)).toBe(0);
  const stoppedAt = Date.now();
  await b.stop();
  expect(b.findLog((l) => l.msg === 'released the lease')).toBeDefined();
  await becameLeader(c2, 10_000);
  const takeoverMs = Date.now() - stoppedAt;
  expect(takeoverMs).toBeLessThan(2500); // well inside the 3 s lease: the release, not expiry
  await eventually('status written by the third replica', async () => (await statusIp()) === '10.77.210.3');
}, 60_000);
