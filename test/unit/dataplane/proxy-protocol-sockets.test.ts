// acceptProxyHeader on real sockets (127.0.0.1): a net.Server reads the PROXY header, then hands
// the socket to a real http.Server or https.Server with emit('connection'), the way the data
// plane does. Checks what the HTTP layer sees (request, body, proxied client) and that bad
// connections are closed without an answer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { acceptProxyHeader, proxiedPeer, ProxyHeaderRejected, type ProxyHeader } from '../../../src/dataplane/edge/proxy-protocol.js';
import { selfSignedPair } from '../../e2e/support/harness.js';

/** What the front hands the socket to: an http.Server or an https.Server. */
interface ConnectionServer {
  emit(event: 'connection', socket: Socket): boolean;
}

type Outcome = { ok: true; header: ProxyHeader; listenersLeft: number } | { ok: false; error: ProxyHeaderRejected };

/** A PROXY-protocol front: accepts, reads the header, then gives the socket to `inner`. */
class Front {
  readonly sockets: Socket[] = [];
  private readonly outcomes: Outcome[] = [];
  private readonly waiting: ((o: Outcome) => void)[] = [];
  private readonly net: NetServer;
  port = 0;

  constructor(inner: ConnectionServer, options: { timeoutMs?: number; trusted?: boolean } = {}) {
    this.net = createNetServer((socket) => {
      this.sockets.push(socket);
      const listeners = (): number => ['readable', 'data', 'end', 'close', 'error'].reduce((n, e) => n + socket.listenerCount(e), 0);
      const before = listeners();
      acceptProxyHeader(socket, { timeoutMs: options.timeoutMs ?? 5000, isTrusted: (a) => (options.trusted ?? true) && a === '127.0.0.1' }).then(
        (header) => {
          // Counted before the HTTP server adds its own (net.Socket has one 'end' listener of its own).
          const listenersLeft = listeners() - before;
          inner.emit('connection', socket);
          this.settle({ ok: true, header, listenersLeft });
        },
        (error: ProxyHeaderRejected) => this.settle({ ok: false, error }),
      );
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.net.listen(0, '127.0.0.1', r));
    this.port = (this.net.address() as { port: number }).port;
    return this;
  }

  /** The outcome of the next connection not yet taken. */
  next(): Promise<Outcome> {
    const ready = this.outcomes.shift();
    return ready ? Promise.resolve(ready) : new Promise((r) => this.waiting.push(r));
  }

  private settle(o: Outcome): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(o);
    else this.outcomes.push(o);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.net.close(() => r()));
  }
}

/** Echoes what the HTTP layer knows: path, body, the proxied peer and the real one. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('latin1').on('data', (c: string) => (body += c));
  req.on('end', () => {
    const answer = JSON.stringify({ url: req.url, body, peer: proxiedPeer(req.socket) ?? null, remote: req.socket.remoteAddress, tls: 'encrypted' in req.socket });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
}

const V1 = 'PROXY TCP4 203.0.113.7 192.0.2.1 40123 443\r\n';
const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** PROXY, TCP over IPv6, 2001:db8::42 port 5555 -> 2001:db8::1 port 443, with an AUTHORITY TLV. */
const V2 = Buffer.from([
  ...V2_SIGNATURE, 0x21, 0x21, 0x00, 36 + 3 + 9,
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x42,
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01,
  0x15, 0xb3, 0x01, 0xbb,
  0x02, 0x00, 0x09, ...Buffer.from('a.example'),
]);
const V2_LOCAL = Buffer.from([...V2_SIGNATURE, 0x20, 0x00, 0x00, 0x00]);

