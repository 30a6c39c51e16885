// Endpoints that are listed ready but refuse connections (a pod that stopped listening before
// its EndpointSlice said so): requests without a body are retried on another endpoint, and
// passive health ejects the dead ones so later requests stop trying them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type Backend, closeServers, debugRoutes, freePort, ingressYaml, get, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;
/** Bodies each endpoint of the replay test received, in arrival order. */
const swallowed: string[] = [];
const recorded: string[] = [];
let bodyServers: Server[] = [];

/** A backend that collects each request body; `answer` decides what happens then. */
function bodyServer(into: string[], answer: (res: ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      into.push(body);
      answer(res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  backends = await startBackends(['alive']);
  const dead = [await freePort(), await freePort()];
  bodyServers = [await bodyServer(swallowed, (res) => res.socket?.resetAndDestroy()), await bodyServer(recorded, (res) => res.end('ok\n'))];
  const [swallower, recorder] = bodyServers.map((s) => (s.address() as { port: number }).port) as [number, number];
  dir = new ManifestDir();
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml('r', 'mixed', [{ port: dead[0]! }, { port: backends[0]!.port }, { port: dead[1]! }]),
    ingressYaml('r', 'r', 'r.example.com', [{ path: '/', service: 'mixed' }]),
    serviceYaml('r', 'bodies', [{ port: swallower }, { port: recorder }]),
    ingressYaml('r', 'replay', 'replay.example.com', [{ path: '/', service: 'bodies' }]),
  ].join('\n---\n'));
  sluice = await startSluice(dir.path);
});
afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  await closeServers(bodyServers);
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
    // /debug/routes shows what the worker's passive health knows: the dead endpoints failed, the live one has no record.
    const mixed = (await debugRoutes(sluice)).clusters.find((c) => c.id === 'r/mixed:80')!;
    const failures = mixed.endpoints.map((e) => e.health?.[0]?.failures ?? 0);
    expect(mixed.endpoints.find((e) => e.port === backends[0]!.port)!.health).toBeUndefined();
    expect(failures.reduce((a, b) => a + b, 0)).toBe(retries);
  });

  it('does not replay a request whose body was already streamed', async () => {
    // Round robin over [swallower, recorder]: the swallower reads the whole body, then resets
    // without answering. A POST that met it must fail (502), never reach the recorder as well.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await get(sluice.httpPort, 'replay.example.com', '/', { method: 'POST', body: `body-${i}` })).status);
    expect(swallowed.length).toBeGreaterThan(0);
    expect(recorded.length).toBeGreaterThan(0);
    const all = [...swallowed, ...recorded];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `body-${i}`).sort());
    expect(statuses.filter((s) => s === 502)).toHaveLength(swallowed.length);
    expect(statuses.filter((s) => s === 200)).toHaveLength(recorded.length);
  });
});
