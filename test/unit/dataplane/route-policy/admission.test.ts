// The admission stage on a real data plane (DataPlane on 127.0.0.1, real echo backend, real
// auth server): the order denyAll → ipAccess → basicAuth → forwardAuth → rateLimit, what each
// answers, what reaches the upstream, and that routes without a policy get no stage at all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import bcrypt from 'bcryptjs';
import { CompiledTable } from '../../../../src/dataplane/compiled.js';
import type { Route } from '../../../../src/table/types.js';
import { freePort, sleep } from '../../../support/wait.js';
import { BACKEND, type Backend, closeServer, cluster, counterValue, get, type Plane, policyRoute, startBackend, startPlane } from './support.js';

const AUTH = 'test/authz:8080';
const DEAD = 'test/dead:8080';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** An auth service whose answer depends on the path asked (policy.path) and the request's headers. */
interface AuthServer {
  readonly server: Server;
  readonly port: number;
  readonly seen: IncomingMessage[];
  readonly closedEarly: string[];
}

async function startAuth(): Promise<AuthServer> {
  const seen: IncomingMessage[] = [];
  const closedEarly: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    res.on('close', () => {
      if (!res.writableFinished) closedEarly.push(req.url ?? '');
    });
    const token = req.headers.authorization;
    const url = req.url ?? '';
    if (url === '/slow') return void setTimeout(() => !res.destroyed && res.writeHead(200).end(), 1000);
    if (url === '/slow-ok') return void setTimeout(() => !res.destroyed && res.writeHead(200, { 'x-user-id': 'slow' }).end(), 200);
    if (url === '/redirect') return void res.writeHead(302, { location: 'https://login.test/?rd=1', 'set-cookie': 'csrf=abc; Path=/', 'content-type': 'text/html' }).end('<a href="https://login.test/">login</a>');
    if (url === '/big') return void res.writeHead(401, { 'content-type': 'text/plain' }).end('x'.repeat(200 * 1024));
    if (token === 'Bearer good' || req.headers['x-token'] === 'good') return void res.writeHead(204, { 'x-user-id': 'alice', 'x-other': 'not-copied' }).end();
    res.writeHead(401, { 'www-authenticate': 'Bearer realm="api"', 'content-type': 'application/json' }).end('{"error":"no token"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, seen, closedEarly };
}

const users = [
  { name: 'alice', hash: bcrypt.hashSync('wonderland', 4) },
  { name: 'bob', hash: '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=' }, // "password"
  { name: 'carol', hash: '$apr1$x$y' },
];
const forwardAuth = (path: string, extra: { failOpen?: boolean; timeoutMs?: number; cluster?: string } = {}) => ({
  cluster: extra.cluster ?? AUTH,
  path,
  headersToBackend: ['authorization', 'x-trace'],
  headersToUpstream: ['x-user-id'],
  timeoutMs: extra.timeoutMs ?? 300,
  failOpen: extra.failOpen ?? false,
});

const routes: Route[] = [
  policyRoute('plain', '/plain', undefined),
  policyRoute('deny-all', '/deny-all', { denyAll: { reason: 'Secret "htpasswd" not found' }, basicAuth: { users, realm: 'x' } }),
  policyRoute('ip', '/ip', { ipAccess: { allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] } }),
  policyRoute('basic', '/basic', { basicAuth: { users, realm: 'Shop "admin"' } }),
  policyRoute('fa', '/fa', { forwardAuth: forwardAuth('/check') }),
  policyRoute('fa-redirect', '/fa-redirect', { forwardAuth: forwardAuth('/redirect') }),
  policyRoute('fa-big', '/fa-big', { forwardAuth: forwardAuth('/big') }),
  policyRoute('fa-slow', '/fa-slow', { forwardAuth: forwardAuth('/slow') }),
  policyRoute('fa-slow-open', '/fa-open-slow', { forwardAuth: forwardAuth('/slow', { failOpen: true }) }),
  policyRoute('fa-slow-ok', '/fa-slow-ok', { forwardAuth: forwardAuth('/slow-ok', { timeoutMs: 2000 }) }),
  policyRoute('fa-dead', '/fa-dead', { forwardAuth: forwardAuth('/check', { cluster: DEAD }) }),
  policyRoute('fa-dead-open', '/fa-open-dead', { forwardAuth: forwardAuth('/check', { cluster: DEAD, failOpen: true }) }),
  policyRoute('limited', '/limited', { rateLimit: { type: 'Local', rules: [{ clientSelectors: [], requests: 1, unitMs: 60_000, burst: 2 }] } }),
  policyRoute('keyed', '/keyed', {
    rateLimit: { type: 'Local', rules: [{ clientSelectors: [{ headers: [{ name: 'x-api-key', type: 'Distinct' }] }], requests: 1, unitMs: 60_000, burst: 1 }] },
  }),
  policyRoute('chain', '/chain', {
    ipAccess: { allow: [], deny: ['10.9.0.0/16'] },
    basicAuth: { users, realm: 'chain' },
    forwardAuth: { ...forwardAuth('/check'), headersToBackend: ['x-token'] },
    rateLimit: { type: 'Local', rules: [{ clientSelectors: [], requests: 1, unitMs: 60_000, burst: 2 }] },
  }),
];

