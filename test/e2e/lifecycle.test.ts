// Live changes and process lifecycle in file mode: edits go live without failed requests, a
// broken manifest keeps the last good routes, SIGTERM drains in-flight requests.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type Backend, debugRoutes, eventually, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
const port = (name: string) => backends.find((b) => b.name === name)!.port;
let dir: ManifestDir;
let sluice: Sluice | undefined;

const ingress = (path: string, service: string) => ingressYaml('live', 'app', 'live.example.com', [{ path, service }]);

beforeAll(async () => {
  backends = await startBackends(['blue', 'green']);
});
afterAll(async () => {
  await stopBackends(backends ?? []);
});

beforeEach(async () => {
  dir = new ManifestDir();
  dir.write('base.yaml', [INGRESS_CLASS_YAML, serviceYaml('live', 'blue', [{ port: port('blue') }]), serviceYaml('live', 'green', [{ port: port('green') }])].join('\n---\n'));
  dir.write('ingress.yaml', ingress('/', 'blue'));
  sluice = await startSluice(dir.path);
});
afterEach(async () => {
  await sluice?.stop();
  sluice = undefined;
  dir.remove();
});


describe('live manifest changes', () => {
  it('makes an edit live within 1 s with no failed request in a stream during the edit', async () => {
    const s = sluice!;
    let failures = 0;
    let running = true;
    const seen: string[] = [];
    // Four concurrent keep-alive request loops, running before, during and after the edit.
    const loops = Array.from({ length: 4 }, async () => {
      while (running) {
        const r = await get(s.httpPort, 'live.example.com', '/').catch(() => undefined);
        if (r?.status === 200) seen.push(r.json().backend);
        else failures++;
      }
    });
    await eventually('100 answers before the edit', async () => seen.length > 100, 5000);
    const editedAt = Date.now();
    dir.write('ingress.yaml', ingress('/', 'green'));
    await eventually('the edit to be live', async () => seen[seen.length - 1] === 'green', 1000, 2);
    const liveAfter = Date.now() - editedAt;
    const afterEdit = seen.length;
    await eventually('100 answers after the edit', async () => seen.length > afterEdit + 100, 5000);
    running = false;
    await Promise.all(loops);
    expect(failures).toBe(0);
    expect(liveAfter).toBeLessThan(1000);
    expect(seen.slice(0, 100)).toEqual(Array(100).fill('blue'));
    expect(seen.slice(afterEdit)).toEqual(Array(seen.length - afterEdit).fill('green'));
    expect(await metricValue(s, 'sluice_table_swaps_total', { path: 'full' })).toBeGreaterThanOrEqual(2);
  });

  it('keeps the last good routes when a file stops parsing, and reports the file', async () => {
    const s = sluice!;
    dir.write('ingress.yaml', `${ingress('/', 'green')}\n  this: is: [not yaml\n`);
    await eventually('the parse diagnostic', async () => (await debugRoutes(s)).diagnostics.some((d) => d.code === 'SLUICE_MANIFEST_PARSE' && d.source.name === 'ingress.yaml'), 3000);
    expect((await get(s.httpPort, 'live.example.com', '/')).json().backend).toBe('blue');
    expect((await get(s.adminPort, 'localhost', '/readyz')).status).toBe(200);
    expect(s.output()).toMatch(/cannot parse ingress\.yaml/);
    expect(await metricValue(s, 'sluice_provider_errors_total', { code: 'SLUICE_MANIFEST_PARSE' })).toBeGreaterThanOrEqual(1);
    // Fixing the file clears the diagnostic and applies the edit.
    dir.write('ingress.yaml', ingress('/', 'green'));
    await eventually('the green backend', async () => (await get(s.httpPort, 'live.example.com', '/')).json().backend === 'green', 3000);
    expect((await debugRoutes(s)).diagnostics.some((d) => d.code === 'SLUICE_MANIFEST_PARSE')).toBe(false);
  });

  it('sees in-place rewrites and renames alike, every time', async () => {
    const s = sluice!;
    for (const [i, service] of ['green', 'blue', 'green', 'blue'].entries()) {
      if (i % 2 === 0) dir.write('ingress.yaml', ingress('/', service));
      else dir.writeInPlace('ingress.yaml', ingress('/', service));
      const started = Date.now();
      await eventually(`edit ${i} live`, async () => (await get(s.httpPort, 'live.example.com', '/')).json().backend === service, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('removes the routes of a deleted file', async () => {
    const s = sluice!;
    dir.write('ingress.yaml', '# emptied\n');
    await eventually('the route to be gone', async () => (await get(s.httpPort, 'live.example.com', '/')).status === 404, 3000);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish on SIGTERM and exits 0', async () => {
    const s = sluice!;
    const inflight = get(s.httpPort, 'live.example.com', '/slow?delay=800');
    await new Promise((r) => setTimeout(r, 200));
    const exit = s.stop('SIGTERM');
    // Readiness drops at once so a load balancer stops sending new traffic.
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.json().backend).toBe('blue');
    expect(await exit).toBe(0);
    sluice = undefined;
  });

  it('cuts requests that outlive --drain-timeout and still exits 0', async () => {
    await sluice!.stop();
    sluice = await startSluice(dir.path, ['--drain-timeout', '300ms']);
    const s = sluice;
    const inflight = get(s.httpPort, 'live.example.com', '/slow?delay=5000').then((r) => r.status, () => 'cut');
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await inflight).toBe('cut');
    sluice = undefined;
  });
});
