// The upgrade exchange without sockets: the client and the upstream are in-memory duplexes, the
// endpoints scripted. The same attempt logic as ordinary requests, delivered to a raw socket.
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { UpgradeExchange } from '../../../src/dataplane/upgrade.js';
import { c, fails, type Script, scriptedPlan } from '../support/scripted-endpoints.js';

/** A duplex whose writes are recorded and whose readable side the test pushes into. */
class Peer extends Duplex {
  readonly written: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.written.push(chunk);
    done();
  }
  override _read(): void {}
  text(): string {
    return Buffer.concat(this.written).toString();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(scripts: Record<string, Script>, head = Buffer.alloc(0)) {
  const fixture = scriptedPlan(scripts);
  const client = new Peer();
  const tunnels = new Set<Duplex>();
  const req = { method: 'GET', headers: { upgrade: 'websocket' } } as unknown as IncomingMessage;
  const exchange = new UpgradeExchange(fixture.ctx, fixture.plan, req, client, head, tunnels, 0);
  return { ...fixture, exchange, client, tunnels };
}

const upgrades = (upstream: Peer): Script => (h, ctl) => h.onRequestUpgrade?.(c(ctl), 101, { connection: 'upgrade', upgrade: 'websocket' }, upstream);

describe('UpgradeExchange', () => {
  it('answers 101, forwards the bytes that came with the handshake, and pipes both ways', async () => {
    const upstream = new Peer();
    const { exchange, client, tunnels, options, runtime } = setup({ '10.0.0.1:80': upgrades(upstream) }, Buffer.from('early'));
    exchange.start();
    // The standing tunnel counts as load on its endpoint.
    expect(runtime.targets[0]!.inflight).toBe(1);
    expect(options[0]).toMatchObject({ method: 'GET', upgrade: 'websocket' });
    expect(client.text()).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n$/);
    expect(tunnels.has(client)).toBe(true);
    upstream.push('from upstream');
    client.push('from client');
    await tick();
    expect(client.text()).toContain('from upstream');
    expect(upstream.text()).toBe('earlyfrom client');
    upstream.destroy();
    await tick();
    expect(client.destroyed).toBe(true);
    expect(tunnels.size).toBe(0);
    expect(runtime.targets[0]!.inflight).toBe(0);
  });

  it('goes on to another endpoint after a connect failure, and ejects the first', () => {
    const upstream = new Peer();
    const { exchange, client, attempts, health } = setup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': upgrades(upstream) });
    exchange.start();
    expect(attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(health.isEjected('10.0.0.1:80')).toBe(true);
    expect(client.text()).toMatch(/^HTTP\/1\.1 101/);
  });

  it('aborts the upstream attempt when the client leaves before the 101, and drops a late upgrade', async () => {
    let late: (() => void) | undefined;
    const upstream = new Peer();
    const { exchange, client, controllers } = setup({ '10.0.0.1:80': (h, ctl) => (late = () => upgrades(upstream)(h, ctl)) });
    exchange.start();
    client.destroy();
    await tick();
    expect(controllers[0]!.aborted).toBeDefined();
    late!();
    expect(upstream.destroyed).toBe(true);
  });

  it("streams an endpoint's refusal to the client and closes the connection", () => {
    const { exchange, client } = setup({
      '10.0.0.1:80': (h, ctl) => {
        h.onResponseStart?.(c(ctl), 403, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, 'Forbidden');
        h.onResponseData?.(c(ctl), Buffer.from('no'));
        h.onResponseData?.(c(ctl), Buffer.from('pe\n'));
        h.onResponseEnd?.(c(ctl), {});
      },
    });
    exchange.start();
    expect(client.text()).toBe('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nnope\n');
    expect(client.writableEnded).toBe(true);
  });

  it('answers 502 on the raw socket when no endpoint can be reached', () => {
    const { exchange, client } = setup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': fails('ECONNREFUSED'), '10.0.0.3:80': fails('ECONNREFUSED') });
    exchange.start();
    expect(client.text()).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*connection: close\r\n\r\nupstream connect error\n$/);
  });
});