let backend: Backend;
let auth: AuthServer;
let plane: Plane;

beforeAll(async () => {
  backend = await startBackend();
  auth = await startAuth();
  const dead = await freePort();
  plane = await startPlane(routes, [cluster(BACKEND, backend.port), cluster(AUTH, auth.port), cluster(DEAD, dead)], { trustedProxies: ['127.0.0.1'] });
});

afterAll(async () => {
  await plane.stop();
  await closeServer(backend.server);
  await closeServer(auth.server);
});

describe('admission compile', () => {
  it('gives routes without an edge policy (or with only non-admission parts) no stage', () => {
    const table = new CompiledTable({ listeners: [], clusters: [] }, 1);
    expect(table.runtime(routes[0]!).admission).toBeUndefined();
    const compressionOnly = policyRoute('c', '/c', { compression: { types: ['gzip'], minLength: 0, contentTypes: [] } });
    expect(table.runtime(compressionOnly).admission).toBeUndefined();
    expect(table.runtime(routes[3]!).admission?.checks).toHaveLength(1);
    expect(table.runtime(routes.at(-1)!).admission?.checks).toHaveLength(4);
  });

  it('lets a route without a policy straight through', async () => {
    const r = await get(plane.port, '/plain');
    expect(r.status).toBe(200);
    expect(r.echo?.path).toBe('/plain');
  });
});

describe('denyAll', () => {
  it('answers 403 whatever the request carries', async () => {
    const r = await get(plane.port, '/deny-all', { authorization: basic('bob', 'password') });
    expect(r.status).toBe(403);
    expect(r.echo).toBeUndefined();
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'deny-all', type: 'deny_all', result: 'denied' })).toBe(1);
    expect(await counterValue(plane.metrics, 'sluice_requests_total', { route: 'deny-all', code: '403' })).toBe(1);
  });
});

describe('ipAccess', () => {
  it('judges the trusted-proxy client address: allowed, denied (deny wins), outside the allow list', async () => {
    expect((await get(plane.port, '/ip', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(200);
    expect((await get(plane.port, '/ip', { 'x-forwarded-for': '10.9.2.3' })).status).toBe(403);
    // The peer 127.0.0.1 itself is outside 10/8.
    expect((await get(plane.port, '/ip')).status).toBe(403);
    // X-Forwarded-For is taken from the right: a client cannot prepend an allowed address.
    expect((await get(plane.port, '/ip', { 'x-forwarded-for': '10.1.2.3, 192.0.2.1' })).status).toBe(403);
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'ip', type: 'ip', result: 'denied' })).toBe(3);
  });
});

