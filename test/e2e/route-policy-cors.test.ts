// RoutePolicy cors end to end, in file mode with a real backend: a preflight is answered by
// Sluice (before basic auth, and without asking the backend), an allowed origin's answer carries
// the Access-Control-* headers, another origin's carries none.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { type Backend, eventually, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

const NS = 'cors';
const HOST = 'app.cors.test';
const ALICE = `Basic ${Buffer.from('alice:secret').toString('base64')}`;

describe('RoutePolicy cors', () => {
  let dir: ManifestDir;
  let sluice: Sluice;
  let backends: Backend[];
  let hits = 0;

  beforeAll(async () => {
    backends = await startBackends(['app']);
    backends[0]!.server.on('request', () => hits++);
    const htpasswd = `alice:{SHA}${createHash('sha1').update('secret').digest('base64')}\n`;
    dir = new ManifestDir();
    dir.write('all.yaml', [
      INGRESS_CLASS_YAML,
      serviceYaml(NS, 'app', [{ port: backends[0]!.port }]),
      ingressYaml(NS, 'app', HOST, [{ path: '/', service: 'app' }]),
      `apiVersion: v1
kind: Secret
metadata: { name: users, namespace: ${NS} }
type: sluice.dev/htpasswd
data:
  .htpasswd: ${Buffer.from(htpasswd).toString('base64')}`,
      `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: app, namespace: ${NS} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: app }]
  basicAuth: { secretRef: { name: users } }
  cors:
    allowOrigins: ["https://*.example.com"]
    allowMethods: [GET, PUT]
    allowHeaders: [authorization, content-type]
    exposeHeaders: [x-backend]
    maxAge: 10m
    allowCredentials: true`,
    ].join('\n---\n'));
    sluice = await startSluice(dir.path);
    await eventually('the policy in force', async () => (await get(sluice.httpPort, HOST, '/')).status === 401);
  });
  afterAll(async () => {
    await sluice?.stop();
    await stopBackends(backends ?? []);
    dir?.remove();
  });

  it('answers a preflight itself, before authentication, without asking the backend', async () => {
    const before = hits;
    const r = await get(sluice.httpPort, HOST, '/api', { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type' } });
    expect(r.status).toBe(204);
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example.com',
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    });
    const refused = await get(sluice.httpPort, HOST, '/api', { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'PUT' } });
    expect(refused.status).toBe(204);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(hits).toBe(before);
  });

  it('adds the CORS headers to an allowed origin’s answer only', async () => {
    const allowed = await get(sluice.httpPort, HOST, '/', { headers: { origin: 'https://shop.example.com', authorization: ALICE } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': 'https://shop.example.com', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-backend' });
    expect(String(allowed.headers.vary)).toContain('Origin');
    const other = await get(sluice.httpPort, HOST, '/', { headers: { origin: 'https://evil.test', authorization: ALICE } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
