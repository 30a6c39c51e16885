// --workers 2: the controller forks two data-plane workers; tables reach both, metrics are
// summed over both, and SIGTERM drains them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, eventually, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, servingWorkers, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;

const ingress = (service: string) => ingressYaml('w', 'app', 'w.example.com', [{ path: '/', service }]);

beforeAll(async () => {
  backends = await startBackends(['one', 'two']);
  dir = new ManifestDir();
  dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('w', 'one', [{ port: backends[0]!.port }]), serviceYaml('w', 'two', [{ port: backends[1]!.port }])].join('\n---\n'));
  dir.write('ingress.yaml', ingress('one'));
  sluice = await startSluice(dir.path, ['--workers', '2']);
});
afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
});

describe('--workers 2', () => {
  it('serves from both workers, with metrics summed over them', async () => {
    const before = await metricValue(sluice, 'sluice_requests_total', { backend: 'w/one:80' });
    // Fresh connections so the kernel spreads them over both workers.
    for (let i = 0; i < 40; i++) {
      const r = await get(sluice.httpPort, 'w.example.com', '/', { headers: { connection: 'close' } });
      expect(r.json().backend).toBe('one');
    }
    expect(await metricValue(sluice, 'sluice_requests_total', { backend: 'w/one:80' })).toBe(before + 40);
    expect(servingWorkers(sluice, backends[0]!.port)).toBe(2);
  });

  it('delivers a live edit to every worker', async () => {
    dir.write('ingress.yaml', ingress('two'));
    await eventually('the edit in a worker', async () => (await get(sluice.httpPort, 'w.example.com', '/')).json().backend === 'two', 3000);
    for (let i = 0; i < 20; i++) {
      expect((await get(sluice.httpPort, 'w.example.com', '/', { headers: { connection: 'close' } })).json().backend).toBe('two');
    }
  });

  it('drains the workers on SIGTERM and exits 0', async () => {
    const inflight = get(sluice.httpPort, 'w.example.com', '/?delay=500');
    await new Promise((r) => setTimeout(r, 150));
    const code = sluice.stop('SIGTERM');
    expect((await inflight).status).toBe(200);
    expect(await code).toBe(0);
  });
});
