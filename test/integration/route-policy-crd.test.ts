// RoutePolicy against the real apiserver: the CRD from crds/sluice/ installs, Sluice (started
// before it was installed) picks it up without a restart, reads a basicAuth Secret of type
// sluice.dev/htpasswd (and never an Opaque one), puts the merged policy on the targeted routes and
// writes Accepted=True; the schema and CEL rules reject at create time what they can express, and
// what they cannot (a Secret Sluice does not read, a missing target, a second policy on a target)
// gets Accepted=False from Sluice — a broken security block with denyAll on its routes. This
// suite deletes the CRD first (and with it every RoutePolicy) and leaves it installed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { conditionOf, objectBecomes, type ConditionJson } from './support/gateway.js';
import { api, cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { createApp, ingress, paths } from './support/objects.js';
import { deleteSluiceCrd, installSluiceCrd } from './support/sluice-crd.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
const CONTROLLER = 'sluice.dev/gateway-controller';
const policiesPath = (ns: string) => `/apis/sluice.dev/v1alpha1/namespaces/${ns}/routepolicies`;
const policyPath = (ns: string, name: string) => `${policiesPath(ns)}/${name}`;
// alice: bcrypt (the well-known "U*U" test vector), bob: {SHA} of "password".
const HTPASSWD = 'alice:$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n';

let c: Cluster;
let ns: string;
let sluice: Sluice;
const backends: Backend[] = [];

const CRD = { file: 'sluice.dev_routepolicies.yaml', name: 'routepolicies.sluice.dev' };
const deleteCrd = () => deleteSluiceCrd(c, CRD);
const installCrd = () => installSluiceCrd(c, CRD, policiesPath(ns));

function policy(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'RoutePolicy', metadata: { name, namespace: ns }, spec };
}

function secret(name: string, type: string, data: Record<string, string>): unknown {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type, data: encoded };
}

const ingressRef = (name: string) => ({ group: 'networking.k8s.io', kind: 'Ingress', name });

interface Edge {
  sources: { name: string }[];
  basicAuth?: { users: { name: string; hash: string }[]; realm: string };
  rateLimit?: { rules: { requests: number; burst: number }[] };
  denyAll?: { reason: string };
}

/** What this suite reads of /debug/routes. */
interface DebugRoutes {
  listeners: { hosts: { hostname: string; routes: { source: { kind: string; name: string }; edge?: Edge }[] }[] }[];
  diagnostics: { code: string; source: { name: string } }[];
}

interface Ancestor {
  ancestorRef: Record<string, unknown>;
  controllerName: string;
  conditions: ConditionJson[];
}

function acceptedBecomes(name: string, reason: string, generation = 1): Promise<Ancestor> {
  return objectBecomes(c, policyPath(ns, name), `route policy ${name} to be ${reason} (generation ${generation})`, (o) => {
    const ours = (o.status?.ancestors ?? []).find((a: Ancestor) => a.controllerName === CONTROLLER) as Ancestor | undefined;
    const accepted = conditionOf(ours?.conditions, 'Accepted');
    return accepted?.reason === reason && accepted.observedGeneration === generation ? ours : undefined;
  }, 30_000);
}

/** The edge policy of the first route of `host` in /debug/routes, once `ready` accepts it. */
function edgeOf(host: string, ready: (e: Edge | undefined) => boolean): Promise<Edge | undefined> {
  return eventually(`the edge policy of ${host} in /debug/routes`, async () => {
    const routes = (await sluice.routes()) as unknown as DebugRoutes;
    const route = routes.listeners.flatMap((l) => l.hosts).find((h) => h.hostname === host)?.routes[0];
    return route && ready(route.edge) ? { value: route.edge } : undefined;
  }, 20_000).then((r) => r.value);
}

beforeAll(async () => {
  c = attach();
  await deleteCrd();
  ns = await createNamespace(c, 'route-policy');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.71.1'], PORT)));
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.rp.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.71.1' }] });
  await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'admin', { className: `sluice-${ns}`, host: 'admin.rp.test', service: 'web' }));
  await must(c, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('users', 'sluice.dev/htpasswd', { '.htpasswd': HTPASSWD }));
  await must(c, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('generic', 'Opaque', { '.htpasswd': HTPASSWD }));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, watchNamespace: ns, name: 'sluice-route-policy' });
}, 120_000);

