// BackendTrafficPolicy against the real apiserver: the CRD from crds/sluice/ installs, Sluice
// (started before it was installed) picks it up without a restart, writes Accepted=True on a valid
// policy and puts the policy on the Service's cluster; the schema and CEL rules reject at create
// time what they can express, and what they cannot (a table size that is not a prime, a missing
// Service, a second policy for the same Service) gets Accepted=False from Sluice. This suite
// deletes the CRD first (and with it every policy) and leaves it installed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { conditionOf, objectBecomes, type ConditionJson } from './support/gateway.js';
import { api, cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { createApp } from './support/objects.js';
import { deleteSluiceCrd, installSluiceCrd } from './support/sluice-crd.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
const CONTROLLER = 'sluice.dev/gateway-controller';
const policiesPath = (ns: string) => `/apis/sluice.dev/v1alpha1/namespaces/${ns}/backendtrafficpolicies`;
const policyPath = (ns: string, name: string) => `${policiesPath(ns)}/${name}`;

let c: Cluster;
let ns: string;
let sluice: Sluice;
const backends: Backend[] = [];

const CRD = { file: 'sluice.dev_backendtrafficpolicies.yaml', name: 'backendtrafficpolicies.sluice.dev' };
const deleteCrd = () => deleteSluiceCrd(c, CRD);
const installCrd = () => installSluiceCrd(c, CRD, policiesPath(ns));

function policy(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'BackendTrafficPolicy', metadata: { name, namespace: ns }, spec };
}

const service = (name: string, sectionName?: string) => ({ group: '', kind: 'Service', name, ...(sectionName ? { sectionName } : {}) });

/** What this suite reads of /debug/routes. */
interface DebugRoutes {
  clusters: { id: string; loadBalancer: { type: string }; policy?: { source: { name: string }; retry?: { numRetries: number } } }[];
  diagnostics: { code: string; source: { name: string } }[];
}

interface Ancestor {
  ancestorRef: Record<string, unknown>;
  controllerName: string;
  conditions: ConditionJson[];
}

/** Waits until Sluice's Accepted condition on the policy has `reason`; returns its ancestor. */
function acceptedBecomes(name: string, reason: string, generation = 1): Promise<Ancestor> {
  return objectBecomes(c, policyPath(ns, name), `policy ${name} to be ${reason} (generation ${generation})`, (o) => {
    const ours = (o.status?.ancestors ?? []).find((a: Ancestor) => a.controllerName === CONTROLLER) as Ancestor | undefined;
    const accepted = conditionOf(ours?.conditions, 'Accepted');
    return accepted?.reason === reason && accepted.observedGeneration === generation ? ours : undefined;
  }, 30_000);
}

beforeAll(async () => {
  c = attach();
  await deleteCrd();
  ns = await createNamespace(c, 'policy');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.70.1'], PORT)));
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.policy.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.70.1' }] });
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, watchNamespace: ns, name: 'sluice-policy' });
}, 120_000);

