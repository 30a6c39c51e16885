// The Kubernetes provider end to end against a REAL kube-apiserver: a real Sluice process
// (dist/main.js, --provider kubernetes) authenticated as a ServiceAccount bound to exactly
// deploy/rbac.yaml, real HTTP backends on 10.77.x.y inside the test's network namespace.
// Objects written to the apiserver → traffic flows; endpoint changes (scale up/down, not ready,
// terminating) → traffic follows with no failed request; Ingress deleted → 404; and the
// endpoints fast path latency (EndpointSlice write accepted → first request served by it).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { cluster as attach, createNamespace, installRbac, must, type SluiceIdentity } from './support/kube.js';
import { createApp, paths, setEndpoints, endpointSlice } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get, RequestStream, spread } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let id: SluiceIdentity;
let sluice: Sluice;
const backends: Backend[] = [];
const className = () => `sluice-${ns}`;

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'k8s-traffic');
  id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.10.1', '10.77.10.2', '10.77.10.3', '10.77.10.4'], PORT)));
  await createApp(c, ns, { className: className(), host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.10.1' }] });
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: className(), name: 'sluice-traffic' });
  await sluice.ready();
}, 60_000);

afterAll(async () => {
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

const body = (address: string) => `backend ${address}`;

test('IngressClass + Ingress + Service + EndpointSlice from the apiserver: traffic flows', async () => {
  const a = await get(sluice, 'web.test');
  expect(a).toMatchObject({ status: 200, body: body('10.77.10.1') });
  const other = await get(sluice, 'unknown.test');
  expect(other.status).toBe(404);
  // Logged in as the ServiceAccount of deploy/rbac.yaml, Sluice saw no permission problem.
  expect(sluice.logs.filter((l) => typeof l.code === 'string' && l.code.startsWith('SLUICE_K8S_'))).toEqual([]);
});

describe('endpoint changes: traffic follows, no failed request while a ready endpoint exists', () => {
  let stream: RequestStream;
  beforeAll(() => {
    stream = new RequestStream(sluice, 'web.test', 2, 1);
  });
  afterAll(async () => {
    await stream.stop();
    const failures = stream.failures();
    expect({ requests: stream.answers.length, failures: failures.slice(0, 5), failed: failures.length }).toMatchObject({ failed: 0 });
    expect(stream.answers.length).toBeGreaterThan(200);
  });

  const seen = async (expected: string[], notExpected: string[] = []) => {
    await eventually(`traffic to exactly ${expected.join(', ')}`, async () => {
      const hits = await spread(sluice, 'web.test', expected.length * 8);
      return expected.every((e) => (hits.get(body(e)) ?? 0) > 0) && [...hits.keys()].every((k) => expected.map(body).includes(k)) ? hits : undefined;
    });
    // And it stays so: nothing reaches the others.
    const hits = await spread(sluice, 'web.test', 40);
    for (const n of notExpected) expect(hits.get(body(n)) ?? 0).toBe(0);
    expect([...hits.keys()].sort()).toEqual(expected.map(body).sort());
  };

  test('scale up: a second ready endpoint gets traffic', async () => {
    await setEndpoints(c, ns, 'web-1', 'web', PORT, [{ address: '10.77.10.1' }, { address: '10.77.10.2' }]);
    await seen(['10.77.10.1', '10.77.10.2']);
  });

  test('an endpoint that is not ready gets no traffic', async () => {
    await setEndpoints(c, ns, 'web-1', 'web', PORT, [{ address: '10.77.10.1' }, { address: '10.77.10.2' }, { address: '10.77.10.3', ready: false, serving: false }]);
    await sleep(300);
    await seen(['10.77.10.1', '10.77.10.2'], ['10.77.10.3']);
  });

  test('a terminating endpoint gets no new traffic while ready ones exist', async () => {
    await setEndpoints(c, ns, 'web-1', 'web', PORT, [
      { address: '10.77.10.1' },
      { address: '10.77.10.2', ready: false, serving: true, terminating: true },
      { address: '10.77.10.3', ready: false, serving: false },
    ]);
    await seen(['10.77.10.1'], ['10.77.10.2', '10.77.10.3']);
  });

  test('a second slice of the same Service adds its endpoints; scale down removes them', async () => {
    await must(c, 'POST', paths.slices(ns), endpointSlice(ns, 'web-2', 'web', PORT, [{ address: '10.77.10.4' }]));
    await seen(['10.77.10.1', '10.77.10.4']);
    await setEndpoints(c, ns, 'web-1', 'web', PORT, [{ address: '10.77.10.3' }]);
    await seen(['10.77.10.3', '10.77.10.4'], ['10.77.10.1', '10.77.10.2']);
    await must(c, 'DELETE', paths.slice(ns, 'web-2'));
    await seen(['10.77.10.3'], ['10.77.10.4']);
  });
});

test('endpoints fast path: EndpointSlice write accepted → first request served by the new endpoint', async () => {
  // Poll Sluice back to back; each round moves the only endpoint between two backends and
  // measures from the apiserver's answer to the PUT until the new backend serves its first
  // request (its own clock, same process).
  const stream = new RequestStream(sluice, 'web.test', 1, 0);
  const figures: number[] = [];
  const fromSend: number[] = [];
  const generationBefore = (await sluice.routes()).generation;
  let current = '10.77.10.3';
  try {
    for (let round = 0; round < 10; round++) {
      const next = current === '10.77.10.3' ? '10.77.10.1' : '10.77.10.3';
      const target = backends.find((b) => b.address === next)!;
      const slice = await must(c, 'GET', paths.slice(ns, 'web-1'));
      target.resetCounters();
      const sentAt = performance.now();
      await must(c, 'PUT', paths.slice(ns, 'web-1'), endpointSlice(ns, 'web-1', 'web', PORT, [{ address: next }], slice.body.metadata.resourceVersion));
      const acceptedAt = performance.now();
      await eventually(`first request to ${next}`, () => target.firstRequestAt !== undefined, 5000, 1);
      // The watch event can beat the PUT's own response to us: then the figure is 0.
      figures.push(Math.max(0, target.firstRequestAt! - acceptedAt));
      fromSend.push(target.firstRequestAt! - sentAt);
      current = next;
      await sleep(50);
    }
  } finally {
    await stream.stop();
  }
  const sorted = [...figures].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const max = sorted[sorted.length - 1]!;
  const sentSorted = [...fromSend].sort((a, b) => a - b);
  console.log(
    `endpoints fast path latency (ms), PUT accepted → first request at the new endpoint: median ${median.toFixed(1)}, max ${max.toFixed(1)}, all ${figures.map((f) => f.toFixed(1)).join(' ')}; ` +
      `from PUT sent: median ${sentSorted[Math.floor(sentSorted.length / 2)]!.toFixed(1)}, max ${sentSorted[sentSorted.length - 1]!.toFixed(1)}`,
  );
  // Each round went through the fast path (one table per EndpointSlice event), not a rebuild.
  const swaps = await sluice.admin('/metrics');
  expect(swaps.body).toMatch(/sluice_table_swaps_total\{path="endpoints"\} \d+/);
  expect((await sluice.routes()).generation).toBeGreaterThanOrEqual(generationBefore + 10);
  expect(median).toBeLessThan(100);
  expect(max).toBeLessThan(1000);
});

test('Ingress deleted → 404', async () => {
  await must(c, 'DELETE', paths.ingress(ns, 'web'));
  await eventually('404 after the Ingress is deleted', async () => (await get(sluice, 'web.test')).status === 404);
  expect(sluice.alive()).toBe(true);
});