describe('basicAuth', () => {
  it('challenges a request without credentials with the realm', async () => {
    const r = await get(plane.port, '/basic');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="Shop \\"admin\\"", charset="UTF-8"');
    expect(r.echo).toBeUndefined();
  });

  it('admits bcrypt and {SHA} users with the right password, and nobody else', async () => {
    expect((await get(plane.port, '/basic', { authorization: basic('alice', 'wonderland') })).status).toBe(200);
    // Cached now: the same answer, without bcrypt.
    expect((await get(plane.port, '/basic', { authorization: basic('alice', 'wonderland') })).status).toBe(200);
    expect((await get(plane.port, '/basic', { authorization: basic('alice', 'wonderlan') })).status).toBe(401);
    expect((await get(plane.port, '/basic', { authorization: basic('bob', 'password') })).status).toBe(200);
    expect((await get(plane.port, '/basic', { authorization: basic('bob', 'passwort') })).status).toBe(401);
    expect((await get(plane.port, '/basic', { authorization: basic('carol', 'anything') })).status).toBe(401);
    expect((await get(plane.port, '/basic', { authorization: basic('mallory', 'wonderland') })).status).toBe(401);
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'basic', type: 'basic', result: 'allowed' })).toBe(3);
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'basic', type: 'basic', result: 'denied' })).toBe(4);
  });
});

describe('forwardAuth', () => {
  it('passes on 2xx with the listed headers both ways; a client-sent x-user-id never reaches the upstream', async () => {
    const before = auth.seen.length;
    const r = await get(plane.port, '/fa/x?q=1', { authorization: 'Bearer good', 'x-trace': 't1', cookie: 'secret=1', 'x-user-id': 'mallory' });
    expect(r.status).toBe(200);
    expect(r.echo?.headers['x-user-id']).toBe('alice');
    expect(r.echo?.headers['x-other']).toBeUndefined();
    expect(r.echo?.headers.authorization).toBe('Bearer good');
    const asked = auth.seen[before]!;
    expect(asked.method).toBe('GET');
    expect(asked.url).toBe('/check');
    expect(asked.headers.authorization).toBe('Bearer good');
    expect(asked.headers['x-trace']).toBe('t1');
    expect(asked.headers.cookie).toBeUndefined();
    expect(asked.headers['x-user-id']).toBeUndefined();
    expect(asked.headers['x-forwarded-method']).toBe('GET');
    expect(asked.headers['x-forwarded-uri']).toBe('/fa/x?q=1');
    expect(asked.headers['x-forwarded-host']).toBe('app.test');
    expect(asked.headers['x-forwarded-proto']).toBe('http');
    expect(asked.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('returns any other answer as the auth service gave it', async () => {
    const r = await get(plane.port, '/fa/x', { 'x-user-id': 'mallory' });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe('{"error":"no token"}');
    const redirect = await get(plane.port, '/fa-redirect');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('https://login.test/?rd=1');
    expect(redirect.headers['set-cookie']).toEqual(['csrf=abc; Path=/']);
    expect(redirect.body).toBe('<a href="https://login.test/">login</a>');
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'fa', type: 'forward', result: 'denied' })).toBe(1);
  });

  it('bounds the relayed body', async () => {
    const r = await get(plane.port, '/fa-big');
    expect(r.status).toBe(401);
    expect(r.body).toBe('');
  });

  it('answers 403 on a timeout or connect failure, or lets the request through with failOpen', async () => {
    const slow = await get(plane.port, '/fa-slow');
    expect(slow.status).toBe(403);
    expect(slow.echo).toBeUndefined();
    expect((await get(plane.port, '/fa-open-slow')).status).toBe(200);
    expect((await get(plane.port, '/fa-dead')).status).toBe(403);
    expect((await get(plane.port, '/fa-open-dead')).status).toBe(200);
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'fa-dead', type: 'forward', result: 'error' })).toBe(1);
    expect(await counterValue(plane.metrics, 'sluice_auth_total', { route: 'fa-dead-open', type: 'forward', result: 'fail_open' })).toBe(1);
  });

  it('leaves the request body unread while it waits, then streams all of it upstream', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    const r = await get(plane.port, '/fa-slow-ok', { 'content-type': 'application/octet-stream' }, { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(r.echo?.bodyBytes).toBe(body.length);
    expect(r.echo?.headers['x-user-id']).toBe('slow');
  });

  it('relies on Node leaving an unread request body in the socket (pause semantics)', async () => {
    let state: { didRead: boolean; flowing: boolean | null; bytes: number } | undefined;
    const server = createServer((req, res) => {
      setTimeout(() => {
        const didRead = req.readableDidRead;
        const flowing = req.readableFlowing;
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => {
          state = { didRead, flowing, bytes };
          res.end('ok');
        });
      }, 150);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const body = Buffer.alloc(4 * 1024 * 1024, 1);
    const r = await get(port, '/', {}, { method: 'POST', body });
    await closeServer(server);
    expect(r.status).toBe(200);
    expect(state).toEqual({ didRead: false, flowing: null, bytes: body.length });
  });

  it('stops asking when the client goes away, and counts 499', async () => {
    const before = auth.closedEarly.length;
    const req = request({ host: '127.0.0.1', port: plane.port, path: '/fa-slow', headers: { host: 'app.test' }, agent: false });
    req.on('error', () => undefined);
    req.end();
    await sleep(100);
    req.destroy();
    await sleep(200);
    expect(auth.closedEarly.length).toBe(before + 1);
    expect(await counterValue(plane.metrics, 'sluice_requests_total', { route: 'fa-slow', code: '499' })).toBe(1);
  });
});

