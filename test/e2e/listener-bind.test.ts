// A listener whose socket cannot be opened (a Gateway address this host does not have) is that
// listener's problem only: the table still installs, every other listener keeps serving and
// keeps getting route edits, the worker stays up, and the failure is logged once and counted.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, eventually, GATEWAY_CLASS_YAML, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

const UNBINDABLE_GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: elsewhere, namespace: lb }
spec:
  gatewayClassName: sluice
  addresses: [{ value: 192.0.2.1 }]
  listeners: [{ name: http, port: 8081, protocol: HTTP }]`;

describe('a listener that cannot bind', () => {
  let dir: ManifestDir;
  let sluice: Sluice;
  let backends: Backend[];

  beforeAll(async () => {
    backends = await startBackends(['one', 'two']);
    dir = new ManifestDir();
    dir.write('base.yaml', [INGRESS_CLASS_YAML, GATEWAY_CLASS_YAML, UNBINDABLE_GATEWAY, serviceYaml('lb', 'one', [{ port: backends[0]!.port }]), serviceYaml('lb', 'two', [{ port: backends[1]!.port }])].join('\n---\n'));
    dir.write('ingress.yaml', ingressYaml('lb', 'web', 'web.lb.test', [{ path: '/', service: 'one' }]));
    sluice = await startSluice(dir.path);
  });
  afterAll(async () => {
    await sluice?.stop();
    await stopBackends(backends ?? []);
    dir?.remove();
  });

  it('serves the other listeners and their route edits', async () => {
    await eventually('web served by one', async () => (await get(sluice.httpPort, 'web.lb.test', '/')).headers['x-backend'] === 'one');
    for (const [i, service] of ['two', 'one', 'two'].entries()) {
      dir.write('ingress.yaml', ingressYaml('lb', 'web', 'web.lb.test', [{ path: '/', service }]));
      await eventually(`edit ${i} live`, async () => (await get(sluice.httpPort, 'web.lb.test', '/')).headers['x-backend'] === service, 5000);
    }
    expect(await metricValue(sluice, 'sluice_listener_bind_failures_total', { code: 'EADDRNOTAVAIL' })).toBeGreaterThanOrEqual(1);
    const output = sluice.output();
    expect(output.match(/cannot listen/g)?.length).toBe(1);
    expect(output).not.toMatch(/worker died/);
  });
});
