// The admission stage's edges: WebSocket upgrades are admitted like requests, Local limits are
// split between --workers, and --redis-url is validated.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { parseConfig } from '../../../../src/cli.js';
import { BACKEND, type Backend, closeServer, cluster, get, type Plane, policyRoute, startBackend, startPlane } from './support.js';

/** Sends a raw upgrade request; resolves with what came back before the socket closed or 500 ms passed. */
function upgrade(port: number, path: string, extra = ''): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    s.on('data', (d) => (got += d.toString()));
    s.on('close', done);
    s.on('error', done);
    setTimeout(done, 500);
    s.write(`GET ${path} HTTP/1.1\r\nhost: app.test\r\nconnection: upgrade\r\nupgrade: websocket\r\n${extra}\r\n`);
  });
}

let backend: Backend;
let plane: Plane;
const users = [{ name: 'bob', hash: '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=' }];

beforeAll(async () => {
  backend = await startBackend();
  plane = await startPlane(
    [
      policyRoute('ws', '/ws', { basicAuth: { users, realm: 'ws' } }),
      policyRoute('shared', '/shared', { rateLimit: { type: 'Local', rules: [{ clientSelectors: [], requests: 1, unitMs: 60_000, burst: 6 }] } }),
    ],
    [cluster(BACKEND, backend.port)],
    { workers: 3 },
  );
});

afterAll(async () => {
  await plane.stop();
  await closeServer(backend.server);
});

describe('admission of upgrades', () => {
  it('refuses a WebSocket upgrade without credentials on the raw socket', async () => {
    const answer = await upgrade(plane.port, '/ws');
    expect(answer.startsWith('HTTP/1.1 401 Unauthorized\r\n')).toBe(true);
    expect(answer).toContain('www-authenticate: Basic realm="ws"');
    expect(answer).not.toContain('101');
  });

  it('tunnels one with credentials', async () => {
    const answer = await upgrade(plane.port, '/ws', `authorization: Basic ${Buffer.from('bob:password').toString('base64')}\r\n`);
    expect(answer.startsWith('HTTP/1.1 101')).toBe(true);
  });
});

describe('Local limits with --workers N', () => {
  it('enforce 1/N of the burst in each worker', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(plane.port, '/shared')).status);
    // burst 6 over 3 workers: 2 here.
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});

describe('--redis-url', () => {
  it('takes redis:// and rediss:// URLs, unset by default', () => {
    expect(parseConfig([], {}).redisUrl).toBeUndefined();
    expect(parseConfig(['--redis-url', 'redis://redis.infra:6379/2'], {}).redisUrl).toBe('redis://redis.infra:6379/2');
    expect(parseConfig([], { SLUICE_REDIS_URL: 'rediss://user:pw@r:6380' }).redisUrl).toBe('rediss://user:pw@r:6380');
  });

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['redis-host:6379', 'http://r:6379', 'redis://', 'redis://r:6379/db']) {
      expect(() => parseConfig(['--redis-url', bad], {})).toThrow(/--redis-url/);
    }
  });
});