describe('rateLimit', () => {
  it('answers 429 with Retry-After and the RateLimit headers past the burst', async () => {
    expect((await get(plane.port, '/limited')).status).toBe(200);
    expect((await get(plane.port, '/limited')).status).toBe(200);
    const r = await get(plane.port, '/limited');
    expect(r.status).toBe(429);
    expect(r.echo).toBeUndefined();
    expect(r.headers['retry-after']).toBe('60');
    expect(r.headers['ratelimit-policy']).toBe('"r0";q=1;w=60');
    expect(r.headers.ratelimit).toBe('"r0";r=0;t=60');
    expect(await counterValue(plane.metrics, 'sluice_ratelimit_total', { route: 'limited', result: 'allowed' })).toBe(2);
    expect(await counterValue(plane.metrics, 'sluice_ratelimit_total', { route: 'limited', result: 'limited' })).toBe(1);
  });

  it('keeps a bucket per Distinct header value; requests without the header are not limited', async () => {
    expect((await get(plane.port, '/keyed', { 'x-api-key': 'a' })).status).toBe(200);
    expect((await get(plane.port, '/keyed', { 'x-api-key': 'a' })).status).toBe(429);
    expect((await get(plane.port, '/keyed', { 'x-api-key': 'b' })).status).toBe(200);
    expect((await get(plane.port, '/keyed')).status).toBe(200);
    expect((await get(plane.port, '/keyed')).status).toBe(200);
  });
});

describe('the chain order', () => {
  it('runs ipAccess, basicAuth, forwardAuth, rateLimit in turn; refused requests spend no token', async () => {
    const asked = () => auth.seen.filter((r) => r.headers['x-forwarded-uri'] === '/chain').length;
    // A denied address without credentials: 403 (IP first), not 401.
    expect((await get(plane.port, '/chain', { 'x-forwarded-for': '10.9.0.1' })).status).toBe(403);
    // No credentials: 401 before forward auth is asked.
    for (let i = 0; i < 3; i++) expect((await get(plane.port, '/chain')).status).toBe(401);
    expect(asked()).toBe(0);
    // Basic passes, forward auth refuses: its 401, and still no token spent.
    const both = { authorization: basic('bob', 'password') };
    for (let i = 0; i < 3; i++) expect((await get(plane.port, '/chain', both)).status).toBe(401);
    expect(asked()).toBe(3);
    expect(await counterValue(plane.metrics, 'sluice_ratelimit_total', { route: 'chain', result: 'allowed' })).toBe(0);
    expect(await counterValue(plane.metrics, 'sluice_ratelimit_total', { route: 'chain', result: 'limited' })).toBe(0);
  });

  it('rate limits only what passed every check', async () => {
    const all = { authorization: basic('bob', 'password'), 'x-token': 'good' };
    const first = await get(plane.port, '/chain', all);
    expect(first.status).toBe(200);
    expect(first.echo?.headers['x-user-id']).toBe('alice');
    expect((await get(plane.port, '/chain', all)).status).toBe(200);
    expect((await get(plane.port, '/chain', all)).status).toBe(429);
    expect(await counterValue(plane.metrics, 'sluice_ratelimit_total', { route: 'chain', result: 'allowed' })).toBe(2);
  });
});
