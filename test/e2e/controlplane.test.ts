// The control plane runs beside the data plane, never on its event loop: a stopped controller
// does not stop traffic, an endpoint-only update reaching a worker keeps its compiled routes
// (and weighted round-robin position), manifest files above --max-manifest-bytes are reported
// and skipped, and a worker that cannot start makes Sluice exit instead of hanging.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { Client } from 'undici';
import { type Backend, debugRoutes, eventually, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, sleep, type Sluice, startBackends, startSluice, stopBackends, waitForGeneration, GATEWAY_CLASS_YAML, httpGatewayYaml } from './support/harness.js';

let backends: Backend[];
beforeAll(async () => {
  backends = await startBackends(['one', 'two']);
});
afterAll(async () => {
  await stopBackends(backends ?? []);
});

const port = (name: string) => backends.find((b) => b.name === name)!.port;
const ingress = (service: string, padding = '') => `${ingressYaml('cp', 'app', 'cp.example.com', [{ path: '/', service }])}${padding}`;

describe('--workers 1', () => {
  const dir = new ManifestDir();
  let sluice: Sluice;

  beforeAll(async () => {
    dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('cp', 'one', [{ port: port('one') }])].join('\n---\n'));
    dir.write('ingress.yaml', ingress('one'));
    sluice = await startSluice(dir.path);
  });
  afterAll(async () => {
    if (sluice) process.kill(sluice.process.pid!, 'SIGCONT');
    await sluice?.stop();
    dir.remove();
  });

  it('keeps serving while the controller process is stopped', async () => {
    expect((await get(sluice.httpPort, 'cp.example.com', '/')).json().backend).toBe('one');
    process.kill(sluice.process.pid!, 'SIGSTOP');
    try {
      for (let i = 0; i < 5; i++) {
        const r = await get(sluice.httpPort, 'cp.example.com', '/', { headers: { connection: 'close' } });
        expect(r.json().backend).toBe('one');
      }
    } finally {
      process.kill(sluice.process.pid!, 'SIGCONT');
    }
    expect((await get(sluice.adminPort, 'localhost', '/readyz')).status).toBe(200);
  });
});

describe('--max-manifest-bytes', () => {
  const dir = new ManifestDir();
  const limit = 4096;
  const tooLarge = (file: string) => async () =>
    (await debugRoutes(sluice)).diagnostics.find((d) => d.code === 'SLUICE_MANIFEST_TOO_LARGE' && d.source.name === file);
  let sluice: Sluice;

  beforeAll(async () => {
    dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('cp', 'one', [{ port: port('one') }]), serviceYaml('cp', 'two', [{ port: port('two') }])].join('\n---\n'));
    dir.write('ingress.yaml', ingress('one'));
    dir.write('huge.yaml', ingressYaml('cp', 'huge', 'huge.example.com', [{ path: '/', service: 'one' }]) + `# ${'x'.repeat(limit)}\n`);
    sluice = await startSluice(dir.path, ['--max-manifest-bytes', String(limit)]);
  });
  afterAll(async () => {
    await sluice?.stop();
    dir.remove();
  });

  it('skips a file above the limit from the start and reports it once', async () => {
    const d = await eventually('the too-large diagnostic', tooLarge('huge.yaml'), 3000);
    expect(d.message).toMatch(/^huge\.yaml is \d+ bytes, above --max-manifest-bytes 4096/);
    expect((await get(sluice.httpPort, 'huge.example.com', '/')).status).toBe(404);
    expect(sluice.output()).toMatch(/huge\.yaml is \d+ bytes/);
    await sleep(2500); // past a periodic rescan: an unchanged file is not reported again
    expect(await metricValue(sluice, 'sluice_provider_errors_total', { code: 'SLUICE_MANIFEST_TOO_LARGE' })).toBe(1);
  });

  it('keeps the last good objects of a file that grows above the limit, and applies it once it shrinks', async () => {
    dir.write('ingress.yaml', ingress('two', `# ${'x'.repeat(limit)}\n`));
    await eventually('the too-large diagnostic', tooLarge('ingress.yaml'), 3000);
    expect((await get(sluice.httpPort, 'cp.example.com', '/')).json().backend).toBe('one');
    dir.write('ingress.yaml', ingress('two'));
    await eventually('the edit', async () => (await get(sluice.httpPort, 'cp.example.com', '/')).json().backend === 'two', 3000);
    expect(await tooLarge('ingress.yaml')()).toBeUndefined();
  });
});

describe('--workers 2, endpoint-only updates', () => {
  const dir = new ManifestDir();
  let sluice: Sluice;
  let client: Client;
  // Service two with a second, never ready endpoint: moving it changes endpoints, not traffic.
  const two = (idlePort: number) => serviceYaml('cp', 'two', [{ port: port('two') }, { port: idlePort, ready: false }]);
  const backend = async () => {
    const r = await client.request({ path: '/', method: 'GET', headers: { host: 'wrr.example.com' } });
    return ((await r.body.json()) as { backend: string }).backend;
  };

  beforeAll(async () => {
    dir.write('gateway.yaml', `${GATEWAY_CLASS_YAML}
---
${httpGatewayYaml('cp', 'gw')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: wrr, namespace: cp }
spec:
  parentRefs: [{ name: gw }]
  hostnames: [wrr.example.com]
  rules:
    - backendRefs: [{ name: one, port: 80 }, { name: two, port: 80 }]
`);
    dir.write('one.yaml', serviceYaml('cp', 'one', [{ port: port('one') }]));
    dir.write('two.yaml', two(1));
    sluice = await startSluice(dir.path, ['--workers', '2']);
    // One connection: every request reaches the same worker, whose balancer we follow.
    client = new Client(`http://127.0.0.1:${sluice.httpPort}`, { keepAliveTimeout: 60_000 });
  });
  afterAll(async () => {
    await client?.close();
    await sluice?.stop();
    dir.remove();
  });

  it('keeps the weighted round-robin position across an update of endpoints only', async () => {
    // Equal weights alternate; this worker has served nothing on this route yet.
    const first = await backend();
    expect(await backend()).not.toBe(first);
    expect(await backend()).toBe(first);
    const before = (await debugRoutes(sluice)).generation;
    const fastPath = await metricValue(sluice, 'sluice_table_swaps_total', { path: 'endpoints' });
    dir.write('two.yaml', two(2));
    await waitForGeneration(sluice, before);
    expect(await metricValue(sluice, 'sluice_table_swaps_total', { path: 'endpoints' })).toBe(fastPath + 1);
    // A recompiled route would start over at `first`.
    expect(await backend()).not.toBe(first);
    expect(await backend()).toBe(first);
  });
});

describe('a worker that cannot start', () => {
  it('makes Sluice exit with a coded error instead of waiting forever', async () => {
    const dir = new ManifestDir();
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      dir.write('base.yaml', INGRESS_CLASS_YAML);
      await expect(startSluice(dir.path, ['--workers', '2', '--http-port', String(takenPort)])).rejects.toThrow(/SLUICE_WORKER_START_FAILED/);
    } finally {
      taken.close();
      dir.remove();
    }
  });
});
