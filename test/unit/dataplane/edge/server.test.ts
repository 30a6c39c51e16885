import { afterEach, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createListenerServer } from '../../../../src/dataplane/edge/server.js';

interface Seen {
  method: string;
  endedAtHandler: boolean;
  body: string;
}

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A listener server whose handler records what each request looked like and reads any body. */
async function listen(seen: Seen[]): Promise<number> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const entry: Seen = { method: req.method!, endedAtHandler: req.readableEnded, body: '' };
    seen.push(entry);
    if (entry.endedAtHandler) return void res.end('empty\n');
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => (entry.body += chunk));
    req.on('end', () => res.end(`read ${entry.body.length}\n`));
  };
  server = createListenerServer(handler, { headerTimeoutMs: 5000, keepAliveMs: 5000 });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as AddressInfo).port;
}

/** Writes `text` on one keep-alive connection and collects the answers until `answers` have arrived. */
function exchange(port: number, text: string, answers: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.split('HTTP/1.1 ').length - 1 === answers && /\r\n\r\n[^]*\n$/.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('createListenerServer', () => {
  it('hands over a request without Content-Length or Transfer-Encoding already ended, and streams the body of one with either', async () => {
    const seen: Seen[] = [];
    const port = await listen(seen);
    const got = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n',
      4,
    );
    expect(seen).toEqual([
      { method: 'GET', endedAtHandler: true, body: '' },
      { method: 'POST', endedAtHandler: false, body: 'hello' },
      { method: 'PUT', endedAtHandler: false, body: 'abc' },
      { method: 'DELETE', endedAtHandler: true, body: '' },
    ]);
    // Every answer came back on the one connection, in order.
    expect(got.match(/\r\n\r\n(empty|read \d+)\n/g)).toEqual(['\r\n\r\nempty\n', '\r\n\r\nread 5\n', '\r\n\r\nread 3\n', '\r\n\r\nempty\n']);
  });

  it('still reads a declared empty body (Content-Length: 0) as a stream that ends', async () => {
    const seen: Seen[] = [];
    const port = await listen(seen);
    const got = await exchange(port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n', 1);
    expect(seen).toEqual([{ method: 'POST', endedAtHandler: false, body: '' }]);
    expect(got).toMatch(/\r\n\r\nread 0\n$/);
  });
});
