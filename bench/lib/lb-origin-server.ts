// The lb part's origin, run as its own process (lb-origin.ts starts it): N endpoints on
// 127.0.0.1, each a pod with a fixed number of workers — at most `concurrency` requests are
// served at a time, each taking its endpoint's delay, the rest wait in FIFO order. So a slow
// endpoint has less capacity, as a CPU-starved pod has, and a balancer that keeps sending it a
// third of the traffic builds a queue there (a pure delay without a capacity limit would make
// every balancer's p99 the slow delay). `/health` is answered at once, outside the workers.
//
// A control server on its own port injects faults and reports what each endpoint received,
// with arrival times in 10 ms buckets (epoch ms, Date.now(): the orchestrator's clock):
//   GET  /stats                 → { endpoints: [{ port, delayMs, mode, requests, health, arrivals: [[t, n], …] }] }
//   POST /fault?ep=I&mode=M     → M: ok | kill (stop listening, drop every connection)
//                                   | hang (accept, never answer; /health too) | errors (503 to all but /health)
//   POST /reset                 → counters and arrivals back to zero
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type EndpointMode = 'ok' | 'kill' | 'hang' | 'errors';

export interface OriginConfig {
  readonly controlPort: number;
  readonly concurrency: number;
  readonly endpoints: readonly { readonly port: number; readonly delayMs: number }[];
}

const BUCKET_MS = 10;
const HOST = '127.0.0.1';

class Endpoint {
  mode: EndpointMode = 'ok';
  requests = 0;
  health = 0;
  arrivals = new Map<number, number>();
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  readonly port: number;
  readonly delayMs: number;
  private readonly concurrency: number;

  constructor(port: number, delayMs: number, concurrency: number) {
    this.port = port;
    this.delayMs = delayMs;
    this.concurrency = concurrency;
    this.server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => this.handle(req, res));
    this.server.maxRequestsPerSocket = 0;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: HOST, port: this.port, backlog: 4096 }, () => resolve());
    });
  }

  setMode(mode: EndpointMode): void {
    this.mode = mode;
    if (mode === 'kill') {
      // As a killed pod: the port refuses connections and every open connection is closed.
      this.server.close();
      for (const s of this.sockets) s.destroy();
    }
  }

  reset(): void {
    this.requests = 0;
    this.health = 0;
    this.arrivals = new Map();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.url === '/health') {
      this.health++;
      if (this.mode !== 'hang') res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' }).end('ok\n');
      return;
    }
    this.requests++;
    const bucket = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
    this.arrivals.set(bucket, (this.arrivals.get(bucket) ?? 0) + 1);
    if (this.mode === 'hang') return; // never answered; the socket stays open
    if (this.mode === 'errors') {
      res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '12' }).end('unavailable\n');
      return;
    }
    this.acquire(() => {
      setTimeout(() => {
        this.release();
        if (this.mode === 'hang') return; // hung while it was being served
        if (this.mode === 'errors') res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '12' }).end('unavailable\n');
        else res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' }).end('ok\n');
      }, this.delayMs);
    });
  }

  private acquire(run: () => void): void {
    if (this.busy < this.concurrency) {
      this.busy++;
      run();
    } else this.waiting.push(run);
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}

function control(endpoints: readonly Endpoint[], req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', `http://${HOST}`);
  const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (url.pathname === '/stats') {
    return send(200, {
      endpoints: endpoints.map((e) => ({ port: e.port, delayMs: e.delayMs, mode: e.mode, requests: e.requests, health: e.health, arrivals: [...e.arrivals] })),
    });
  }
  if (url.pathname === '/reset' && req.method === 'POST') {
    for (const e of endpoints) e.reset();
    return send(200, { ok: true });
  }
  if (url.pathname === '/fault' && req.method === 'POST') {
    const ep = endpoints[Number(url.searchParams.get('ep'))];
    const mode = url.searchParams.get('mode') as EndpointMode | null;
    if (!ep || !mode || !['ok', 'kill', 'hang', 'errors'].includes(mode)) return send(400, { error: 'bad ep or mode' });
    ep.setMode(mode);
    return send(200, { ok: true, at: Date.now() });
  }
  send(404, { error: 'not found' });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as OriginConfig;
  const endpoints = config.endpoints.map((e) => new Endpoint(e.port, e.delayMs, config.concurrency));
  await Promise.all(endpoints.map((e) => e.listen()));
  const ctl = createServer((req, res) => {
    req.resume();
    req.once('end', () => control(endpoints, req, res));
  });
  ctl.listen({ host: HOST, port: config.controlPort });
}

void main().catch((err: unknown) => {
  process.stderr.write(`lb origin: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
