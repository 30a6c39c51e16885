// charts/sluice installed with the real helm into the real kube-apiserver: every object is
// accepted (CRDs, RBAC, Deployment, PDB, HPA, IngressClass, GatewayClass, the Gateway API's
// admission policy); Sluice run as the chart's pod would run it (the stored Deployment's args and
// env, the chart's ServiceAccount token in-cluster, read-only root, uid 1000, no capabilities:
// test/cluster/pod-sandbox.sh) serves an Ingress and writes the statuses it must; `kubectl auth
// can-i` shows that ServiceAccount may do that and nothing else; `helm upgrade` applies changed
// values; `helm uninstall` leaves only the CRDs (and the Lease Sluice itself created).
//
// No kubelet, scheduler or controller-manager runs here: the Deployment is stored but no pod,
// ReplicaSet or HPA status ever appears (test/cluster/README.md). The one Sluice process below
// stands in for the pod.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { Cluster } from '../cluster/harness.js';
import { CHART, helm, kubectl, mustHelm, parseManifests, valuesArgs, type K8sObject } from '../chart/support/helm.js';
import { Backend } from './support/backends.js';
import { conditionOf, deleteGatewayCrds, gwPaths, objectBecomes, SLUICE_CRDS } from './support/gateway.js';
import { api, cluster as attach, canI, createNamespace, must } from './support/kube.js';
import { endpointSlice, ingress, paths, service } from './support/objects.js';
import { PodProcess } from './support/pod.js';
import { eventually } from '../support/wait.js';

const BACKEND = { address: '10.77.71.1', port: 8880 };
let c: Cluster;
/** Namespace = release name = fullname (it contains "sluice") = class names: unique per run. */
let ns: string;
let env: Record<string, string>;
let pod: PodProcess | undefined;
let backend: Backend | undefined;
let installed: K8sObject[] = [];

const installValues = () => ({
  ingressClass: { name: ns },
  gatewayClass: { name: ns },
  gatewayAPI: { installCRDs: true },
  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 },
});

const PLURALS: Record<string, string> = {
  ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings', ServiceAccount: 'serviceaccounts',
  Service: 'services', Deployment: 'deployments', PodDisruptionBudget: 'poddisruptionbudgets', HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  IngressClass: 'ingressclasses', GatewayClass: 'gatewayclasses', ValidatingAdmissionPolicy: 'validatingadmissionpolicies', ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
};

