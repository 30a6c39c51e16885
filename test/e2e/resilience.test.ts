// Endpoints that are listed ready but refuse connections (a pod that stopped listening before
// its EndpointSlice said so): requests without a body are retried on another endpoint, and
// passive health ejects the dead ones so later requests stop trying them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Backend, freePort, ingressYaml, get, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;

beforeAll(async () => {
  backends = await startBackends(['alive']);
  const dead = [await freePort(), await freePort()];
  dir = new ManifestDir();
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml('r', 'mixed', [{ port: dead[0]! }, { port: backends[0]!.port }, { port: dead[1]! }]),
    ingressYaml('r', 'r', 'r.example.com', [{ path: '/', service: 'mixed' }]),
  ].join('\n---\n'));
  sluice = await startSluice(dir.path);
});
afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
});

describe('dead endpoints', () => {
  it('answers every request from the live endpoint, and ejection stops the retries', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await get(sluice.httpPort, 'r.example.com', '/');
      expect(r.status).toBe(200);
      expect(r.json().backend).toBe('alive');
    }
    const retries = await metricValue(sluice, 'sluice_upstream_retries_total', { backend: 'r/mixed:80' });
    // Each dead endpoint is tried once, then ejected (1 s) while the live one serves.
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(2);
    expect(await metricValue(sluice, 'sluice_upstream_errors_total', { backend: 'r/mixed:80', kind: 'connect' })).toBe(retries);
  });

  it('does not replay a request whose body was already streamed', async () => {
    // A POST that lands on a dead endpoint fails with 502 rather than being sent twice; once the
    // dead ones are ejected, POSTs reach the live endpoint.
    const statuses = new Set<number>();
    for (let i = 0; i < 10; i++) statuses.add((await get(sluice.httpPort, 'r.example.com', '/', { method: 'POST', body: 'x' })).status);
    expect([...statuses].every((s) => s === 200 || s === 502)).toBe(true);
    expect(statuses.has(200)).toBe(true);
  });
});
