// The traffic-policy example end to end: the real examples/traffic-policy manifests (ports
// swapped for free ones), its six demo backends on 127.0.0.1-3, a real Sluice process. Both
// policies are accepted, api balances by least request and drops an endpoint whose /health
// fails, and cart pins a client by cookie — what examples/traffic-policy/README.md promises.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { startEchoBackend } from '../../src/demo/backend.js';
import { closeServers, debugRoutes, eventually, freePort, get, ManifestDir, ROOT, type Sluice, startSluice } from './support/harness.js';

const example = (file: string) => readFileSync(join(ROOT, 'examples', 'traffic-policy', file), 'utf8');
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

describe('traffic-policy example (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  let apiPort: number;

  beforeAll(async () => {
    apiPort = await freePort();
    const cartPort = await freePort();
    for (const [i, host] of HOSTS.entries()) servers.push(await startEchoBackend(`api-${i}`, apiPort, host), await startEchoBackend(`cart-${i}`, cartPort, host));
    dir.write('services.yaml', example('services.yaml').replaceAll('9301', String(apiPort)).replaceAll('9302', String(cartPort)));
    dir.write('ingress.yaml', example('ingress.yaml'));
    dir.write('policy.yaml', example('policy.yaml'));
    sluice = await startSluice(dir.path);
  });
  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  const backend = async (host: string, headers: Record<string, string> = {}) => String((await get(sluice.httpPort, host, '/', { headers })).headers['x-backend']);

  it('accepts both policies and applies them to their Services', async () => {
    const routes = (await eventually('table with the shop clusters', async () => {
      const d = await debugRoutes(sluice);
      return d.clusters.length >= 2 ? d : undefined;
    })) as unknown as { clusters: { id: string; loadBalancer: { type: string }; policy?: { source: { name: string }; sessionPersistence?: unknown } }[]; diagnostics: { source: { kind: string } }[] };
    expect(routes.diagnostics.filter((d) => d.source.kind === 'BackendTrafficPolicy')).toEqual([]);
    const api = routes.clusters.find((c) => c.id === 'shop/api:80')!;
    expect(api.loadBalancer.type).toBe('LeastRequest');
    expect(api.policy?.source.name).toBe('api');
    expect(routes.clusters.find((c) => c.id === 'shop/cart:80')!.policy?.sessionPersistence).toBeDefined();
  });

  it('api: every endpoint serves, and one failing /health leaves within the check budget', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add(await backend('api.localhost'));
    expect(seen).toEqual(new Set(['api-0', 'api-1', 'api-2']));
    await get(apiPort, 'fault', '/_fault/health/down', { address: '127.0.0.2' });
    await eventually('api-1 out', async () => {
      for (let i = 0; i < 12; i++) if ((await backend('api.localhost')) === 'api-1') return false;
      return true;
    }, 1000 * 3 + 2000, 200);
    await get(apiPort, 'fault', '/_fault/health/up', { address: '127.0.0.2' });
  });

  it('cart: the session cookie keeps a client on one endpoint', async () => {
    const first = await get(sluice.httpPort, 'cart.localhost', '/');
    const cookie = (first.headers['set-cookie'] as string[])[0]!;
    expect(cookie).toMatch(/^cart-session=[0-9a-f]{16}\.[0-9a-z]+\.[0-9a-z]+; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    for (let i = 0; i < 5; i++) expect(await backend('cart.localhost', { cookie: cookie.split(';')[0]! })).toBe(first.headers['x-backend']);
  });
});
