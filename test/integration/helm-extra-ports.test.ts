// The chart's service.extraPorts against the real kube-apiserver: the Service and Deployment it
// renders are stored as rendered (node ports kept or allocated, each Service targetPort naming a
// container port), and the schema's rule for a port name agrees with the apiserver's own
// validation (IANA_SVC_NAME) on names either side of the line, so the chart neither refuses a
// name Kubernetes takes nor lets through one `helm install` would then fail on.
import { beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { one, sluiceContainer, template, templateRun } from '../chart/support/helm.js';
import { api, cluster as attach, createNamespace, must } from './support/kube.js';

let c: Cluster;
let ns: string;

beforeAll(async () => {
  c = attach();
  ns = await createNamespace(c, 'chart-ports');
}, 30_000);

test('extra ports: the Service and the Deployment are stored as rendered, node ports kept or allocated', async () => {
  const extraPorts = [
    { name: 'postgres', port: 5432 },
    { name: 'passthrough', port: 9443, nodePort: 30943 },
    { name: 'alt-http', port: 8000, targetPort: 18000 },
  ];
  const objs = await template({ namespace: ns, release: 'sluice', values: { service: { type: 'NodePort', extraPorts } } });
  const svc = one(objs, 'Service', 'sluice');
  const deployment = one(objs, 'Deployment');
  const stored = (await must(c, 'POST', `/api/v1/namespaces/${ns}/services`, svc)).body;
  await must(c, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment);

  const ports = stored.spec.ports as { name: string; port: number; targetPort: string; protocol: string; nodePort: number }[];
  expect(ports.map((p) => [p.name, p.port, p.targetPort, p.protocol])).toEqual([
    ['http', 80, 'http', 'TCP'],
    ['https', 443, 'https', 'TCP'],
    ['postgres', 5432, 'postgres', 'TCP'],
    ['passthrough', 9443, 'passthrough', 'TCP'],
    ['alt-http', 8000, 'alt-http', 'TCP'],
  ]);
  expect(ports.find((p) => p.name === 'passthrough')!.nodePort).toBe(30943);
  for (const p of ports) expect([p.name, p.nodePort >= 30000 && p.nodePort <= 32767]).toEqual([p.name, true]);

  // Each Service port reaches the pod through a container port of its name.
  const container = sluiceContainer([(await must(c, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${deployment.metadata.name}`)).body]);
  const containerPorts = new Map((container.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
  expect(ports.map((p) => [p.name, containerPorts.get(p.targetPort)])).toEqual([
    ['http', 8080],
    ['https', 8443],
    ['postgres', 5432],
    ['passthrough', 9443],
    ['alt-http', 18000],
  ]);
}, 60_000);

test('the schema takes exactly the port names the apiserver takes', async () => {
  const names = [
    'postgres', 'p', 'pg-1', '1a', 'a1-b2-c3', 'tls-passthrough', 'abcdefghijklmno', // valid
    'Postgres', '5432', 'pg--x', '-pg', 'pg-', 'pg_1', 'pg.1', 'abcdefghijklmnop', // not
  ];
  const verdicts: { name: string; chart: boolean; apiserver: boolean }[] = [];
  for (const name of names) {
    const rendered = await templateRun({ values: { service: { extraPorts: [{ name, port: 5432 }] } } });
    // A Deployment, as the chart's: its pod template is validated as a pod is.
    const labels = { app: 'port-name' };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'port-name', namespace: ns },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'sluice', ports: [{ name, containerPort: 5432 }] }] } } },
    };
    const res = await api(c, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments?dryRun=All`, deployment);
    if (res.status !== 201 && res.status !== 422) throw new Error(`dry-run Deployment with port name ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    verdicts.push({ name, chart: rendered.code === 0, apiserver: res.status === 201 });
  }
  expect(verdicts.filter((v) => v.chart !== v.apiserver)).toEqual([]);
  expect(verdicts.filter((v) => v.chart).map((v) => v.name)).toEqual(names.slice(0, 7));
}, 120_000);