afterAll(async () => {
  await sluice?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('ready without the CRD, serving as before', async () => {
  await sluice.ready();
  expect(await get(sluice, 'web.rp.test')).toMatchObject({ status: 200, body: 'backend 10.77.71.1' });
});

test('CRD installed after start: a policy on an Ingress is picked up, its htpasswd Secret read, the routes get it, Accepted=True', async () => {
  await installCrd();
  await must(c, 'POST', policiesPath(ns), policy('web-edge', {
    targetRefs: [ingressRef('web')],
    basicAuth: { secretRef: { name: 'users' }, realm: 'web' },
    rateLimit: { rules: [{ limit: { requests: 10, unit: 'Second' } }] },
  }));
  await sluice.waitForLog('that the RoutePolicy CRD was found', (l) => l.msg === 'Sluice API CRDs found: watching them' && JSON.stringify(l.watching).includes('routepolicies'), 30_000);
  const ancestor = await acceptedBecomes('web-edge', 'Accepted');
  expect(ancestor.ancestorRef).toEqual({ group: 'networking.k8s.io', kind: 'Ingress', namespace: ns, name: 'web' });
  const accepted = conditionOf(ancestor.conditions, 'Accepted')!;
  expect(accepted).toMatchObject({ status: 'True', message: `applied to Ingress ${ns}/web` });
  expect(Date.parse(accepted.lastTransitionTime!)).toBeGreaterThan(0);

  const edge = await edgeOf('web.rp.test', (e) => e?.basicAuth !== undefined);
  expect(edge).toEqual({
    sources: [{ kind: 'RoutePolicy', namespace: ns, name: 'web-edge' }],
    basicAuth: { realm: 'web', users: HTPASSWD.trim().split('\n').map((l) => ({ name: l.slice(0, l.indexOf(':')), hash: l.slice(l.indexOf(':') + 1) })) },
    rateLimit: { type: 'Local', rules: [{ clientSelectors: [], requests: 10, unitMs: 1000, burst: 10 }] },
  });
  // The other Ingress is untouched.
  expect(await edgeOf('admin.rp.test', () => true)).toBeUndefined();

  // A spec change is a new generation: the condition follows it.
  const current = await must(c, 'GET', policyPath(ns, 'web-edge'));
  await must(c, 'PUT', policyPath(ns, 'web-edge'), { ...current.body, spec: { ...current.body.spec, rateLimit: { rules: [{ limit: { requests: 20, unit: 'Second' } }] } } });
  await acceptedBecomes('web-edge', 'Accepted', 2);
  expect((await edgeOf('web.rp.test', (e) => e?.rateLimit?.rules[0]?.requests === 20))?.rateLimit?.rules[0]?.burst).toBe(20);
}, 120_000);

test('the schema and CEL rules reject at create time what they can express', async () => {
  const web = [ingressRef('web')];
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['wrong-kind', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }] }, /only an HTTPRoute, GRPCRoute or Gateway .* or an Ingress .* can be targeted/],
    ['ingress-section', { targetRefs: [{ ...ingressRef('web'), sectionName: 'x' }] }, /only an HTTPRoute or GRPCRoute target has a sectionName/],
    ['grpc-compression', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', name: 'rpc' }], compression: {} }, /a policy that targets a GRPCRoute cannot have compression, cache or coalescing/],
    ['twice', { targetRefs: [ingressRef('web'), ingressRef('web')] }, /each target may be named only once/],
    ['burst', { targetRefs: web, rateLimit: { rules: [{ limit: { requests: 10, unit: 'Second' }, burst: 5 }] } }, /burst must be at least limit\.requests/],
    ['exact-no-value', { targetRefs: web, rateLimit: { rules: [{ limit: { requests: 1, unit: 'Second' }, clientSelectors: [{ headers: [{ name: 'x-key' }] }] }] } }, /type Exact needs a value/],
    ['unit', { targetRefs: web, rateLimit: { rules: [{ limit: { requests: 1, unit: 'Day' } }] } }, /spec\.rateLimit\.rules\[0\]\.limit\.unit: Unsupported value: "Day"/],
    ['cidr', { targetRefs: web, ipAccess: { allow: ['10.0.0.300/8'] } }, /spec\.ipAccess\.allow\[0\]: Invalid value: .*must be a CIDR or an IP address/],
    ['no-lists', { targetRefs: web, ipAccess: {} }, /list allow or deny CIDRs/],
    ['deflate', { targetRefs: web, compression: { types: ['deflate'] } }, /spec\.compression\.types\[0\]: Unsupported value: "deflate"/],
    ['star-credentials', { targetRefs: web, cors: { allowOrigins: ['*'], allowCredentials: true } }, /"\*" cannot be combined with allowCredentials/],
    ['origin', { targetRefs: web, cors: { allowOrigins: ['example.com'] } }, /spec\.cors\.allowOrigins\[0\]: Invalid value: "example\.com": .*should match/],
    ['object-over-size', { targetRefs: web, cache: { maxSize: '1Mi', maxObjectSize: '2Mi' } }, /maxObjectSize must not exceed maxSize/],
    ['duration', { targetRefs: web, forwardAuth: { backendRef: { name: 'web', port: 80 }, timeout: '1.5s' } }, /spec\.forwardAuth\.timeout: Invalid value: "1\.5s": .*should match/],
    ['auth-kind', { targetRefs: web, forwardAuth: { backendRef: { kind: 'Pod', name: 'web', port: 80 } } }, /only a Service \(group "", kind Service\)/],
  ];
  for (const [name, spec, message] of cases) {
    const res = await api(c, 'POST', policiesPath(ns), policy(name, spec));
    expect([name, res.status]).toEqual([name, 422]);
    expect([name, res.body?.message]).toEqual([name, expect.stringMatching(message)]);
  }
});