afterAll(async () => {
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('ready without the CRD, serving as before', async () => {
  await sluice.ready();
  await sluice.waitForLog('that the CRD is missing', (l) => l.msg === 'Sluice API CRDs not (all) installed: checking again periodically');
  expect(await get(sluice, 'web.policy.test')).toMatchObject({ status: 200, body: 'backend 10.77.70.1' });
});

test('CRD installed after start: a valid policy is picked up, applied to its cluster, and gets Accepted=True', async () => {
  await installCrd();
  await must(c, 'POST', policiesPath(ns), policy('web', {
    targetRefs: [service('web')],
    loadBalancer: { type: 'LeastRequest' },
    healthCheck: { passive: { consecutiveGatewayErrors: 3 } },
    retry: { numRetries: 1 },
  }));
  await sluice.waitForLog('that the CRD was found', (l) => l.msg === 'Sluice API CRDs found: watching them', 30_000);
  const ancestor = await acceptedBecomes('web', 'Accepted');
  // Reached only by an Ingress: the Service itself is the ancestor.
  expect(ancestor.ancestorRef).toEqual({ group: '', kind: 'Service', namespace: ns, name: 'web' });
  const accepted = conditionOf(ancestor.conditions, 'Accepted')!;
  expect(accepted).toMatchObject({ status: 'True', message: `applied to Service ${ns}/web` });
  expect(Date.parse(accepted.lastTransitionTime!)).toBeGreaterThan(0);

  const cluster = await eventually('the policy on the cluster in /debug/routes', async () => {
    const routes = (await sluice.routes()) as unknown as DebugRoutes;
    const found = routes.clusters.find((x) => x.id === `${ns}/web:80`);
    return found?.policy?.source.name === 'web' ? found : undefined;
  }, 20_000);
  expect(cluster.loadBalancer.type).toBe('LeastRequest');
  expect(cluster.policy!.retry!.numRetries).toBe(1);
  expect(await get(sluice, 'web.policy.test')).toMatchObject({ status: 200, body: 'backend 10.77.70.1' });

  // A spec change is a new generation: the condition follows it.
  const current = await must(c, 'GET', policyPath(ns, 'web'));
  await must(c, 'PUT', policyPath(ns, 'web'), { ...current.body, spec: { ...current.body.spec, loadBalancer: { type: 'Random' } } });
  await acceptedBecomes('web', 'Accepted', 2);
}, 120_000);

test('the schema and CEL rules reject at create time what they can express', async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown-type', { loadBalancer: { type: 'WeightedMagic' } }, /spec\.loadBalancer\.type: Unsupported value: "WeightedMagic"/],
    ['negative-threshold', { healthCheck: { passive: { consecutive5xx: -1 } } }, /spec\.healthCheck\.passive\.consecutive5xx: Invalid value: -1: .*greater than or equal to 1/],
    ['percent', { healthCheck: { passive: { maxEjectionPercent: 150 } } }, /maxEjectionPercent: Invalid value: 150: .*less than or equal to 100/],
    ['cookie-hash-without-cookie', { loadBalancer: { type: 'ConsistentHash', consistentHash: { type: 'Cookie' } } }, /cookie \(with a name\) is required with type Cookie/],
    ['cookie-without-name', { loadBalancer: { type: 'ConsistentHash', consistentHash: { type: 'Cookie', cookie: { ttl: '1h' } } } }, /spec\.loadBalancer\.consistentHash\.cookie\.name: Required value/],
    ['hash-without-block', { loadBalancer: { type: 'ConsistentHash' } }, /consistentHash is required with type ConsistentHash/],
    ['bad-duration', { healthCheck: { active: { interval: '1.5s' } } }, /spec\.healthCheck\.active\.interval: Invalid value: "1\.5s": .*should match/],
    ['timeout-over-interval', { healthCheck: { active: { interval: '1s', timeout: '2s' } } }, /timeout must not be longer than interval/],
    ['statuses-backwards', { healthCheck: { active: { http: { expectedStatuses: [{ start: 300, end: 200 }] } } } }, /start must not be after end/],
    ['backoff-backwards', { retry: { backoff: { baseInterval: '1s', maxInterval: '100ms' } } }, /baseInterval must not be longer than maxInterval/],
    ['codes-missing', { retry: { retryOn: ['retriable-status-codes'] } }, /retriableStatusCodes must list at least one code/],
    ['permanent-without-timeout', { sessionPersistence: { cookieConfig: { lifetimeType: 'Permanent' } } }, /absoluteTimeout is required when cookieConfig\.lifetimeType is Permanent/],
  ];
  for (const [name, spec, message] of cases) {
    const res = await api(c, 'POST', policiesPath(ns), policy(name, { targetRefs: [service('web')], ...spec }));
    expect([name, res.status]).toEqual([name, 422]);
    expect([name, res.body?.message]).toEqual([name, expect.stringMatching(message)]);
  }
  const wrongKind = await api(c, 'POST', policiesPath(ns), policy('wrong-kind', { targetRefs: [{ group: 'apps', kind: 'Deployment', name: 'web' }] }));
  expect([wrongKind.status, wrongKind.body?.message]).toEqual([422, expect.stringMatching(/only a Service can be targeted/)]);
  console.log(`what the apiserver says: ${wrongKind.body?.message}`);
});

