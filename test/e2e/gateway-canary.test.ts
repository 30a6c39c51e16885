// The canary example end to end: the real examples/canary manifests (endpoint ports swapped for
// free ones), a real Sluice process, real backends. A 90/10 split lands within ±3 points over
// 1000 requests, and a weight change made while requests flow is live within 1 s with no
// failed request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startEchoBackend } from '../../src/demo/backend.js';
import { closeServers, debugRoutes, freePort, ManifestDir, ROOT, type Sluice, startSluice } from './support/harness.js';

const example = (file: string) => readFileSync(join(ROOT, 'examples', 'canary', file), 'utf8');

describe('Gateway API canary (file mode)', () => {
  const dir = new ManifestDir();
  const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  let servers: Server[] = [];
  let sluice: Sluice;
  let route: string;

  async function get(headers: Record<string, string> = {}): Promise<{ status: number; backend: string }> {
    const r = await request(`http://127.0.0.1:${sluice.httpPort}/`, { dispatcher: agent, headers: { host: 'shop.localhost', ...headers } });
    const text = await r.body.text();
    const backend = r.statusCode === 200 ? (JSON.parse(text) as { backend: string }).backend : `status-${r.statusCode}`;
    return { status: r.statusCode, backend };
  }

  beforeAll(async () => {
    const stablePort = await freePort();
    const canaryPort = await freePort();
    servers = [await startEchoBackend('stable', stablePort), await startEchoBackend('canary', canaryPort)];
    dir.write('gateway.yaml', example('gateway.yaml'));
    dir.write('services.yaml', example('services.yaml').replaceAll('9201', String(stablePort)).replaceAll('9202', String(canaryPort)));
    route = example('route.yaml');
    dir.write('route.yaml', route);
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await agent.close();
    await closeServers(servers);
    dir.remove();
  });

  it('reports the Gateway and the route as accepted and programmed', async () => {
    const d = await debugRoutes(sluice);
    const gateway = d.statuses.find((s) => s.kind === 'Gateway') as { status: { conditions: { type: string; status: string }[] } };
    expect(gateway.status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'Programmed=True']);
    const httpRoute = d.statuses.find((s) => s.kind === 'HTTPRoute') as { parents: { conditions: { type: string; status: string }[] }[] };
    expect(httpRoute.parents[0]!.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
    expect(d.listeners.map((l) => [l.port, l.socketPort])).toEqual([[80, sluice.httpPort]]);
  });

  it('splits 90/10 within ±3 points over 1000 requests', async () => {
    const counts = new Map<string, number>();
    for (let batch = 0; batch < 50; batch++) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => get()));
      for (const r of replies) counts.set(r.backend, (counts.get(r.backend) ?? 0) + 1);
    }
    const canaryShare = ((counts.get('canary') ?? 0) / 1000) * 100;
    expect(counts.get('stable')! + counts.get('canary')!).toBe(1000);
    expect(Math.abs(canaryShare - 10)).toBeLessThanOrEqual(3);
  });

  it('header match sends X-Canary: always to the canary', async () => {
    for (let i = 0; i < 20; i++) expect((await get({ 'x-canary': 'always' })).backend).toBe('canary');
  });

  it('applies a weight change within 1 s while requests flow, failing none', async () => {
    const results: { at: number; status: number; backend: string }[] = [];
    let flowing = true;
    const workers = Array.from({ length: 4 }, async () => {
      while (flowing) {
        const r = await get();
        results.push({ at: Date.now(), ...r });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const changedAt = Date.now();
    dir.write('route.yaml', route.replace('weight: 90', 'weight: 0').replace('weight: 10', 'weight: 100'));
    await new Promise((r) => setTimeout(r, 1500));
    flowing = false;
    await Promise.all(workers);

    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const before = results.filter((r) => r.at < changedAt);
    const settled = results.filter((r) => r.at > changedAt + 1000);
    expect(before.some((r) => r.backend === 'stable')).toBe(true);
    expect(settled.length).toBeGreaterThan(50);
    expect(settled.filter((r) => r.backend !== 'canary')).toEqual([]);
  });
});
