// Sluice's HTTP/1.1 client against real sockets: a scripted TCP server that answers with exact
// bytes, so reuse, replay after an endpoint's idle close, timeouts, framing and the connection
// cap are seen on the wire.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Http1Pool } from '../../../../src/dataplane/upstream/http1/pool.js';

interface Outcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  trailers?: IncomingHttpHeaders;
  error?: Error & { code?: string };
}

/** Dispatches one request and resolves with what the handler saw. */
function send(pool: Http1Pool, options: Partial<Dispatcher.DispatchOptions> = {}, onStart?: (c: Dispatcher.DispatchController) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '' };
    pool.dispatch(
      { path: '/', method: 'GET', headers: ['host', 'app'], body: null, headersTimeout: 2000, bodyTimeout: 2000, ...options } as Dispatcher.DispatchOptions,
      {
        onRequestStart: (c) => onStart?.(c),
        onResponseStart: (_c, status, headers) => {
          out.status = status;
          out.headers = headers;
        },
        onResponseData: (_c, chunk) => {
          out.body += chunk.toString();
        },
        onResponseEnd: (_c, trailers) => {
          out.trailers = trailers;
          resolve(out);
        },
        onResponseError: (_c, error) => {
          out.error = error;
          resolve(out);
        },
      },
    );
  });
}

interface Scripted {
  server: Server;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Every request's raw bytes, in arrival order. */
  requests: string[];
}

const servers: Server[] = [];
const pools: Http1Pool[] = [];

