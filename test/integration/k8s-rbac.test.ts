// RBAC: deploy/rbac.yaml grants exactly what Sluice needs (every other suite runs with it), and
// a permission taken away shows up as ONE clear error line naming the verb and resource (plus
// a metric and a /debug/routes diagnostic), never a crash; granted back, Sluice recovers.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import { canI, clusterRoleRules, cluster as attach, createNamespace, installRbac, setClusterRoleRules, type SluiceIdentity } from './support/kube.js';
import { createApp } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
const backends: Backend[] = [];
const started: Sluice[] = [];

beforeAll(async () => {
  c = attach();
  backends.push(...(await startBackends(['10.77.50.1'], PORT)));
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('deploy/rbac.yaml is least privilege: what Sluice uses, nothing more', async () => {
  const ns = await createNamespace(c, 'k8s-rbac-ok');
  const id = await installRbac(c, ns);
  const allowed: [string, string, string, string?][] = [
    ['list', 'networking.k8s.io', 'ingressclasses'],
    ['watch', 'networking.k8s.io', 'ingresses'],
    ['list', '', 'services'],
    ['watch', 'discovery.k8s.io', 'endpointslices'],
    ['list', '', 'secrets'],
    ['create', 'coordination.k8s.io', 'leases', ns],
    ['list', '', 'namespaces'],
    ['watch', 'gateway.networking.k8s.io', 'gatewayclasses'],
    ['list', 'gateway.networking.k8s.io', 'gateways'],
    ['watch', 'gateway.networking.k8s.io', 'httproutes'],
    ['list', 'gateway.networking.k8s.io', 'grpcroutes'],
    ['watch', 'gateway.networking.k8s.io', 'tlsroutes'],
    ['list', 'gateway.networking.k8s.io', 'tcproutes'],
    ['list', 'gateway.networking.k8s.io', 'referencegrants'],
    ['watch', 'gateway.networking.k8s.io', 'backendtlspolicies'],
    ['list', '', 'configmaps'], // CA bundles (ca.crt) of BackendTLSPolicy and frontend validation
    ['list', 'sluice.dev', 'backendtrafficpolicies'],
    ['watch', 'sluice.dev', 'backendtrafficpolicies'],
    ['list', 'sluice.dev', 'routepolicies'],
    ['watch', 'sluice.dev', 'routepolicies'],
  ];
  // Subresources: SelfSubjectAccessReview takes them separately.
  const allowedStatus: [string, string][] = [
    ['get', 'gatewayclasses'],
    ['update', 'gatewayclasses'],
    ['update', 'gateways'],
    ['get', 'httproutes'],
    ['update', 'httproutes'],
    ['update', 'grpcroutes'],
    ['update', 'tlsroutes'],
    ['update', 'tcproutes'],
    ['get', 'backendtlspolicies'],
    ['update', 'backendtlspolicies'],
  ];
  const denied: [string, string, string, string?][] = [
    ['get', '', 'secrets', ns], // only list/watch (with the TLS field selector in practice)
    ['list', '', 'pods'],
    ['get', '', 'configmaps', ns],
    ['update', '', 'configmaps', ns],
    ['delete', 'networking.k8s.io', 'ingresses', ns],
    ['update', 'networking.k8s.io', 'ingresses', ns], // only the status subresource
    ['create', 'coordination.k8s.io', 'leases', 'default'], // only in its own namespace
    ['create', '', 'events', ns],
    ['update', 'gateway.networking.k8s.io', 'gateways', ns], // only the status subresource
    ['update', 'gateway.networking.k8s.io', 'httproutes', ns],
    ['create', 'gateway.networking.k8s.io', 'httproutes', ns],
    ['update', 'gateway.networking.k8s.io', 'grpcroutes', ns], // only the status subresource
    ['create', 'gateway.networking.k8s.io', 'tcproutes', ns],
    ['update', 'gateway.networking.k8s.io', 'backendtlspolicies', ns], // only the status subresource
    ['update', '', 'namespaces'],
    ['update', 'sluice.dev', 'backendtrafficpolicies', ns], // only the status subresource
    ['create', 'sluice.dev', 'backendtrafficpolicies', ns],
    ['get', 'sluice.dev', 'backendtrafficpolicies', ns],
    ['update', 'sluice.dev', 'routepolicies', ns], // only the status subresource
    ['create', 'sluice.dev', 'routepolicies', ns],
    ['get', 'sluice.dev', 'routepolicies', ns],
  ];
  for (const [verb, group, resource, namespace] of allowed) expect([verb, resource, await canI(c, id.token, verb, group, resource, namespace)]).toEqual([verb, resource, true]);
  for (const [verb, group, resource, namespace] of denied) expect([verb, resource, await canI(c, id.token, verb, group, resource, namespace)]).toEqual([verb, resource, false]);
  for (const [verb, resource] of allowedStatus) expect([verb, resource, await canI(c, id.token, verb, 'gateway.networking.k8s.io', resource, ns, 'status')]).toEqual([verb, resource, true]);
  expect(await canI(c, id.token, 'update', 'gateway.networking.k8s.io', 'referencegrants', ns, 'status')).toBe(false);
  for (const resource of ['backendtrafficpolicies', 'routepolicies']) {
    for (const verb of ['get', 'update']) expect([verb, resource, await canI(c, id.token, verb, 'sluice.dev', resource, ns, 'status')]).toEqual([verb, resource, true]);
    expect([resource, await canI(c, id.token, 'patch', 'sluice.dev', resource, ns, 'status')]).toEqual([resource, false]);
  }
});

test('list secrets forbidden: one clear error line per Secret watch (TLS, htpasswd), no crash, not ready; granted back: recovers', async () => {
  const ns = await createNamespace(c, 'k8s-rbac-deny');
  const withoutSecrets = (rules: ReturnType<typeof clusterRoleRules>) =>
    rules.map((r) => ({ ...r, resources: (r.resources ?? []).filter((x) => x !== 'secrets') })).filter((r) => r.resources.length > 0);
  const id: SluiceIdentity = await installRbac(c, ns, withoutSecrets);
  expect(await canI(c, id.token, 'list', '', 'secrets')).toBe(false);
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.50.1' }] });
  const sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-forbidden' });
  started.push(sluice);

  for (const type of ['kubernetes\\.io/tls', 'sluice\\.dev/htpasswd']) {
    const selector = new RegExp(`^forbidden: cannot list secrets \\(type=${type}\\) in all namespaces: .*secrets is forbidden.*deploy/rbac\\.yaml`);
    const line = await sluice.waitForLog(`the forbidden error of ${type}`, (l) => l.code === 'SLUICE_K8S_FORBIDDEN' && selector.test(String(l.msg)));
    console.log(`the forbidden log line: ${JSON.stringify(line)}`);
    expect(line.level).toBe(50); // error
  }
  await sleep(4000); // several retries later: still one line per watch, still alive, not ready
  expect(sluice.logs.filter((l) => l.code === 'SLUICE_K8S_FORBIDDEN').length).toBe(2);
  expect(sluice.alive()).toBe(true);
  expect((await sluice.admin('/healthz')).status).toBe(200);
  expect((await sluice.admin('/readyz')).status).not.toBe(200);
  expect((await sluice.admin('/metrics')).body).toMatch(/sluice_provider_errors_total\{provider="kubernetes",code="SLUICE_K8S_FORBIDDEN"\} [1-9]/);
  expect(sluice.stderr.join('')).toBe('');

  await setClusterRoleRules(c, id, clusterRoleRules());
  await sluice.ready(60_000);
  expect(sluice.findLog((l) => l.msg === 'recovered: listing and watching again')).toBeDefined();
  expect(await get(sluice, 'web.test')).toMatchObject({ status: 200, body: 'backend 10.77.50.1' });
}, 120_000);

test('status update forbidden: a clear log line per failed write, traffic unaffected', async () => {
  const ns = await createNamespace(c, 'k8s-rbac-status');
  const withoutStatus = (rules: ReturnType<typeof clusterRoleRules>) => rules.filter((r) => !(r.resources ?? []).includes('ingresses/status'));
  const id = await installRbac(c, ns, withoutStatus);
  await createApp(c, ns, { className: `sluice-${ns}`, host: 'web.test', svc: 'web', port: PORT, endpoints: [{ address: '10.77.50.1' }] });
  const sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-no-status', args: ['--publish-address', '10.77.220.1'] });
  started.push(sluice);
  await sluice.ready();
  const line = await sluice.waitForLog('the status write failure', (l) => l.code === 'SLUICE_STATUS_WRITE_FAILED');
  expect(line.msg).toMatch(new RegExp(`^cannot write the status of Ingress ${ns}/web: .*forbidden`));
  expect(line.status).toBe(403);
  expect(await get(sluice, 'web.test')).toMatchObject({ status: 200 });
  await eventually('still alive after retries', async () => (await sleep(1500), sluice.alive()));
}, 60_000);
