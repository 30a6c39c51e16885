// The edge example end to end: the real examples/edge manifests (ports swapped for free ones),
// its demo backend and auth service on 127.0.0.1, a real Sluice process. Every behaviour
// examples/edge/README.md shows is checked here, so the example cannot rot: ipAccess, cors
// (RoutePolicy and the HTTPRoute CORS filter), forwardAuth, basicAuth and rateLimit.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { DEMO_TOKEN, startAuthBackend } from '../../src/demo/auth.js';
import { startEchoBackend } from '../../src/demo/backend.js';
import { closeServers, debugRoutes, eventually, freePort, get, ManifestDir, ROOT, type Sluice, startSluice } from './support/harness.js';

const example = (file: string) => readFileSync(join(ROOT, 'examples', 'edge', file), 'utf8');
const HOST = 'shop.localhost';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A GET from a chosen local address (the client address ipAccess judges). */
function getFrom(localAddress: string, port: number, path: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, headers: { host: HOST } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('edge example (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  let authPort: number;
  const checks = async () => Number((await get(authPort, 'auth', '/_checks')).body);
  const shop = (path: string, options: { method?: string; headers?: Record<string, string> } = {}) => get(sluice.httpPort, HOST, path, options);

  beforeAll(async () => {
    const webPort = await freePort();
    authPort = await freePort();
    servers = [await startEchoBackend('web', webPort), await startAuthBackend(authPort)];
    dir.write('services.yaml', example('services.yaml').replaceAll('9401', String(webPort)).replaceAll('9402', String(authPort)));
    dir.write('gateway.yaml', example('gateway.yaml'));
    dir.write('policies.yaml', example('policies.yaml'));
    sluice = await startSluice(dir.path);
    await eventually('the policies in force', async () => (await shop('/admin')).status === 401);
  });
  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('accepts the HTTPRoute and every RoutePolicy, with no diagnostics', async () => {
    const d = (await debugRoutes(sluice)) as unknown as { diagnostics: unknown[]; statuses: { kind: string; name: string; ancestors?: { conditions: { type: string; status: string }[] }[] }[] };
    expect(d.diagnostics).toEqual([]);
    const policies = d.statuses.filter((s) => s.kind === 'RoutePolicy');
    expect(policies.map((p) => p.name).sort()).toEqual(['admin', 'api', 'internal', 'limited']);
    for (const p of policies) expect(p.ancestors![0]!.conditions.find((c) => c.type === 'Accepted')!.status).toBe('True');
  });

  it('ipAccess: /internal serves 127.0.0.1 and refuses 127.0.0.2 with 403', async () => {
    expect((await getFrom('127.0.0.1', sluice.httpPort, '/internal')).status).toBe(200);
    expect((await getFrom('127.0.0.2', sluice.httpPort, '/internal')).status).toBe(403);
  });

  it('forwardAuth: /api goes through only with the token, with X-User-Id from the auth service', async () => {
    const refused = await shop('/api');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="shop"');
    expect(refused.body).toContain('bearer token');
    const ok = await shop('/api', { headers: { authorization: `Bearer ${DEMO_TOKEN}`, 'x-user-id': 'forged' } });
    expect(ok.status).toBe(200);
    expect(ok.json().headers['x-user-id']).toBe('demo-user');
  });

  it('cors: a preflight is answered by Sluice before forward auth; the answer of an allowed origin carries the headers', async () => {
    const before = await checks();
    const pre = await shop('/api', { method: 'OPTIONS', headers: { origin: 'https://app.shop.example', 'access-control-request-method': 'DELETE' } });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.shop.example', 'access-control-allow-methods': 'GET, POST, DELETE', 'access-control-max-age': '600', 'access-control-allow-credentials': 'true' });
    const other = await shop('/api', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } });
    expect(other.status).toBe(204);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(await checks()).toBe(before);
    const actual = await shop('/api', { headers: { origin: 'https://app.shop.example', authorization: `Bearer ${DEMO_TOKEN}` } });
    expect(actual.status).toBe(200);
    expect(actual.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.shop.example', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-backend' });
    // The auth service's refusal carries them too, so the page's script can read the 401.
    const refused = await shop('/api', { headers: { origin: 'https://app.shop.example' } });
    expect(refused.status).toBe(401);
    expect(refused.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.shop.example', 'access-control-allow-credentials': 'true', 'www-authenticate': 'Bearer realm="shop"' });
  });

  it('basicAuth: /admin wants alice / wonderland', async () => {
    const challenge = await shop('/admin');
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe('Basic realm="Shop admin", charset="UTF-8"');
    expect((await shop('/admin', { headers: { authorization: basic('alice', 'wonderland') } })).status).toBe(200);
    expect((await shop('/admin', { headers: { authorization: basic('alice', 'guess') } })).status).toBe(401);
    expect((await shop('/admin', { headers: { authorization: basic('mallory', 'wonderland') } })).status).toBe(401);
  });

  it('rateLimit: 3 a minute per X-Api-Key, the 4th is 429 with Retry-After; another key has its own bucket', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await shop('/limited', { headers: { 'x-api-key': 'k1' } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await shop('/limited', { headers: { 'x-api-key': 'k1' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-policy']).toBeDefined();
    expect((await shop('/limited', { headers: { 'x-api-key': 'k2' } })).status).toBe(200);
  });

  it('the HTTPRoute CORS filter on /widgets answers preflights the same way, without a RoutePolicy', async () => {
    const pre = await shop('/widgets', { method: 'OPTIONS', headers: { origin: 'https://app.shop.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.shop.example', 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const actual = await shop('/widgets', { headers: { origin: 'https://deep.app.shop.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://deep.app.shop.example');
    expect((await shop('/widgets', { headers: { origin: 'https://shop.example' } })).headers['access-control-allow-origin']).toBeUndefined();
  });
});
