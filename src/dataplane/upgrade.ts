// HTTP Upgrade (WebSocket) proxying through the same path as every request: planned by
// planRequest, sent by an Exchange (endpoint pick, passive health, retry on another endpoint
// after a connect failure, the route's timeouts). Only the delivery differs: the client is a raw
// socket. Once the endpoint answers 101, client and upstream sockets are piped to each other;
// an endpoint that declines the upgrade has its answer streamed back (never buffered) and the
// connection closed. Tunnels belong to no table, so table swaps never touch them; on shutdown
// they are cut at the drain deadline.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ListenerSocketInfo, ProxyContext } from './context.js';
import { Exchange } from './exchange.js';
import { type Forward, planRequest } from './plan.js';
import { writeRawRejection } from './route-policy/respond.js';

function headLines(headers: Readonly<Record<string, string | string[] | number | undefined>>): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) out += `${name}: ${value}\r\n`;
  }
  return out;
}

function statusLine(status: number, message?: string): string {
  return `HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}\r\n`;
}

/** Writes a complete HTTP/1.1 answer on a raw client socket and closes it. */
function answerRaw(socket: Duplex, status: number, body: string, headers?: Readonly<Record<string, string>>): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body);
  const h = { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': String(payload.length), connection: 'close' };
  socket.end(Buffer.concat([Buffer.from(`${statusLine(status)}${headLines(h)}\r\n`), payload]));
}

export class UpgradeExchange extends Exchange {
  private readonly client: Duplex;
  private readonly head: Buffer;
  private readonly tunnels: Set<Duplex>;
  private status = 0;

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, client: Duplex, head: Buffer, tunnels: Set<Duplex>, started: number) {
    super(ctx, plan, req, started);
    this.client = client;
    this.head = head;
    this.tunnels = tunnels;
    // Until the tunnel stands, a client that leaves aborts the upstream attempt.
    client.once('close', () => this.onClientClose());
  }

  protected dispatchOptions(): Dispatcher.DispatchOptions {
    const plan = this.plan;
    return { path: plan.path, method: 'GET', headers: this.attemptHeaders ?? plan.headers, upgrade: String(this.req.headers.upgrade ?? 'websocket'), headersTimeout: this.headersTimeout() };
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, upstream: Duplex): void {
    if (this.done || this.client.destroyed) {
      upstream.destroy();
      return;
    }
    this.plan.cluster.health.responded(this.target!.key, statusCode);
    this.plan.backend.responseHeaders?.(headers);
    this.finish(statusCode);
    const client = this.client;
    // Connection/Upgrade are hop-by-hop but are exactly what a 101 must carry.
    client.write(`${statusLine(statusCode)}${headLines(headers)}\r\n`);
    if (this.head.length > 0) upstream.write(this.head);
    const tunnels = this.tunnels;
    tunnels.add(client);
    // A standing tunnel is load on its endpoint (least-request balancers see it) until it closes.
    const target = this.target!;
    target.inflight++;
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      target.inflight--;
      tunnels.delete(client);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', close).on('close', close);
    client.on('close', close);
    upstream.pipe(client);
    client.pipe(upstream);
  }

  // The endpoint declined the upgrade: its answer is relayed as an ordinary response, streamed,
  // on a connection that closes after it (the body ends with the connection if no length says so).
  protected writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    this.status = status;
    headers.connection = 'close';
    this.client.write(`${statusLine(status, message)}${headLines(headers)}\r\n`);
  }

  protected writeBody(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    return this.client.write(chunk);
  }

  protected resumeWhenDrained(resume: () => void): void {
    this.client.on('drain', resume);
  }

  protected endBody(): void {
    this.client.end();
  }

  protected writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    answerRaw(this.client, status, body, headers);
  }

  protected cut(): void {
    this.client.destroy();
  }

  protected deliveredStatus(): number {
    return this.status;
  }
}

export function handleUpgrade(ctx: ProxyContext, info: ListenerSocketInfo, tunnels: Set<Duplex>, req: IncomingMessage, client: Duplex, head: Buffer): void {
  const started = performance.now();
  client.on('error', () => client.destroy());
  const plan = planRequest(ctx, info, req, started);
  if (plan.type === 'answer') return answerRaw(client, plan.status, plan.body, plan.headers);
  // A route policy's IP lists, auth and rate limits hold for WebSockets too.
  const admission = plan.rt.admission;
  if (!admission) return new UpgradeExchange(ctx, plan, req, client, head, tunnels, started).start();
  admission.admit(ctx, plan, req, client, started, {
    pass: () => new UpgradeExchange(ctx, plan, req, client, head, tunnels, started).start(),
    reject: (r) => writeRawRejection(client, r),
  });
}