test('what the schema cannot say gets Accepted=False from Sluice; a broken security block denies, others keep serving', async () => {
  await sleep(1100); // creationTimestamp has second resolution: "later" must be later than "web-edge"
  await must(c, 'POST', policiesPath(ns), policy('later', { targetRefs: [ingressRef('web')], compression: { types: ['gzip'] } }));
  await must(c, 'POST', policiesPath(ns), policy('opaque', { targetRefs: [ingressRef('admin')], basicAuth: { secretRef: { name: 'generic' } } }));
  await must(c, 'POST', policiesPath(ns), policy('nowhere', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'nowhere' }], compression: {} }));

  const conflicted = conditionOf((await acceptedBecomes('later', 'Conflicted')).conditions, 'Accepted')!;
  expect(conflicted).toMatchObject({ status: 'False', message: `Ingress ${ns}/web is also targeted by RoutePolicy ${ns}/web-edge, which is older and takes precedence` });
  // The Opaque Secret exists, but Sluice never reads it: to Sluice it does not exist.
  const opaque = conditionOf((await acceptedBecomes('opaque', 'Invalid')).conditions, 'Accepted')!;
  expect(opaque.message).toBe(
    `Ingress ${ns}/admin: spec.basicAuth.secretRef: Secret ${ns}/generic does not exist (or is not of type sluice.dev/htpasswd, the only type basicAuth reads); spec.basicAuth fails closed: every request is denied`,
  );
  const denied = await edgeOf('admin.rp.test', (e) => e?.denyAll !== undefined);
  expect(denied).toEqual({ sources: [{ kind: 'RoutePolicy', namespace: ns, name: 'opaque' }], denyAll: { reason: expect.stringContaining(`RoutePolicy ${ns}/opaque: spec.basicAuth.secretRef`) } });
  const nowhere = await acceptedBecomes('nowhere', 'TargetNotFound');
  expect([nowhere.ancestorRef, conditionOf(nowhere.conditions, 'Accepted')!.message]).toEqual([
    { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: ns, name: 'nowhere' },
    `HTTPRoute ${ns}/nowhere does not exist`,
  ]);

  // The older policy still holds the web routes.
  expect((await edgeOf('web.rp.test', () => true))?.sources).toEqual([{ kind: 'RoutePolicy', namespace: ns, name: 'web-edge' }]);
  const routes = (await sluice.routes()) as unknown as DebugRoutes;
  const codes = routes.diagnostics.filter((d) => d.code.startsWith('SLUICE_ROUTE_POLICY_')).map((d) => `${d.source.name}: ${d.code}`).sort();
  expect(codes).toEqual(['later: SLUICE_ROUTE_POLICY_CONFLICTED', 'nowhere: SLUICE_ROUTE_POLICY_TARGET_NOT_FOUND', 'opaque: SLUICE_ROUTE_POLICY_BLOCK_INVALID']);
  expect(sluice.alive()).toBe(true);
}, 90_000);
