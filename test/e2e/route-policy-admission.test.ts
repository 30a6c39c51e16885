// RoutePolicy admission end to end, in file mode with real backends: basic auth from an
// htpasswd Secret, IP lists on the client address, forward auth against a real auth service,
// a Local rate limit, a broken security block failing closed, and a Global rate limit shared by
// two Sluice processes through a real redis-server (their sum stays within limit + burst;
// Redis gone: requests pass, counted as errors).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import bcrypt from 'bcryptjs';
import { type Backend, eventually, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends, closeServers } from './support/harness.js';
import { startRedis, type RedisServer } from '../unit/dataplane/route-policy/redis-server.js';

const NS = 'rp';
const HOSTS = ['basic', 'ip', 'ipopen', 'fa', 'limit', 'broken', 'global'] as const;
const host = (name: string) => `${name}.rp.test`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function policyYaml(name: string, spec: string): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: ${name}, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: ${name} }]
${spec.replace(/^/gm, '  ')}`;
}

let dir: ManifestDir;
let backends: Backend[];
let authServer: Server;
let authSeen = 0;
let redis: RedisServer;
let sluices: Sluice[] = [];

beforeAll(async () => {
  backends = await startBackends(['web']);
  authServer = createServer((req, res) => {
    authSeen++;
    if (req.headers.authorization === 'Bearer good') return void res.writeHead(200, { 'x-user-id': 'alice' }).end();
    res.writeHead(302, { location: 'https://login.rp.test/' }).end('log in first');
  });
  await new Promise<void>((r) => authServer.listen(0, '127.0.0.1', r));
  redis = await startRedis();
  const htpasswd = `alice:${bcrypt.hashSync('wonderland', 5)}\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`;
  const docs = [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'web', [{ port: backends[0]!.port }]),
    serviceYaml(NS, 'authz', [{ port: (authServer.address() as { port: number }).port }]),
    ...HOSTS.map((h) => ingressYaml(NS, h, host(h), [{ path: '/', service: 'web' }])),
    `apiVersion: v1