/** A server that calls `answer` with each complete request (head, and body when framed) on its socket. */
async function scripted(answer: (socket: Socket, request: string, index: number) => void): Promise<Scripted> {
  const s: Scripted = { server: undefined as unknown as Server, port: 0, connections: 0, requests: [] };
  s.server = createServer((socket) => {
    s.connections++;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end + 4);
        let total = head.length;
        const length = /content-length: (\d+)/i.exec(head);
        if (length) total += Number(length[1]);
        else if (/transfer-encoding: chunked/i.test(head)) {
          const last = buffered.indexOf('0\r\n\r\n', head.length);
          if (last < 0) return;
          total = last + 5;
        }
        if (buffered.length < total) return;
        const request = buffered.slice(0, total);
        buffered = buffered.slice(total);
        s.requests.push(request);
        answer(socket, request, s.requests.length - 1);
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(s.server);
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.port = (s.server.address() as AddressInfo).port;
  return s;
}

function poolTo(port: number, connections = 8, keepAliveMs = 10_000): Http1Pool {
  const pool = new Http1Pool({
    host: '127.0.0.1',
    port,
    authority: `127.0.0.1:${port}`,
    connections,
    connectMs: 1000,
    keepAliveMs,
    fallback: () => {
      throw new Error('no fallback in this test');
    },
  });
  pools.push(pool);
  return pool;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

afterEach(async () => {
  for (const p of pools.splice(0)) await p.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('Http1Pool', () => {
  it('sends the head as given and reuses one keep-alive connection for requests in turn', async () => {
    const s = await scripted((socket) => socket.write(OK));
    const pool = poolTo(s.port);
    for (let i = 0; i < 3; i++) expect(await send(pool, { path: `/p${i}?q=1`, headers: ['host', 'app.example', 'x-a', 'b'] })).toMatchObject({ status: 200, body: 'ok' });
    expect(s.connections).toBe(1);
    expect(s.requests[2]).toBe('GET /p2?q=1 HTTP/1.1\r\nhost: app.example\r\nx-a: b\r\n\r\n');
  });

  it('hands out body pieces that stay intact after later reads (the sockets share one read buffer)', async () => {
    const s = await scripted((socket, _request, index) => {
      const body = String.fromCharCode(97 + index).repeat(4);
      // The body comes in a read of its own after the head, on every response.
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n');
      setTimeout(() => socket.write(body), 20);
    });
    const pool = poolTo(s.port);
    const kept: Buffer[][] = [];
    const keep = (index: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const pieces: Buffer[] = [];
        kept[index] = pieces;
        pool.dispatch({ path: '/', method: 'GET', headers: ['host', 'app'], body: null } as Dispatcher.DispatchOptions, {
          onResponseData: (_c, chunk) => void pieces.push(chunk),
          onResponseEnd: () => resolve(),
          onResponseError: (_c, err) => reject(err),
        });
      });
    for (let i = 0; i < 3; i++) await keep(i);
    expect(kept.map((pieces) => Buffer.concat(pieces).toString())).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('adds Host when the request has none', async () => {
    const s = await scripted((socket) => socket.write(OK));
    await send(poolTo(s.port), { headers: [] });
    expect(s.requests[0]).toBe(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${s.port}\r\n\r\n`);
  });

  it('sends a GET again on a new connection when the endpoint closed the reused one unanswered, but never a POST with a body', async () => {
    // The endpoint answers the first request of each connection, and cuts the second unanswered
    // (as one whose idle timeout fired just as the request went out).
    const perSocket = new WeakMap<Socket, number>();
    const s = await scripted((socket) => {
      const n = (perSocket.get(socket) ?? 0) + 1;
      perSocket.set(socket, n);
      if (n === 1) socket.write(OK);
      else socket.destroy();
    });
    const pool = poolTo(s.port);
    expect(await send(pool)).toMatchObject({ status: 200 });
    expect(await send(pool)).toMatchObject({ status: 200, body: 'ok' });
    expect(s.connections).toBe(2);
    const body = new PassThrough();
    const posting = send(pool, { method: 'POST', headers: ['host', 'app', 'content-length', '3'], body });
    body.end('abc');
    const post = await posting;
    expect(post.error?.code).toBe('UND_ERR_SOCKET');
    expect(s.connections).toBe(2);
  });

  it('does not send a request again that the endpoint held before closing (it may have acted on it)', async () => {
    let n = 0;
    const s = await scripted((socket) => {
      if (n++ === 0) socket.write(OK);
      else setTimeout(() => socket.destroy(), 300);
    });
    const pool = poolTo(s.port);
    await send(pool);
    expect((await send(pool)).error?.code).toBe('UND_ERR_SOCKET');
    expect(s.requests).toHaveLength(2);
  });

  it('frames a body without Content-Length as chunked, and one with it as is', async () => {
    const s = await scripted((socket) => socket.write(OK));
    const pool = poolTo(s.port);
    const chunked = new PassThrough();
    const first = send(pool, { method: 'POST', headers: ['host', 'app'], body: chunked });
    chunked.write('hello');
    chunked.end('!');
    expect(await first).toMatchObject({ status: 200 });
    expect(s.requests[0]).toBe('POST / HTTP/1.1\r\nhost: app\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n');
    const fixed = new PassThrough();
    const second = send(pool, { method: 'PUT', headers: ['host', 'app', 'content-length', '4'], body: fixed });
    fixed.end('data');
    expect(await second).toMatchObject({ status: 200 });
    expect(s.requests[1]).toBe('PUT / HTTP/1.1\r\nhost: app\r\ncontent-length: 4\r\n\r\ndata');
  });

  it('sends the head and the body bytes already there in one socket write', async () => {
    const s = await scripted((socket) => socket.write(OK));
    const pool = poolTo(s.port);
    expect(await send(pool)).toMatchObject({ status: 200 });
    // Writes the pool's connection makes: one entry per _write or _writev, its piece count.
    const writes: number[] = [];
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>;
    const original = { _write: proto._write, _writev: proto._writev };
    proto._write = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === s.port) writes.push(1);
      return original._write.apply(this, args);
    };
    proto._writev = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === s.port) writes.push((args[0] as unknown[]).length);
      return original._writev.apply(this, args);
    };
    try {
      for (const [method, headers, data, wire] of [
        ['POST', ['host', 'app', 'content-length', '7'], '{"a":1}', 'POST / HTTP/1.1\r\nhost: app\r\ncontent-length: 7\r\n\r\n{"a":1}'],
        ['PUT', ['host', 'app'], 'hello', 'PUT / HTTP/1.1\r\nhost: app\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
      ] as const) {
        writes.length = 0;
        const body = new PassThrough();
        body.end(data);
        expect(await send(pool, { method, headers: [...headers], body })).toMatchObject({ status: 200 });
        expect(s.requests.at(-1)).toBe(wire);
        // Content-Length: head and body in one writev; chunked: the same, and the last chunk after.
        expect(writes[0]).toBeGreaterThanOrEqual(2);
        expect(writes.length).toBe(method === 'POST' ? 1 : 2);
      }
    } finally {
      proto._write = original._write;
      proto._writev = original._writev;
    }
  });

  it('fails a body that is shorter than its Content-Length', async () => {
    const s = await scripted(() => undefined);
    const body = new PassThrough();
    const sending = send(poolTo(s.port), { method: 'PUT', headers: ['host', 'app', 'content-length', '10'], body });
    body.end('short');
    expect((await sending).error?.code).toBe('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
  });

  it('passes chunked bodies and trailers through', async () => {
    const s = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\ngrpc-status: 0\r\n\r\n'));
    expect(await send(poolTo(s.port))).toMatchObject({ body: 'ab', trailers: { 'grpc-status': '0' } });
  });

  it('times out a response head that does not come, and a body that stalls', async () => {
    const silent = await scripted(() => undefined);
    expect((await send(poolTo(silent.port), { headersTimeout: 100 })).error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const stalls = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const stalled = await send(poolTo(stalls.port), { bodyTimeout: 100 });
    expect(stalled).toMatchObject({ status: 200, body: 'abc' });
    expect(stalled.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('times out a reused connection on the new request\'s deadline, earlier or later than the last one\'s', async () => {
    // Request 1 is never answered: its 100 ms headers deadline comes before the idle deadline
    // (10 s) the connection's timer was set for, so the timer must move up.
    const s = await scripted((socket, _request, index) => {
      if (index === 0 || index === 2) socket.write(OK);
      if (index === 3) setTimeout(() => socket.write(OK), 400);
    });
    const pool = poolTo(s.port, 1);
    expect((await send(pool)).status).toBe(200);
    const started = performance.now();
    expect((await send(pool, { headersTimeout: 100 })).error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1000);
    // A later deadline than the timer's: the timer fires first and waits for the rest, so an
    // answer 400 ms in, under a 1 s deadline, arrives on a connection with a 200 ms keep-alive.
    const short = poolTo(s.port, 1, 200);
    expect((await send(short)).status).toBe(200);
    const before = s.connections;
    expect(await send(short, { headersTimeout: 1000 })).toMatchObject({ status: 200, body: 'ok' });
    expect(s.connections).toBe(before);
  });

  it('restarts the body timeout with every piece of the body', async () => {
    // Ten pieces 50 ms apart under a 120 ms body timeout: 500 ms in all, never 120 ms of silence.
    const s = await scripted((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      let sent = 0;
      const tick = setInterval(() => {
        socket.write('x');
        if (++sent === 10) clearInterval(tick);
      }, 50);
    });
    const out = await send(poolTo(s.port), { bodyTimeout: 120 });
    expect(out.error).toBeUndefined();
    expect(out.body).toBe('x'.repeat(10));
  });

  it('reports a refused connection with its code (the endpoint was never reached)', async () => {
    const s = await scripted(() => undefined);
    const port = s.port;
    await new Promise<void>((r) => s.server.close(() => r()));
    expect((await send(poolTo(port))).error?.code).toBe('ECONNREFUSED');
  });

  it('reports a malformed answer as a protocol error and does not reuse the connection', async () => {
    let n = 0;
    const s = await scripted((socket) => socket.write(n++ === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n' : OK));
    const pool = poolTo(s.port);
    expect((await send(pool)).error?.code).toBe('SLUICE_UPSTREAM_PROTOCOL');
    expect(await send(pool)).toMatchObject({ status: 200 });
    expect(s.connections).toBe(2);
  });

  it('closes a connection whose endpoint sent more than it announced', async () => {
    const s = await scripted((socket) => socket.write(`${OK}garbage`));
    const pool = poolTo(s.port);
    expect(await send(pool)).toMatchObject({ status: 200, body: 'ok' });
    expect(await send(pool)).toMatchObject({ status: 200, body: 'ok' });
    expect(s.connections).toBe(2);
  });

  it('aborting mid-response reports the reason at once and drops the connection', async () => {
    const s = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart'));
    const pool = poolTo(s.port);
    const out = await new Promise<Outcome>((resolve) => {
      const o: Outcome = { body: '' };
      pool.dispatch({ path: '/', method: 'GET', headers: ['host', 'app'], body: null } as Dispatcher.DispatchOptions, {
        onResponseData: (c, chunk) => {
          o.body += chunk.toString();
          c.abort(Object.assign(new Error('client gone'), { code: 'GONE' }));
        },
        onResponseEnd: () => resolve(o),
        onResponseError: (_c, error) => resolve({ ...o, error }),
      });
    });
    expect(out).toMatchObject({ body: 'part', error: { code: 'GONE' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(s.connections).toBe(1);
  });

  it('holds requests beyond the connection cap until a connection is free', async () => {
    const sockets: Socket[] = [];
    const s = await scripted((socket) => {
      sockets.push(socket);
      if (sockets.length > 1) socket.write(OK);
    });
    const pool = poolTo(s.port, 1);
    const first = send(pool);
    const second = send(pool);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.requests).toHaveLength(1);
    sockets[0]!.write(OK);
    expect(await first).toMatchObject({ status: 200 });
    expect(await second).toMatchObject({ status: 200 });
    expect(s.connections).toBe(1);
  });

  it('lets an idle connection go after the endpoint\'s Keep-Alive hint, less a margin', async () => {
    const s = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n'));
    const pool = poolTo(s.port);
    await send(pool);
    await new Promise((r) => setTimeout(r, 700));
    await send(pool);
    expect(s.connections).toBe(2);
  });

  it('refuses a header value with CR/LF before anything is sent', async () => {
    const s = await scripted((socket) => socket.write(OK));
    expect((await send(poolTo(s.port), { headers: ['host', 'app', 'x-a', 'b\r\nx-injected: 1'] })).error?.code).toBe('SLUICE_INVALID_UPSTREAM_REQUEST');
    expect(s.requests).toHaveLength(0);
  });

  it('close() lets a running request finish and refuses new ones', async () => {
    const sockets: Socket[] = [];
    const s = await scripted((socket) => sockets.push(socket));
    const pool = poolTo(s.port);
    const running = send(pool);
    await new Promise((r) => setTimeout(r, 50));
    const closed = pool.close();
    expect((await send(pool)).error?.code).toBe('UND_ERR_CLOSED');
    sockets[0]!.write(OK);
    expect(await running).toMatchObject({ status: 200 });
    await closed;
  });
});
