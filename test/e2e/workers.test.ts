// --workers 2: the controller forks two data-plane workers; tables reach both, metrics are
// summed over both, and SIGTERM drains them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { type Backend, childPids, eventually, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, servingWorkers, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;

/** A process's threads: name and nice value, as the kernel has them. */
function threadsOf(pid: number): { name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]) };
  });
}

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

  it('runs each worker\'s V8 helper threads 10 nice levels below the rest (--helper-thread-nice)', () => {
    // Relative to the nice value Sluice was started with (the controller's, which it keeps).
    const controller = threadsOf(sluice.process.pid!);
    const base = controller[0]!.nice;
    expect(controller.map((t) => t.nice)).toEqual(controller.map(() => base));
    const workers = childPids(sluice.process.pid!);
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      const threads = threadsOf(pid);
      const helpers = threads.filter((t) => t.name === 'V8Worker');
      const others = threads.filter((t) => t.name !== 'V8Worker');
      expect(helpers.length).toBeGreaterThan(0);
      expect(helpers.map((t) => t.nice)).toEqual(helpers.map(() => Math.min(19, base + 10)));
      expect(others.map((t) => t.nice)).toEqual(others.map(() => base));
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
