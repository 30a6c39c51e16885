// WebSocket / HTTP Upgrade through Sluice: the handshake is routed like a request, the tunnel
// then carries bytes both ways, and it survives table swaps.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Backend, closeServers, eventually, freePort, get, INGRESS_CLASS_YAML, ingressYaml, ManifestDir, metricValue, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

let backends: Backend[];
let dir: ManifestDir;
let sluice: Sluice;

const ingress = (extraPath: string) =>
  ingressYaml('ws', 'ws', 'ws.example.com', [
    { path: '/', service: 'chat' },
    { path: extraPath, service: 'chat' },
  ]);

/** Declines every upgrade with a 1 MiB body: relayed to the client as it streams, never buffered whole. */
let refuser: Server;
const REFUSAL = 'r'.repeat(1024 * 1024);

beforeAll(async () => {
  backends = await startBackends(['chat']);
  refuser = createServer((_req, res) => res.end('plain\n'));
  refuser.on('upgrade', (_req, socket: Duplex) => socket.end(`HTTP/1.1 426 Upgrade Required\r\ncontent-length: ${REFUSAL.length}\r\nconnection: close\r\n\r\n${REFUSAL}`));
  await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', () => r()));
  const dead = await freePort();
  dir = new ManifestDir();
  dir.write('base.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml('ws', 'chat', [{ port: backends[0]!.port }]),
    // A dead endpoint first in round-robin order: upgrades that meet it go on to the live one.
    serviceYaml('ws', 'flaky', [{ port: dead }, { port: backends[0]!.port }]),
    serviceYaml('ws', 'refuser', [{ port: (refuser.address() as { port: number }).port }]),
    ingressYaml('ws', 'more', 'ws2.example.com', [{ path: '/flaky', service: 'flaky' }, { path: '/big', service: 'refuser' }]),
  ].join('\n---\n'));
  dir.write('ingress.yaml', ingress('/a'));
  sluice = await startSluice(dir.path);
});
afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  if (refuser) await closeServers([refuser]);
  dir?.remove();
});

function upgrade(path: string, host = 'ws.example.com'): Promise<{ status: number; socket?: Duplex; headers: Record<string, unknown>; body?: string }> {
  // Bytes the backend sent right behind its 101 can arrive in the same segment: the client
  // hands them over as `head`, not as a 'data' event, so they are put back on the socket.
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: sluice.httpPort, path, headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('upgrade', (res, socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ status: res.statusCode ?? 0, socket, headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function read(socket: Duplex): Promise<string> {
  return new Promise((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())));
}

describe('upgrade', () => {
  it('tunnels a WebSocket handshake and echoes both ways, across table swaps', async () => {
    const { status, socket, headers } = await upgrade('/chat');
    expect(status).toBe(101);
    expect(headers['x-backend']).toBe('chat');
    expect(await read(socket!)).toBe('hello from chat\n');
    socket!.write('ping-1');
    expect(await read(socket!)).toBe('ping-1');
    // Swap the table twice while the tunnel is open; it keeps working.
    for (const p of ['/b', '/c']) {
      const gen = Number(await metricValue(sluice, 'sluice_table_generation'));
      dir.write('ingress.yaml', ingress(p));
      await eventually('a new table generation', async () => (await metricValue(sluice, 'sluice_table_generation')) > gen, 3000);
    }
    socket!.write('ping-2');
    expect(await read(socket!)).toBe('ping-2');
    socket!.destroy();
    expect(await metricValue(sluice, 'sluice_requests_total', { backend: 'ws/chat:80', code: '101' })).toBe(1);
  });

  it('relays an endpoint that refuses the upgrade', async () => {
    const r = await upgrade('/refuse');
    expect(r.status).toBe(403);
    expect(r.body).toBe('nope\n');
  });

  it('answers an upgrade for an unknown host with 404', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: sluice.httpPort, path: '/', headers: { host: 'nowhere.example.com', connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(r).toBe(404);
    // Plain requests still work beside the tunnels.
    expect((await get(sluice.httpPort, 'ws.example.com', '/x')).status).toBe(200);
  });

  it('retries an upgrade whose endpoint refused the connection on another endpoint', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await upgrade('/flaky', 'ws2.example.com');
      expect(r.status).toBe(101);
      r.socket!.destroy();
    }
    expect(await metricValue(sluice, 'sluice_upstream_errors_total', { backend: 'ws/flaky:80', kind: 'connect' })).toBeGreaterThanOrEqual(1);
  });

  it('streams a declined upgrade answer of any size to the client', async () => {
    const r = await upgrade('/big', 'ws2.example.com');
    expect(r.status).toBe(426);
    expect(r.body).toHaveLength(REFUSAL.length);
  });
});
