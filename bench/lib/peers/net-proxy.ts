// A research peer, not a proxy to deploy: how fast can Node relay a request when both legs are
// plain `net` sockets with hand-written HTTP/1.1 framing, and no node:http at all? It does the
// same header rewriting as the other peers (forwarded.ts) but only what the bench's requests
// need: bodiless requests one at a time per connection (no pipelining), answers framed by
// Content-Length. No validation, limits or timeouts — so its req/s is an upper bound of what a
// server leg of Sluice's own on `net` could reach, not a figure such a leg would keep.
// `node net-proxy.ts PORT UPSTREAM_PORT`: one process, one thread.
import { connect, createServer, type Socket } from 'node:net';
import { forwardedPairs, HOP_BY_HOP } from './forwarded.ts';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const HEAD_END = Buffer.from('\r\n\r\n');
const idle: Upstream[] = [];

/** One keep-alive connection to the origin, carrying one request at a time. */
class Upstream {
  readonly socket: Socket;
  private client: Client | undefined;
  private pending: Buffer | undefined;
  /** Body bytes still to relay; -1 while the head is awaited. */
  private remaining = -1;

  constructor() {
    this.socket = connect(upstreamPort!, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => {
      const at = idle.indexOf(this);
      if (at >= 0) idle.splice(at, 1);
      this.client?.fail();
      this.client = undefined;
    });
  }

  send(client: Client, head: string): void {
    this.client = client;
    this.remaining = -1;
    this.socket.write(head, 'latin1');
  }

  private onData(chunk: Buffer): void {
    const client = this.client;
    if (!client) return void this.socket.destroy();
    if (this.remaining < 0) {
      const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      const end = data.indexOf(HEAD_END);
      if (end < 0) return void (this.pending = data);
      this.pending = undefined;
      const head = data.toString('latin1', 0, end);
      const lines = head.split('\r\n');
      let out = `${lines[0]}\r\n`;
      let length = -1;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        if (HOP_BY_HOP.has(name)) continue;
        if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
        out += `${line}\r\n`;
      }
      if (length < 0) return void this.socket.destroy(); // not framed by Content-Length: beyond this peer
      const body = data.subarray(end + 4);
      this.remaining = length - body.length;
      client.socket.write(Buffer.concat([Buffer.from(`${out}\r\n`, 'latin1'), body]));
    } else {
      this.remaining -= chunk.length;
      client.socket.write(chunk);
    }
    if (this.remaining === 0) {
      this.client = undefined;
      idle.push(this);
      client.done();
    }
  }
}

/** One client connection: requests are read one at a time. */
class Client {
  readonly socket: Socket;
  private buffered: Buffer | undefined;
  private busy = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.next();
    });
    socket.on('error', () => socket.destroy());
  }

  private next(): void {
    if (this.busy || !this.buffered) return;
    const data = this.buffered;
    const end = data.indexOf(HEAD_END);
    if (end < 0) return;
    this.buffered = end + 4 < data.length ? data.subarray(end + 4) : undefined;
    const lines = data.toString('latin1', 0, end).split('\r\n');
    const [method, target] = lines[0]!.split(' ');
    let out = `${method} ${target} HTTP/1.1\r\n`;
    let xff: string | undefined;
    let host = '';
    let requestId: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (HOP_BY_HOP.has(name)) continue;
      if (name === 'content-length' || name === 'transfer-encoding') return void this.socket.end('HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      if (name === 'x-forwarded-for') {
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      }
      if (name === 'host') host = value;
      if (name === 'x-request-id') requestId = value;
      out += `${name}: ${value}\r\n`;
    }
    const pairs = forwardedPairs(this.socket.remoteAddress ?? '', xff, host, this.socket.localPort ?? 0, requestId);
    for (let i = 0; i < pairs.length; i += 2) out += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
    this.busy = true;
    (idle.pop() ?? new Upstream()).send(this, `${out}\r\n`);
  }

  done(): void {
    this.busy = false;
    this.next();
  }

  fail(): void {
    this.busy = false;
    this.socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  }
}

createServer({ noDelay: true }, (socket) => new Client(socket)).listen(port, '127.0.0.1');
