// The admin port's exposure: it follows --bind-address unless told otherwise (a Sluice bound to
// 127.0.0.1 listens on no other interface), /healthz, /readyz and /metrics answer anyone who can
// reach it, and /debug/* (every host, route, endpoint IP and Secret name) answers only loopback
// clients unless --debug-remote. A non-loopback client is this machine itself, connecting to one
// of its own non-loopback addresses (so source and destination are that address).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { get, INGRESS_CLASS_YAML, ManifestDir, nonLoopbackAddress, type Sluice, startSluice, tcpConnect } from './support/harness.js';

const local = nonLoopbackAddress();
const withAddress = local.address !== undefined ? describe : describe.skip;
if (local.address === undefined) console.warn(`SKIPPED admin exposure tests: ${local.why}`);
const address = local.address ?? '';

let dir: ManifestDir;
beforeAll(() => {
  dir = new ManifestDir();
  dir.write('base.yaml', INGRESS_CLASS_YAML);
});
afterAll(() => {
  dir?.remove();
  if (local.address !== undefined) local.release();
});

withAddress(`admin port seen from ${address || 'a non-loopback address'}`, () => {
  describe('with --bind-address 127.0.0.1 and no --admin-bind-address', () => {
    let sluice: Sluice;
    beforeAll(async () => {
      sluice = await startSluice(dir.path, ['--bind-address', '127.0.0.1']);
    });
    afterAll(async () => {
      await sluice?.stop();
    });

    it('listens on loopback only: the admin and data-plane ports refuse connections on another local address', async () => {
      expect(await tcpConnect('127.0.0.1', sluice.adminPort)).toBe('connected');
      expect(await tcpConnect(address, sluice.adminPort)).toBe('ECONNREFUSED');
      expect(await tcpConnect(address, sluice.httpPort)).toBe('ECONNREFUSED');
    });

    it('answers /debug/routes on loopback', async () => {
      const r = await get(sluice.adminPort, 'localhost', '/debug/routes');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toHaveProperty('generation');
    });
  });

  describe('with --admin-bind-address 0.0.0.0', () => {
    let sluice: Sluice;
    beforeAll(async () => {
      sluice = await startSluice(dir.path, ['--admin-bind-address', '0.0.0.0']);
    });
    afterAll(async () => {
      await sluice?.stop();
    });

    it('serves /healthz, /readyz and /metrics to a non-loopback client', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        expect([path, (await get(sluice.adminPort, address, path, { address })).status]).toEqual([path, 200]);
      }
    });

    it('refuses every /debug path to a non-loopback client with 403 and says how to allow it', async () => {
      const r = await get(sluice.adminPort, address, '/debug/routes', { address });
      expect(r.status).toBe(403);
      expect(r.body).toContain('--debug-remote');
      expect(r.body).not.toContain('generation');
      // Another spelling of the same route, and a debug path that does not exist, get the same gate.
      for (const path of ['/%64ebug/routes', '/debug/%72outes', '/debug/routes?x=1', '/debug/nothing-here', '/debug', '/debug/stats', '/dashboard', '/dashboard?x=1']) {
        expect([path, (await get(sluice.adminPort, address, path, { address })).status]).toEqual([path, 403]);
      }
    });

    it('still answers /debug/routes on loopback', async () => {
      expect((await get(sluice.adminPort, 'localhost', '/debug/routes')).status).toBe(200);
      expect((await get(sluice.adminPort, 'localhost', '/debug/nothing-here')).status).toBe(404);
    });
  });

  describe('with --admin-bind-address 0.0.0.0 --debug-remote', () => {
    let sluice: Sluice;
    beforeAll(async () => {
      sluice = await startSluice(dir.path, ['--admin-bind-address', '0.0.0.0', '--debug-remote']);
    });
    afterAll(async () => {
      await sluice?.stop();
    });

    it('answers /debug/routes to a non-loopback client', async () => {
      const r = await get(sluice.adminPort, address, '/debug/routes', { address });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toHaveProperty('generation');
    });
  });
});
