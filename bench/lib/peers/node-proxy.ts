// The "Node ceiling" peer of the proxies bench: the least a Node proxy can do for one request —
// node:http server leg, undici Pool.dispatch client leg (the API Sluice's exchange uses), one
// handler object per request, the same header rewriting as Sluice — and nothing else (no routing,
// no metrics, no retries). `node node-proxy.ts PORT UPSTREAM_PORT`: one process, one thread.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { forwardedPairs, HOP_BY_HOP, stripHopByHop } from './forwarded.ts';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 512, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });

class Relay implements Dispatcher.DispatchHandler {
  private readonly res: ServerResponse;
  private controller: Dispatcher.DispatchController | undefined;
  constructor(res: ServerResponse) {
    this.res = res;
    res.once('close', () => this.controller?.abort(new Error('client gone')));
  }
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }
  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    stripHopByHop(headers);
    this.res.writeHead(status, headers);
    this.res.on('drain', () => controller.resume());
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause();
  }
  onResponseEnd(): void {
    this.controller = undefined;
    this.res.end();
  }
  onResponseError(_c: Dispatcher.DispatchController, _err: Error): void {
    this.controller = undefined;
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n');
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let xff: string | undefined;
  let requestId: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    if (name === 'x-forwarded-for') {
      xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    if (name === 'x-request-id') requestId = raw[i + 1];
    headers.push(name, raw[i + 1]!);
  }
  headers.push(...forwardedPairs(req.socket.remoteAddress ?? '', xff, req.headers.host ?? '', req.socket.localPort ?? 0, requestId));
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers, body: hasBody ? req : null }, new Relay(res));
}

createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, handle).listen(port, '127.0.0.1');