kind: Secret
metadata: { name: htpasswd, namespace: ${NS} }
type: sluice.dev/htpasswd
data:
  .htpasswd: ${Buffer.from(htpasswd).toString('base64')}`,
    policyYaml('basic', 'basicAuth: { secretRef: { name: htpasswd }, realm: shop }'),
    policyYaml('ip', 'ipAccess: { allow: [10.0.0.0/8] }'),
    policyYaml('ipopen', 'ipAccess: { allow: [127.0.0.0/8], deny: [10.9.0.0/16] }'),
    policyYaml('fa', 'forwardAuth:\n  backendRef: { name: authz, port: 80 }\n  path: /check\n  headersToBackend: [authorization]\n  headersToUpstream: [x-user-id]\n  timeout: 1s'),
    policyYaml('limit', 'rateLimit:\n  type: Local\n  rules: [{ limit: { requests: 1, unit: Minute }, burst: 3 }]'),
    policyYaml('broken', 'basicAuth: { secretRef: { name: no-such-secret } }'),
    policyYaml('global', 'rateLimit:\n  type: Global\n  rules:\n    - clientSelectors: [{ headers: [{ name: x-api-key, type: Distinct }] }]\n      limit: { requests: 1, unit: Minute }\n      burst: 4'),
  ];
  dir = new ManifestDir();
  dir.write('all.yaml', docs.join('\n---\n'));
  // Two replicas sharing one Redis; the first also serves the other hosts.
  for (let i = 0; i < 2; i++) sluices.push(await startSluice(dir.path, ['--redis-url', redis.url, ...(i === 0 ? ['--access-log', 'stdout'] : [])]));
  for (const s of sluices) await eventually('the routes to be served', async () => (await get(s.httpPort, host('ipopen'), '/')).status === 200);
});

afterAll(async () => {
  for (const s of sluices) await s.stop();
  sluices = [];
  await redis?.stop();
  await stopBackends(backends ?? []);
  if (authServer) await closeServers([authServer]);
  dir?.remove();
});

const send = (name: string, headers: Record<string, string> = {}, s = sluices[0]!) => get(s.httpPort, host(name), '/', { headers });

describe('RoutePolicy admission', () => {
  it('basicAuth: 401 with the realm without credentials, 200 for bcrypt and {SHA} users', async () => {
    const none = await send('basic');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic realm="shop"');
    expect((await send('basic', { authorization: basic('alice', 'wonderland') })).status).toBe(200);
    expect((await send('basic', { authorization: basic('bob', 'password') })).status).toBe(200);
    expect((await send('basic', { authorization: basic('bob', 'wrong') })).status).toBe(401);
    // Counted and logged like every answer of the proxy, with its catalog code.
    await eventually('the access log line', () => sluices[0]!.output().split('\n').some((l) => l.includes('"status":401') && l.includes('"reason":"SLUICE_UNAUTHORIZED"') && l.includes('basic.rp.test')), 5000);
    expect(await metricValue(sluices[0]!, 'sluice_requests_total', { code: '401' })).toBe(2);
    expect(await metricValue(sluices[0]!, 'sluice_auth_total', { type: 'basic', result: 'allowed' })).toBe(2);
  });

  it('ipAccess: judged on the client address, never on X-Forwarded-For from an untrusted peer', async () => {
    expect((await send('ip')).status).toBe(403);
    expect((await send('ip', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
    expect((await send('ipopen')).status).toBe(200);
  });

  it('forwardAuth: a 2xx passes with x-user-id copied; anything else is relayed', async () => {
    const ok = await send('fa', { authorization: 'Bearer good', 'x-user-id': 'mallory' });
    expect(ok.status).toBe(200);
    expect(ok.json().headers['x-user-id']).toBe('alice');
    const refused = await send('fa');
    expect(refused.status).toBe(302);
    expect(refused.headers.location).toBe('https://login.rp.test/');
    expect(refused.body).toBe('log in first');
    expect(authSeen).toBeGreaterThanOrEqual(2);
  });

  it('a broken security block fails closed: 403', async () => {
    expect((await send('broken', { authorization: basic('bob', 'password') })).status).toBe(403);
  });

  it('rateLimit Local: the burst, then 429 with Retry-After and RateLimit headers', async () => {
    const statuses = [];
    let last;
    for (let i = 0; i < 5; i++) statuses.push((last = await send('limit')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['ratelimit-policy']).toContain('q=1;w=60');
    expect(last!.headers.ratelimit).toMatch(/r=0;t=\d+/);
  });

  it('rateLimit Global: two Sluice processes share one limit through Redis', async () => {
    // Wait until both have their Redis connection (requests counted "allowed", not "error").
    for (const s of sluices) {
      await eventually('the Redis client to connect', async () => {
        await send('global', { 'x-api-key': `warmup-${s.httpPort}` }, s);
        return (await metricValue(s, 'sluice_ratelimit_total', { result: 'allowed' })) > 0;
      });
    }
    let allowed = 0;
    for (let i = 0; i < 12; i++) if ((await send('global', { 'x-api-key': 'shared' }, sluices[i % 2]!)).status === 200) allowed++;
    // burst 4, 1 per minute: the test takes far less than a minute.
    expect(allowed).toBe(4);
  });

  it('rateLimit Global with Redis gone: requests pass, counted as errors', async () => {
    await redis.stop();
    const before = await metricValue(sluices[0]!, 'sluice_ratelimit_total', { result: 'error' });
    for (let i = 0; i < 6; i++) expect((await send('global', { 'x-api-key': 'shared' })).status).toBe(200);
    expect(await metricValue(sluices[0]!, 'sluice_ratelimit_total', { result: 'error' })).toBeGreaterThanOrEqual(before + 6);
    expect(sluices[0]!.output()).toContain('fail open');
  });
});
