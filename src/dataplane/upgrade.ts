// HTTP Upgrade (WebSocket) proxying. The handshake is routed exactly like a request (same
// planRequest); once the endpoint answers 101, the client and upstream sockets are piped to
// each other. Tunnels belong to no table, so table swaps never touch them; on shutdown they are
// cut at the drain deadline.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import { stripResponseHopByHop } from './headers.js';
import { classify, type ListenerSocketInfo, planRequest, type ProxyContext } from './proxy.js';

function headLines(headers: IncomingHttpHeaders): string {
  let out = '';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** Writes a complete HTTP/1.1 answer on a raw client socket and closes it. */
function answerRaw(socket: Duplex, status: number, body: string | Buffer, headers: IncomingHttpHeaders = {}): void {
  if (socket.destroyed) return;
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const h = { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': String(payload.length), connection: 'close' };
  socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headLines(h)}\r\n`), payload]));
}

export function handleUpgrade(ctx: ProxyContext, info: ListenerSocketInfo, tunnels: Set<Duplex>, req: IncomingMessage, client: Duplex, head: Buffer): void {
  const started = performance.now();
  client.on('error', () => client.destroy());
  const plan = planRequest(ctx, info, req, started);
  if (plan.type === 'answer') return answerRaw(client, plan.status, plan.body, plan.headers);
  const { rt, backend, cluster, target } = plan;
  const record = (code: number) => ctx.metrics.countRequest(rt.route.id, cluster.cluster.id, code, (performance.now() - started) / 1000);
  const body: Buffer[] = [];
  let refused: { status: number; headers: IncomingHttpHeaders } | undefined;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {},
    onRequestUpgrade(_controller, statusCode, resHeaders, upstream) {
      record(statusCode);
      backend.responseEdit?.(resHeaders);
      // Connection/Upgrade are hop-by-hop but are exactly what a 101 must carry.
      client.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? ''}\r\n${headLines(resHeaders)}\r\n`);
      if (head.length > 0) upstream.write(head);
      tunnels.add(client);
      const close = () => {
        tunnels.delete(client);
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', close).on('close', close);
      client.on('close', close);
      upstream.pipe(client);
      client.pipe(upstream);
    },
    onResponseStart(_controller, statusCode, resHeaders) {
      refused = { status: statusCode, headers: stripResponseHopByHop(resHeaders) };
    },
    onResponseData(_controller, chunk) {
      body.push(chunk);
    },
    onResponseEnd() {
      // The endpoint declined the upgrade: relay its answer as an ordinary response.
      const r = refused ?? { status: 502, headers: {} };
      record(r.status);
      delete r.headers['content-length'];
      answerRaw(client, r.status, Buffer.concat(body), r.headers);
    },
    onResponseError(_controller, err: Error & { code?: string }) {
      const kind = classify(err);
      const timeout = kind === 'timeout';
      ctx.metrics.upstreamErrors.labels(cluster.cluster.id, kind).inc();
      record(timeout ? 504 : 502);
      answerRaw(client, timeout ? 504 : 502, timeout ? 'upstream timeout\n' : 'upstream connect error\n');
    },
  };
  ctx.pools.get(target.key).dispatch(
    {
      path: plan.path,
      method: 'GET',
      headers: plan.headers,
      upgrade: String(req.headers.upgrade ?? 'websocket'),
      headersTimeout: rt.route.timeouts?.backendRequestMs ?? ctx.timeouts.responseMs,
    },
    handler,
  );
}