test('what the schema cannot say gets Accepted=False from Sluice; the applied policy stays', async () => {
  await sleep(1100); // creationTimestamp has second resolution: "later" must be later than "web"
  await must(c, 'POST', policiesPath(ns), policy('later', { targetRefs: [service('web')], loadBalancer: { type: 'Random' } }));
  await must(c, 'POST', policiesPath(ns), policy('not-prime', { targetRefs: [service('other')], loadBalancer: { type: 'ConsistentHash', consistentHash: { type: 'SourceIP', tableSize: 65536 } } }));
  await must(c, 'POST', policiesPath(ns), policy('half-second-ttl', { targetRefs: [service('web', 'http')], loadBalancer: { type: 'ConsistentHash', consistentHash: { type: 'Cookie', cookie: { name: 'srv', ttl: '1500ms' } } } }));
  await must(c, 'POST', policiesPath(ns), policy('nowhere', { targetRefs: [service('nowhere')] }));
  await must(c, 'POST', policiesPath(ns), policy('no-such-port', { targetRefs: [service('web', 'grpc')] }));

  const conflicted = conditionOf((await acceptedBecomes('later', 'Conflicted')).conditions, 'Accepted')!;
  expect(conflicted).toMatchObject({ status: 'False', message: `Service ${ns}/web is also targeted by BackendTrafficPolicy ${ns}/web, which takes precedence (older)` });
  const notPrime = conditionOf((await acceptedBecomes('not-prime', 'Invalid')).conditions, 'Accepted')!;
  expect(notPrime.message).toBe('spec.loadBalancer.consistentHash.tableSize: 65536 is not a prime (Maglev needs one, e.g. 65537)');
  const ttl = conditionOf((await acceptedBecomes('half-second-ttl', 'Invalid')).conditions, 'Accepted')!;
  expect(ttl.message).toBe('spec.loadBalancer.consistentHash.cookie.ttl: must be a whole number of seconds (Max-Age)');
  const nowhere = await acceptedBecomes('nowhere', 'TargetNotFound');
  expect([nowhere.ancestorRef, conditionOf(nowhere.conditions, 'Accepted')!.message]).toEqual([{ group: '', kind: 'Service', namespace: ns, name: 'nowhere' }, `Service ${ns}/nowhere does not exist`]);
  expect(conditionOf((await acceptedBecomes('no-such-port', 'TargetNotFound')).conditions, 'Accepted')!.message).toBe(`Service ${ns}/web has no port named grpc`);

  // The older policy still holds the cluster; the invalid port policy changed nothing.
  const routes = (await sluice.routes()) as unknown as DebugRoutes;
  const web = routes.clusters.find((x) => x.id === `${ns}/web:80`)!;
  expect([web.policy?.source.name, web.loadBalancer.type]).toEqual(['web', 'Random']);
  const codes = routes.diagnostics.filter((d) => d.code.startsWith('SLUICE_POLICY_')).map((d) => `${d.source.name}: ${d.code}`).sort();
  expect(codes).toEqual([
    'half-second-ttl: SLUICE_POLICY_INVALID',
    'later: SLUICE_POLICY_CONFLICTED',
    'no-such-port: SLUICE_POLICY_TARGET_NOT_FOUND',
    'not-prime: SLUICE_POLICY_INVALID',
    'nowhere: SLUICE_POLICY_TARGET_NOT_FOUND',
  ]);
  expect(sluice.alive()).toBe(true);
}, 90_000);