function request(path: string, body = '', connection = 'close'): string {
  const method = body ? 'POST' : 'GET';
  return `${method} ${path} HTTP/1.1\r\nHost: a.example\r\nConnection: ${connection}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

interface Exchange {
  readonly received: string;
  /** How the connection ended from the client's side: a clean FIN, or a reset. */
  readonly ending: 'end' | 'reset';
}

/** Writes each chunk (waiting for the previous to be read by the server when asked) and collects the answer until close. */
function exchange(port: number, chunks: readonly (string | Buffer)[], front?: Front): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const client = connect(port, '127.0.0.1');
    client.setNoDelay(true);
    // A broken reader must fail the test, not hang it.
    client.setTimeout(5000, () => client.destroy());
    let received = '';
    let ending: Exchange['ending'] = 'end';
    client.setEncoding('latin1').on('data', (c: string) => (received += c));
    client.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') ending = 'reset';
      else reject(err);
    });
    client.on('close', () => resolve({ received, ending }));
    const index = front?.sockets.length ?? 0;
    client.on('connect', async () => {
      let sent = 0;
      for (const chunk of chunks) {
        if (client.destroyed) return;
        client.write(chunk);
        sent += Buffer.byteLength(chunk);
        // Make every chunk a separate read on the server: wait until it has been read.
        if (front) await until(() => (front.sockets[index]?.bytesRead ?? 0) >= sent || client.destroyed);
      }
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}

function bodyOf(received: string): Record<string, unknown> {
  expect(received.startsWith('HTTP/1.1 200 ')).toBe(true);
  return JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

/** Complete responses (head + Content-Length body) in a keep-alive byte stream. */
function splitResponses(stream: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const headEnd = stream.indexOf('\r\n\r\n', at);
    if (headEnd === -1) return out;
    const length = Number(/content-length: (\d+)/i.exec(stream.slice(at, headEnd))?.[1] ?? 0);
    if (stream.length < headEnd + 4 + length) return out;
    out.push(stream.slice(at, headEnd + 4 + length));
    at = headEnd + 4 + length;
  }
}

function bytewise(text: string | Buffer): Buffer[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return [...buf].map((b) => Buffer.from([b]));
}

describe('acceptProxyHeader → http.Server', () => {
  let http: HttpServer;
  let front: Front;
  beforeAll(async () => {
    http = createHttpServer(echo);
    front = await new Front(http).listen();
  });
  afterAll(async () => {
    await front.close();
    http.closeAllConnections();
    http.close();
  });

  it('serves the request that follows a v1 header in the same write, body intact, and names the proxied client', async () => {
    const body = 'x'.repeat(1000) + '\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n';
    const { received } = await exchange(front.port, [V1 + request('/v1', body)]);
    expect(bodyOf(received)).toEqual({ url: '/v1', body, peer: { address: '203.0.113.7', port: 40123, family: 'IPv4' }, remote: '127.0.0.1', tls: false });
    const outcome = await front.next();
    expect(outcome).toMatchObject({ ok: true, header: { command: 'proxy', version: 1 }, listenersLeft: 0 });
  });

  it('reads a v2 header with TLVs, same write', async () => {
    const { received } = await exchange(front.port, [Buffer.concat([V2, Buffer.from(request('/v2'))])]);
    expect(bodyOf(received)).toMatchObject({ url: '/v2', peer: { address: '2001:db8::42', port: 5555, family: 'IPv6' } });
    expect(await front.next()).toMatchObject({ ok: true, header: { version: 2, destination: { address: '2001:db8::1', port: 443 } } });
  });

  it('reads headers that arrive one byte per read, v1 and v2', async () => {
    for (const header of [Buffer.from(V1, 'latin1'), V2]) {
      const { received } = await exchange(front.port, [...bytewise(header), request('/slow', 'abc')], front);
      expect(bodyOf(received)).toMatchObject({ url: '/slow', body: 'abc', peer: { port: header === V2 ? 5555 : 40123 } });
      expect(await front.next()).toMatchObject({ ok: true, listenersLeft: 0 });
    }
  });

  it('keeps the connection usable after the header timeout has passed (the timer was cleared)', async () => {
    const timed = await new Front(http, { timeoutMs: 50 }).listen();
    try {
      const client = connect(timed.port, '127.0.0.1');
      client.setTimeout(5000, () => client.destroy());
      let received = '';
      client.setEncoding('latin1').on('data', (c: string) => (received += c));
      client.write(V1 + request('/first', '', 'keep-alive'));
      await until(() => splitResponses(received).length === 1 || client.destroyed);
      await new Promise((r) => setTimeout(r, 200));
      client.write(request('/second', '', 'keep-alive'));
      await until(() => splitResponses(received).length === 2 || client.destroyed);
      client.destroy();
      const answers = splitResponses(received).map(bodyOf);
      expect(answers.map((a) => a.url)).toEqual(['/first', '/second']);
      expect(answers[1]).toMatchObject({ peer: { address: '203.0.113.7' } });
    } finally {
      await timed.close();
    }
  });

  it('uses the real peer for LOCAL and UNKNOWN', async () => {
    for (const header of [V2_LOCAL, Buffer.from('PROXY UNKNOWN\r\n')]) {
      const { received } = await exchange(front.port, [Buffer.concat([header, Buffer.from(request('/local'))])]);
      expect(bodyOf(received)).toMatchObject({ url: '/local', peer: null, remote: '127.0.0.1' });
      expect(await front.next()).toMatchObject({ ok: true, header: { command: 'local' } });
    }
  });

  it.each([
    ['plain HTTP', request('/'), 'missing'],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]), 'missing'],
    ['a malformed v1 header', 'PROXY TCP4 203.0.113.7 192.0.2.1 40123 080\r\n' + request('/'), 'malformed'],
    ['a v1 line without CRLF', 'PROXY TCP4 203.0.113.7 192.0.2.1 40123 443\n' + request('/'), 'malformed'],
    ['an oversized v1 line', 'PROXY UNKNOWN ' + 'f'.repeat(120), 'malformed'],
    ['a v2 header with a bad TLV', Buffer.concat([V2.subarray(0, 15), Buffer.from([V2[15]! + 1]), V2.subarray(16), Buffer.from([0x01])]), 'malformed'],
  ])('closes a connection that sends %s, without answering', async (_what, bytes, reason) => {
    const { received } = await exchange(front.port, [bytes]);
    expect(received).toBe('');
    const outcome = await front.next();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error).toBeInstanceOf(ProxyHeaderRejected);
      expect(outcome.error.reason).toBe(reason);
      expect(outcome.error.code).toBe('SLUICE_PROXY_PROTOCOL_REJECTED');
    }
  });

  it('closes a connection whose peer closes before the header is complete', async () => {
    const client = connect(front.port, '127.0.0.1');
    client.end('PROXY TCP4 203.0.113.7');
    const outcome = await front.next();
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'closed' } });
    client.destroy();
  });
});

describe('acceptProxyHeader closes bad connections', () => {
  let http: HttpServer;
  beforeAll(() => {
    http = createHttpServer(echo);
  });
  afterAll(() => {
    http.closeAllConnections();
    http.close();
  });

  it('closes a connection that sends no complete header within the timeout', async () => {
    const front = await new Front(http, { timeoutMs: 100 }).listen();
    try {
      const client = connect(front.port, '127.0.0.1');
      client.write('PROXY TCP4 203.0.113.7 ');
      const closed = new Promise<void>((r) => client.on('close', () => r()));
      client.on('error', () => undefined);
      expect(await front.next()).toMatchObject({ ok: false, error: { reason: 'timeout' } });
      await closed;
      expect(front.sockets[0]!.destroyed).toBe(true);
    } finally {
      await front.close();
    }
  });

  it('closes a connection from an untrusted peer at once, even with a valid header', async () => {
    const front = await new Front(http, { trusted: false }).listen();
    try {
      const { received } = await exchange(front.port, [V1 + request('/')]);
      expect(received).toBe('');
      const outcome = await front.next();
      expect(outcome).toMatchObject({ ok: false, error: { reason: 'untrusted' } });
      if (!outcome.ok) expect(outcome.error.message).toMatch(/127\.0\.0\.1/);
    } finally {
      await front.close();
    }
  });
});

describe('acceptProxyHeader → https.Server', () => {
  let https: HttpServer;
  let front: Front;
  beforeAll(async () => {
    const pair = selfSignedPair('a.example');
    https = createHttpsServer({ cert: Buffer.from(pair.crt, 'base64'), key: Buffer.from(pair.key, 'base64') }, echo);
    front = await new Front(https).listen();
  });
  afterAll(async () => {
    await front.close();
    https.closeAllConnections();
    https.close();
  });

  /**
   * TLS over a transport that puts `header` and the ClientHello in one write (and one segment):
   * the TLS server only completes the handshake if the bytes behind the header reached it.
   */
  function tlsBehindHeader(header: Buffer): TLSSocket {
    const raw = connect(front.port, '127.0.0.1');
    let first = true;
    const transport = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        raw.write(first ? Buffer.concat([header, chunk]) : chunk, callback);
        first = false;
      },
      final(callback) {
        raw.end(callback);
      },
      read() {},
    });
    raw.on('data', (d: Buffer) => transport.push(d));
    raw.on('end', () => transport.push(null));
    raw.on('error', (err) => transport.destroy(err));
    raw.on('close', () => transport.destroy());
    return tlsConnect({ socket: transport, servername: 'a.example', rejectUnauthorized: false });
  }

  function get(header: Buffer, path: string, body = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const tls = tlsBehindHeader(header);
      tls.setTimeout(5000, () => tls.destroy(new Error('no answer within 5 s')));
      let received = '';
      tls.on('secureConnect', () => tls.write(request(path, body)));
      tls.setEncoding('latin1').on('data', (c: string) => (received += c));
      tls.on('end', () => resolve(received));
      tls.on('error', reject);
    });
  }

  it('completes the TLS handshake sent in the same write as a v1 header and names the proxied client on req.socket', async () => {
    const answer = bodyOf(await get(Buffer.from(V1), '/tls', 'hello'));
    expect(answer).toEqual({ url: '/tls', body: 'hello', peer: { address: '203.0.113.7', port: 40123, family: 'IPv4' }, remote: '127.0.0.1', tls: true });
    expect(await front.next()).toMatchObject({ ok: true, listenersLeft: 0 });
  });

  it('does the same behind a v2 header', async () => {
    expect(bodyOf(await get(V2, '/tls2'))).toMatchObject({ url: '/tls2', peer: { address: '2001:db8::42', port: 5555 } });
    expect(await front.next()).toMatchObject({ ok: true });
  });
});
