// The per-request entry: plan the request (edge checks, route match, upstream path and
// headers), answer it here, admit it (a route policy's IP lists, auth and rate limits — only
// routes that have one), answer it from the route's cache or an identical request in flight (only
// routes with a cache or coalescing), and hand it to an exchange, which picks the endpoint and streams
// through its pool (upstream/pools.ts). Bodies stream both ways with backpressure; nothing is buffered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ListenerSocketInfo, ProxyContext } from './context.js';
import { HttpExchange, plain } from './exchange.js';
import { mirrorRequest } from './filters/mirror.js';
import { type Forward, planRequest } from './plan.js';
import { writeRejection } from './route-policy/respond.js';

export function handleRequest(ctx: ProxyContext, socket: ListenerSocketInfo, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const plan = planRequest(ctx, socket, req, started);
  if (plan.type === 'answer') return plain(res, plan.status, plan.body, plan.headers, plan.grpc);
  const admission = plan.rt.admission;
  if (!admission) return forward(ctx, plan, req, res, started);
  admission.admit(ctx, plan, req, res, started, {
    pass: () => forward(ctx, plan, req, res, started),
    reject: (r) => writeRejection(res, req, r, ctx.draining()),
  });
}

function forward(ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number): void {
  // A route's cache or coalescing answers GET/HEAD itself (from an entry, or one shared upstream request).
  if (plan.rt.sharing?.serve(ctx, plan, req, res, started)) return;
  const exchange = new HttpExchange(ctx, plan, req, res, started);
  // Mirrors get the request as the route's filters shaped it (backend filters are the backend's).
  const mirrors = plan.rt.route.mirrors;
  if (mirrors && !exchange.withBody) mirrorRequest(ctx, mirrors, plan);
  exchange.start();
}
