// Smoke test of the integration-test cluster (test/cluster/): a REAL kube-apiserver + etcd,
// spoken to with plain fetch. It proves what the later integration tests rely on: objects
// round-trip, RBAC is enforced, ServiceAccount tokens work without kube-controller-manager,
// EndpointSlices accept 10.77.x.y but reject loopback (hence the network namespace), backends
// can listen on 10.77.x.y, and the apiserver can be stopped and started again.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Agent, fetch } from 'undici';
import { attachCluster, type Cluster } from '../cluster/harness.js';

const execFileP = promisify(execFile);

let cluster: Cluster;
let agent: Agent;
const ns = `smoke-${randomBytes(3).toString('hex')}`;

interface Call {
  status: number;
  body: Record<string, unknown>;
}

async function api(method: string, path: string, body?: unknown, token?: string): Promise<Call> {
  const res = await fetch(`${cluster.server}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      authorization: `Bearer ${token ?? cluster.adminToken}`,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

function endpointSlice(name: string, address: string): unknown {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': 'echo' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

beforeAll(async () => {
  cluster = attachCluster();
  agent = new Agent({ connect: { ca: cluster.caPem } });
  const created = await api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  // Without kube-controller-manager a deleted namespace stays Terminating; unique names instead.
  await agent?.close();
});

test('the apiserver is the pinned real kube-apiserver and is ready', async () => {
  const ready = await fetch(`${cluster.server}/readyz?verbose`, {
    dispatcher: agent,
    headers: { authorization: `Bearer ${cluster.adminToken}` },
  });
  const text = await ready.text();
  expect(ready.status).toBe(200);
  expect(text).toContain('[+]etcd ok');
  expect(text).toContain('[+]poststarthook/rbac/bootstrap-roles ok');
  const version = await api('GET', '/version');
  expect(version.status).toBe(200);
  expect(version.body['gitVersion']).toMatch(/^v1\.3[5-9]\.\d+$/);
});

test('a Service and an EndpointSlice with a 10.77.x.y address round-trip', async () => {
  const svc = await api('POST', `/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: ns },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  expect(svc.status).toBe(201);
  const clusterIP = (svc.body['spec'] as { clusterIP?: string }).clusterIP;
  expect(clusterIP).toMatch(/^10\.96\./);

  const addr = `${cluster.hostAddress.split('.').slice(0, 2).join('.')}.1.10`;
  const created = await api('POST', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, endpointSlice('echo-1', addr));
  expect(created.status).toBe(201);

  const got = await api('GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/echo-1`);
  expect(got.status).toBe(200);
  expect(got.body['endpoints']).toEqual([{ addresses: [addr], conditions: { ready: true } }]);
  expect(got.body['ports']).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);

  const list = await api(
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=echo')}`,
  );
  expect(list.status).toBe(200);
  expect((list.body['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['echo-1']);

  const readSvc = await api('GET', `/api/v1/namespaces/${ns}/services/echo`);
  expect(readSvc.status).toBe(200);
  expect((readSvc.body['spec'] as { clusterIP?: string }).clusterIP).toBe(clusterIP);
});

test('an EndpointSlice with 127.0.0.1 is rejected (why the tests run in a network namespace)', async () => {
  const res = await api('POST', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, endpointSlice('loop', '127.0.0.1'));
  expect(res.status).toBe(422);
  expect(JSON.stringify(res.body)).toMatch(/loopback/);
});

test('a backend can listen on a 10.77.x.y address inside the namespace', async () => {
  const addr = `${cluster.hostAddress.split('.').slice(0, 2).join('.')}.3.7`;
  const server = http.createServer((_req, res) => res.end('hello from backend'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, addr, () => resolve());
  });
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://${addr}:${port}/`);
    expect(await res.text()).toBe('hello from backend');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('RBAC is enforced for static-token users', async () => {
  const token = cluster.tokenFor('unbound-user');
  const path = `/api/v1/namespaces/${ns}/services`;
  const denied = await api('GET', path, undefined, token);
  expect(denied.status).toBe(403);

  const role = await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'svc-reader' },
    rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] }],
  });
  expect(role.status).toBe(201);
  const binding = await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'svc-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'svc-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'unbound-user' }],
  });
  expect(binding.status).toBe(201);

  // The RBAC authorizer reads from an informer: allow a moment for the binding to arrive.
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await api('GET', path, undefined, token)).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  expect(status).toBe(200);
  // Still denied outside the granted namespace and verbs.
  expect((await api('GET', '/api/v1/services', undefined, token)).status).toBe(403);
  expect((await api('DELETE', `${path}/echo`, undefined, token)).status).toBe(403);
});

test('ServiceAccount tokens from the TokenRequest API authenticate, and RBAC applies to them', async () => {
  const token = await cluster.createServiceAccountToken(ns, 'sluice');
  const review = await api(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    token,
  );
  expect(review.status).toBe(201);
  const user = (review.body['status'] as { userInfo: { username: string } }).userInfo;
  expect(user.username).toBe(`system:serviceaccount:${ns}:sluice`);
  expect((await api('GET', '/apis/discovery.k8s.io/v1/endpointslices', undefined, token)).status).toBe(403);
});

test('kubeconfigs written by the harness work with kubectl', async () => {
  const kubectl = '/usr/bin/kubectl';
  if (!fs.existsSync(kubectl)) {
    console.warn(`${kubectl} not installed; only checking the kubeconfig text`);
    expect(fs.readFileSync(cluster.kubeconfigPath, 'utf8')).toContain(cluster.server);
    return;
  }
  const admin = await execFileP(kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'get', 'namespace', ns, '-o', 'name'], { timeout: 20_000 });
  expect(admin.stdout.trim()).toBe(`namespace/${ns}`);
  const other = cluster.kubeconfigForToken(cluster.tokenFor('sluice-controller'), 'sluice-controller');
  const whoami = await execFileP(kubectl, ['--kubeconfig', other, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { timeout: 20_000 });
  expect(whoami.stdout.trim()).toBe('sluice-controller');
});

test('the apiserver can be stopped and started again on the same address, keeping etcd data', async () => {
  const before = cluster.server;
  await cluster.stopApiserver();
  expect(cluster.isApiserverRunning()).toBe(false);
  await expect(api('GET', '/readyz')).rejects.toThrow();

  await cluster.startApiserver();
  expect(cluster.isApiserverRunning()).toBe(true);
  expect(cluster.server).toBe(before);
  const got = await api('GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/echo-1`);
  expect(got.status).toBe(200);
}, 180_000);