/** The apiserver path of a rendered object. */
function pathOf(o: K8sObject): string {
  const plural = PLURALS[o.kind];
  if (!plural) throw new Error(`no plural for ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural}/${o.metadata.name}`;
}

/** The CRDs of the chart's crds/ (a copy of crds/sluice/, whatever it holds). */
function chartCrdNames(): string[] {
  const dir = join(CHART, 'crds');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')).map((o) => o.metadata.name));
}

async function manifest(): Promise<K8sObject[]> {
  return parseManifests(await mustHelm(['get', 'manifest', ns, '-n', ns], env));
}

async function deployment(): Promise<any> {
  return (await must(c, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${ns}`)).body;
}

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'sluice-helm');
  env = { KUBECONFIG: c.kubeconfigPath };
}, 60_000);

afterAll(async () => {
  await pod?.stop();
  await backend?.close();
  if (ns) await helm(['uninstall', ns, '-n', ns], env); // after a failure midway; a no-op otherwise
});

test('helm install: the apiserver accepts every object, Gateway API CRDs included', async () => {
  // Prove the subchart installs the CRDs: take Sluice's away first (later suites re-install them).
  await deleteGatewayCrds(c);
  const started = Date.now();
  const out = await mustHelm(['install', ns, CHART, '-n', ns, ...valuesArgs(installValues())], env);
  console.log(`helm install took ${Date.now() - started} ms`);
  expect(out).toContain('STATUS: deployed');
  for (const name of [...SLUICE_CRDS, ...chartCrdNames()]) {
    const crd = (await must(c, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).body;
    expect([name, conditionOf(crd.status?.conditions, 'Established')?.status]).toEqual([name, 'True']);
  }
  installed = await manifest();
  expect(installed.map((o) => o.kind).sort()).toEqual([
    'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'GatewayClass', 'HorizontalPodAutoscaler', 'IngressClass', 'PodDisruptionBudget',
    'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  ]);
  for (const o of installed) {
    const got = await api(c, 'GET', pathOf(o));
    expect([o.kind, o.metadata.name, got.status, got.body.metadata.annotations?.['meta.helm.sh/release-name']]).toEqual([o.kind, o.metadata.name, 200, ns]);
  }
  const svc = (await must(c, 'GET', paths.service(ns, ns))).body;
  expect(svc.spec.type).toBe('LoadBalancer');
  expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
}, 120_000);

test('Sluice with the chart\'s ServiceAccount token, args and pod security serves, leads and writes status', async () => {
  const dep = await deployment();
  const container = dep.spec.template.spec.containers[0];
  const adminPort = container.ports.find((p: { name: string }) => p.name === 'admin').containerPort as number;
  const sa = dep.spec.template.spec.serviceAccountName as string;
  const token = await c.createServiceAccountToken(ns, sa, { expirationSeconds: 3600 });
  // The RBAC authorizer sees new bindings through its informer: wait before starting.
  await eventually('the chart\'s bindings to take effect', async () => (await canI(c, token, 'list', 'networking.k8s.io', 'ingressclasses')) && (await canI(c, token, 'create', 'coordination.k8s.io', 'leases', ns)), 10_000);

  backend = await Backend.start(BACKEND.address, BACKEND.port);
  await must(c, 'POST', paths.services(ns), service(ns, 'web'));
  await must(c, 'POST', paths.slices(ns), endpointSlice(ns, 'web-1', 'web', BACKEND.port, [{ address: BACKEND.address }]));
  await must(c, 'POST', paths.ingresses(ns), ingress(ns, 'web', { className: ns, host: 'web.helm.test', service: 'web' }));

  const podName = `${ns}-5d9c7f-x1`;
  pod = new PodProcess(c, { container, namespace: ns, podName, serviceAccountToken: token, adminPort });
  await pod.ready(60_000);

  const httpPort = container.ports.find((p: { name: string }) => p.name === 'http').containerPort as number;
  await eventually('web.helm.test through the chart-configured Sluice', async () => {
    const res = await request(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'web.helm.test' }, headersTimeout: 5000 });
    const body = await res.body.text();
    return res.statusCode === 200 && body === `backend ${BACKEND.address}`;
  }, 20_000, 200);

  // Leader election in the release namespace, under the Lease name the Role allows.
  const lease = await objectBecomes(c, paths.lease(ns, 'sluice-leader'), 'the Lease to name this pod', (o) => o.spec?.holderIdentity === podName && o);
  expect(lease.metadata.namespace).toBe(ns);
  // --publish-service: the chart's Service has no load balancer here, so its cluster IP is published.
  const svc = (await must(c, 'GET', paths.service(ns, ns))).body;
  await objectBecomes(c, paths.ingress(ns, 'web'), 'the Ingress status to carry the Service address', (o) => o.status?.loadBalancer?.ingress?.[0]?.ip === svc.spec.clusterIP);
  // The chart's GatewayClass, accepted: gatewayclasses/status is writable.
  await objectBecomes(c, gwPaths.gatewayClass(ns), 'the GatewayClass to be accepted', (o) => conditionOf(o.status?.conditions, 'Accepted')?.status === 'True');

  // It really ran as the pod: uid 1000 without capabilities, everything read-only but /tmp …
  const box = pod.sandbox();
  expect([box.uid, box.capEff, box.noNewPrivs]).toEqual(['1000\t1000\t1000\t1000', '0000000000000000', '1']);
  expect([box.mounts.get('/'), box.mounts.get('/run/app/dist'), box.mounts.get('/run/app/node_modules'), box.mounts.get('/tmp')]).toEqual(['ro', 'ro', 'ro', 'rw']);
  // … and nothing failed (an EROFS or EPERM would be an error line).
  expect(pod.logs.filter((l) => l.level >= 50)).toEqual([]);
  expect(pod.stderr.join('')).toBe('');
  expect(pod.logs.find((l) => l.code === 'SLUICE_K8S_FORBIDDEN')).toBeUndefined();
  expect(await pod.stop()).toBe(0);
  pod = undefined;
}, 120_000);

test('the chart\'s ServiceAccount may do what Sluice needs and nothing else (kubectl auth can-i --as)', async () => {
  const sa = `system:serviceaccount:${ns}:${ns}`;
  const can = async (verb: string, resource: string, namespace?: string, subresource?: string): Promise<boolean> => {
    const r = await kubectl(['auth', 'can-i', verb, resource, `--as=${sa}`, ...(namespace ? ['-n', namespace] : ['--all-namespaces']), ...(subresource ? [`--subresource=${subresource}`] : [])], env);
    if (r.code !== 0 && r.stdout.trim() !== 'no') throw new Error(`kubectl auth can-i ${verb} ${resource}: ${r.code} ${r.stderr}`);
    return r.stdout.trim() === 'yes';
  };
  const other = await createNamespace(c, 'helm-other');
  const allowed: [string, string, string?, string?][] = [
    ['list', 'ingresses.networking.k8s.io'],
    ['watch', 'ingressclasses.networking.k8s.io'],
    ['watch', 'services'],
    ['list', 'endpointslices.discovery.k8s.io'],
    ['list', 'secrets'], // RBAC cannot say "type=kubernetes.io/tls"; Sluice lists with that field selector
    ['watch', 'namespaces'],
    ['list', 'gateways.gateway.networking.k8s.io'],
    ['watch', 'httproutes.gateway.networking.k8s.io'],
    ['list', 'referencegrants.gateway.networking.k8s.io'],
    ['list', 'grpcroutes.gateway.networking.k8s.io'],
    ['watch', 'tlsroutes.gateway.networking.k8s.io'],
    ['list', 'tcproutes.gateway.networking.k8s.io'],
    ['list', 'backendtlspolicies.gateway.networking.k8s.io'],
    ['list', 'configmaps'], // BackendTLSPolicy and Gateway spec.tls CA bundles (key ca.crt)
    ['update', 'ingresses.networking.k8s.io', other, 'status'],
    ['get', 'gatewayclasses.gateway.networking.k8s.io', undefined, 'status'],
    ['update', 'httproutes.gateway.networking.k8s.io', other, 'status'],
    ['update', 'grpcroutes.gateway.networking.k8s.io', other, 'status'],
    ['update', 'backendtlspolicies.gateway.networking.k8s.io', other, 'status'],
    ['create', 'leases.coordination.k8s.io', ns],
    ['update', 'leases.coordination.k8s.io/sluice-leader', ns],
  ];
  const denied: [string, string, string?, string?][] = [
    ['get', 'secrets', other], // no single Secret by name, of any type
    ['get', 'secrets/anything', ns],
    ['create', 'secrets', ns],
    ['get', 'configmaps', other], // listed and watched only, never read one by one
    ['update', 'configmaps', ns],
    ['list', 'pods'],
    ['list', 'nodes'],
    ['create', 'events', ns],
    ['update', 'ingresses.networking.k8s.io', other], // the object itself: only its status
    ['delete', 'ingresses.networking.k8s.io', other],
    ['patch', 'ingresses.networking.k8s.io', other, 'status'],
    ['update', 'gateways.gateway.networking.k8s.io', other],
    ['create', 'httproutes.gateway.networking.k8s.io', other],
    ['update', 'services', ns],
    ['update', 'referencegrants.gateway.networking.k8s.io', other, 'status'],
    ['create', 'leases.coordination.k8s.io', other], // only in its own namespace
    ['update', 'leases.coordination.k8s.io/someone-else', ns],
    ['delete', 'leases.coordination.k8s.io/sluice-leader', ns],
    ['update', 'namespaces'],
    ['update', 'grpcroutes.gateway.networking.k8s.io', other], // the object itself: only its status
    ['create', 'tcproutes.gateway.networking.k8s.io', other],
    ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ];
  const got = async (list: typeof allowed) => Promise.all(list.map(async ([v, r, n, s]) => `${v} ${r}${s ? `/${s}` : ''}${n ? ` in ${n === ns ? 'own' : 'other'}` : ''}: ${(await can(v, r, n, s)) ? 'yes' : 'no'}`));
  expect((await got(allowed)).filter((l) => l.endsWith('no'))).toEqual([]);
  expect((await got(denied)).filter((l) => l.endsWith('yes'))).toEqual([]);
  // kubectl resolves a resource through discovery and answers "no" for one whose CRD is not
  // installed (yet): Sluice's own policy CRD is asked with a SelfSubjectAccessReview instead.
  const token = await c.createServiceAccountToken(ns, ns, { expirationSeconds: 600 });
  expect(await canI(c, token, 'watch', 'sluice.dev', 'backendtrafficpolicies')).toBe(true);
  expect(await canI(c, token, 'update', 'sluice.dev', 'backendtrafficpolicies', other, 'status')).toBe(true);
  expect(await canI(c, token, 'update', 'sluice.dev', 'backendtrafficpolicies', other)).toBe(false);

  // The whole picture: every rule that grants a write names a status subresource or a Lease.
  const list = await kubectl(['auth', 'can-i', '--list', `--as=${sa}`, '-n', ns], env);
  expect(list.code).toBe(0);
  const writes = list.stdout.split('\n').slice(1).filter((l) => /\[[^\]]*\b(create|update|patch|delete|deletecollection|\*)\b[^\]]*\]\s*$/.test(l)).map((l) => l.trim().split(/\s+/)[0]!);
  console.log(`kubectl auth can-i --list (writes):\n${writes.join('\n')}`);
  expect(writes.length).toBeGreaterThan(0);
  for (const resource of writes) {
    expect([resource, /\/status$/.test(resource) || /^leases\.coordination\.k8s\.io$/.test(resource) || /^selfsubject(access|rules)reviews\.authorization\.k8s\.io$|^selfsubjectreviews\.authentication\.k8s\.io$/.test(resource)]).toEqual([resource, true]);
  }
}, 120_000);

test('helm upgrade with changed values: the apiserver holds the new objects, removed ones are gone', async () => {
  const values = {
    ...installValues(),
    autoscaling: { enabled: false },
    replicaCount: 3,
    service: { type: 'NodePort', externalTrafficPolicy: 'Local', nodePorts: { http: 30080, https: null } },
    metrics: { service: { enabled: false } },
    leaderElection: { leaseName: 'edge-leader' },
    config: { logLevel: 'debug', workers: 2 },
  };
  const out = await mustHelm(['upgrade', ns, CHART, '-n', ns, ...valuesArgs(values)], env);
  expect(out).toContain('REVISION: 2');
  const dep = await deployment();
  expect(dep.spec.replicas).toBe(3);
  expect(dep.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--log-level=debug', '--workers=2', '--lease-name=edge-leader']));
  expect((await api(c, 'GET', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${ns}`)).status).toBe(404);
  expect((await api(c, 'GET', paths.service(ns, `${ns}-metrics`))).status).toBe(404);
  const svc = (await must(c, 'GET', paths.service(ns, ns))).body;
  expect([svc.spec.type, svc.spec.externalTrafficPolicy, svc.spec.ports[0].nodePort]).toEqual(['NodePort', 'Local', 30080]);
  const role = (await must(c, 'GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${ns}-leader-election`)).body;
  expect(role.rules.find((r: { resourceNames?: string[] }) => r.resourceNames).resourceNames).toEqual(['edge-leader']);
  installed = await manifest();
}, 120_000);

test('helm uninstall leaves nothing but the CRDs (and the Lease Sluice created)', async () => {
  expect(installed.length).toBeGreaterThan(10);
  const out = await mustHelm(['uninstall', ns, '-n', ns], env);
  expect(out).toContain(`release "${ns}" uninstalled`);
  for (const o of installed) {
    await eventually(`${o.kind} ${o.metadata.name} to be deleted`, async () => (await api(c, 'GET', pathOf(o))).status === 404, 20_000, 100);
  }
  // Nothing of the release anywhere: objects by the chart's instance label, Helm's release records.
  const byLabel = [`/api/v1/namespaces/${ns}/services`, `/api/v1/namespaces/${ns}/serviceaccounts`, `/apis/apps/v1/namespaces/${ns}/deployments`, '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/apis/networking.k8s.io/v1/ingressclasses', gwPaths.gatewayClasses()];
  for (const path of byLabel) expect([path, (await must(c, 'GET', `${path}?labelSelector=app.kubernetes.io/instance=${ns}`)).body.items]).toEqual([path, []]);
  expect((await must(c, 'GET', `/api/v1/namespaces/${ns}/secrets?labelSelector=owner=helm`)).body.items).toEqual([]);
  // Helm never deletes CRDs; Sluice's own Lease is not the chart's.
  for (const name of [...SLUICE_CRDS, ...chartCrdNames()]) expect([name, (await api(c, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).status]).toEqual([name, 200]);
  expect((await api(c, 'GET', paths.lease(ns, 'sluice-leader'))).status).toBe(200);
  ns = ''; // nothing left for afterAll
}, 120_000);

test('deploy/sluice.yaml is accepted by the apiserver as it is (kubectl apply --server-side --dry-run=server)', async () => {
  // A server-side dry run of namespaced objects needs their namespace to exist (it is never deleted here).
  const created = await api(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
  expect([201, 409]).toContain(created.status);
  const r = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', 'deploy/sluice.yaml'], env);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const objs = parseManifests(readFileSync('deploy/sluice.yaml', 'utf8'));
  expect(r.stdout.trim().split('\n').length).toBe(objs.length);
}, 60_000);
