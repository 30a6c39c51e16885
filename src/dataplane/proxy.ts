// The per-request path: match → pick backend → pick endpoint → stream through an undici Pool.
// Bodies stream both ways with backpressure; nothing is buffered. Proxy-made answers follow
// DESIGN.md: 404 no route, 503 no ready endpoint, 502 upstream connect/protocol error, 504
// upstream timeout, each with a short plain body.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { type ClientIdentity, type ClientTrust, identifyClient } from './edge/client-identity.js';
import { isRejection, readInbound } from './edge/inbound.js';
import { BODY_TOO_LARGE, limitBody } from './edge/body-limit.js';
import type { PathOptions } from './edge/normalize-path.js';
import type { UpstreamTimeouts } from '../config/config.js';
import type { Metrics } from '../metrics.js';
import type { Redirect, Route } from '../table/types.js';
import type { ClusterRuntime, UpstreamTarget } from './clusters.js';
import type { BackendRuntime, CompiledTable, RouteRuntime } from './compiled.js';
import { stripResponseHopByHop, upstreamRequestHeaders } from './headers.js';
import { mirrorRequest } from './mirror.js';
import { modifyPath } from './paths.js';
import type { ListenerRouter, RequestFacts } from './router.js';
import type { UpstreamPools } from './upstream/pools.js';
import type { PassiveHealth } from './health/passive.js';

export interface ProxyContext {
  table(): CompiledTable | undefined;
  cluster(id: string): ClusterRuntime | undefined;
  readonly pools: UpstreamPools;
  readonly timeouts: UpstreamTimeouts;
  readonly metrics: Metrics;
  readonly health: PassiveHealth;
  /** True once shutdown began: responses carry `Connection: close` so clients move on. */
  draining(): boolean;
  readonly edge: EdgeSettings;
}

/** How requests are read at the edge (from --trusted-proxies, --merge-slashes, ...). */
export interface EdgeSettings {
  readonly paths: PathOptions;
  /** Undefined when no proxy is trusted: the peer is always the client. */
  readonly trust: ClientTrust | undefined;
  /** Largest request body in bytes; 0 = unlimited. */
  readonly maxRequestBodyBytes: number;
  /** The PROXY protocol source of a connection, when its listener reads one. */
  proxiedPeer(req: IncomingMessage): string | undefined;
}

export interface ListenerSocketInfo {
  /** Key of the listener this socket serves (see listenerKey). */
  readonly key: string;
  readonly proto: 'http' | 'https';
}

const NO_ROUTE = '-';
/** The endpoint was never reached: safe to retry any request, and a reason to eject it. */
const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** The connection broke before any response: retried only for requests that are safe to repeat. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Attempts per request, each on a different endpoint. */
const MAX_ATTEMPTS = 3;

export type ErrorKind = 'connect' | 'timeout' | 'protocol' | 'reset';

/** The kind of an upstream failure, for metrics and the 502/504 choice. */
export function classify(err: Error & { code?: string }): ErrorKind {
  switch (err.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'UND_ERR_CONNECT':
      return 'connect';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
    default:
      return 'protocol';
  }
}

export function plain(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** One proxied request's state; doubles as undici's dispatch handler (one object per attempt chain). */
class Exchange implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  private readonly ctx: ProxyContext;
  private readonly rt: RouteRuntime;
  private readonly backend: BackendRuntime;
  private readonly cluster: ClusterRuntime;
  private readonly started: number;
  private readonly path: string;
  private readonly headers: string[];
  private readonly withBody: boolean;
  /** The request body as it goes upstream (the client stream, or its size-limited copy). */
  private readonly body: NodeJS.ReadableStream | null;
  private target: UpstreamTarget;
  /**
   * The current attempt's status and headers, held until its first body byte (or its end)
   * is delivered: until then another endpoint may still take over, and nothing of this attempt
   * may reach the client.
   */
  private heldHeaders: IncomingHttpHeaders | undefined;
  private heldStatus = 0;
  private heldMessage: string | undefined;
  /** The client response has started: no retry from here on. */
  private delivering = false;
  private bodyTooLarge = false;
  private attempts = 1;
  /** Endpoints this request already failed on (allocated on the first failure only). */
  private tried: Set<string> | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private done = false;
  private timedOut = false;

  constructor(
    ctx: ProxyContext,
    req: IncomingMessage,
    res: ServerResponse,
    rt: RouteRuntime,
    backend: BackendRuntime,
    cluster: ClusterRuntime,
    target: UpstreamTarget,
    path: string,
    headers: string[],
    started: number,
  ) {
    this.ctx = ctx;
    this.req = req;
    this.res = res;
    this.rt = rt;
    this.backend = backend;
    this.cluster = cluster;
    this.target = target;
    this.path = path;
    this.headers = headers;
    this.started = started;
    this.withBody = hasBody(req);
    const limit = ctx.edge.maxRequestBodyBytes;
    // A declared length above the limit is answered before this; a chunked body is counted.
    this.body = !this.withBody ? null : limit > 0 && req.headers['content-length'] === undefined ? limitBody(req, limit, () => (this.bodyTooLarge = true)) : req;
    res.once('close', () => this.onClientClose());
    const requestMs = rt.route.timeouts?.requestMs;
    if (requestMs) this.requestTimer = setTimeout(() => this.onRequestTimeout(), requestMs);
  }

  start(): void {
    this.ctx.pools.get(this.target.key).dispatch(
      {
        path: this.path,
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.body as Dispatcher.DispatchOptions['body'],
        headersTimeout: this.rt.route.timeouts?.backendRequestMs ?? this.ctx.timeouts.responseMs,
        bodyTimeout: this.ctx.timeouts.idleMs,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client gone'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (this.done) return;
    this.ctx.health.succeeded(this.target.key);
    stripResponseHopByHop(headers);
    this.backend.responseEdit?.(headers);
    if (this.ctx.draining()) headers.connection = 'close';
    this.heldStatus = statusCode;
    this.heldMessage = statusMessage;
    this.heldHeaders = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    if (!this.delivering) this.deliverHead();
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.done) return;
    if (!this.delivering) this.deliverHead();
    this.finish(this.res.statusCode);
    this.res.end();
  }

  /** This attempt is the one the client gets: write its held status and headers. */
  private deliverHead(): void {
    this.delivering = true;
    const res = this.res;
    if (this.heldMessage) res.writeHead(this.heldStatus, this.heldMessage, this.heldHeaders);
    else res.writeHead(this.heldStatus, this.heldHeaders);
    this.heldHeaders = undefined;
    res.on('drain', () => this.controller?.resume());
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error & { code?: string }): void {
    if (this.done) return;
    this.heldHeaders = undefined;
    if (this.bodyTooLarge || err.code === BODY_TOO_LARGE) {
      this.finish(413);
      if (this.delivering) this.res.destroy();
      else plain(this.res, 413, 'request body too large\n', { connection: 'close' });
      return;
    }
    const kind = this.timedOut ? 'timeout' : classify(err);
    this.ctx.metrics.upstreamErrors.labels(this.cluster.cluster.id, kind).inc();
    const connectFailure = err.code !== undefined && CONNECT_FAILURE_CODES.has(err.code);
    if (connectFailure) this.ctx.health.failed(this.target.key);
    if (this.retryable(err, connectFailure)) {
      (this.tried ??= new Set()).add(this.target.key);
      const next = this.cluster.pick(this.ctx.health, this.tried);
      if (next) {
        this.attempts++;
        this.target = next;
        this.controller = undefined;
        this.ctx.metrics.upstreamRetries.labels(this.cluster.cluster.id).inc();
        this.start();
        return;
      }
    }
    if (this.delivering) {
      this.finish(this.res.statusCode);
      this.res.destroy(err);
      return;
    }
    const status = kind === 'timeout' ? 504 : 502;
    this.finish(status);
    plain(this.res, status, kind === 'timeout' ? 'upstream timeout\n' : 'upstream connect error\n');
  }

  /**
   * Whether another endpoint may take this request: nothing was answered yet, no request body
   * was streamed (it cannot be replayed), and either the endpoint was never reached or the
   * request is safe to repeat.
   */
  private retryable(err: Error & { code?: string }, connectFailure: boolean): boolean {
    if (this.timedOut || this.delivering || this.withBody || this.attempts >= MAX_ATTEMPTS) return false;
    return connectFailure || (err.code !== undefined && RESET_CODES.has(err.code) && SAFE_METHODS.has(this.req.method ?? ''));
  }

  private onRequestTimeout(): void {
    if (this.done) return;
    this.timedOut = true;
    if (this.controller) this.controller.abort(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' }));
  }

  private onClientClose(): void {
    if (this.done) return;
    // The client went away before the response finished: stop the upstream exchange.
    this.finish(499);
    this.controller?.abort(new Error('client closed the connection'));
  }

  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.requestTimer);
    this.ctx.metrics.countRequest(this.rt.route.id, this.cluster.cluster.id, code, (performance.now() - this.started) / 1000);
  }
}

function redirectLocation(r: Redirect, route: Route, facts: RequestFacts, host: string, proto: string, localPort: number): string {
  // Redirects answer with a bare host name: the port comes from the redirect or the listener.
  const scheme = r.scheme ?? proto;
  const hostname = r.hostname ?? host;
  let port = r.port ?? (r.scheme ? (scheme === 'https' ? 443 : 80) : localPort);
  if ((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443)) port = 0;
  const path = r.path ? modifyPath(facts.path, r.path, route.match.path) : facts.path;
  return `${scheme}://${hostname}${port ? `:${port}` : ''}${path}${facts.query ? `?${facts.query}` : ''}`;
}

/** What to do with a request: answer it here, or forward it to a chosen endpoint. */
export type Plan =
  | { readonly type: 'answer'; readonly status: number; readonly body: string; readonly headers?: Record<string, string> }
  | {
      readonly type: 'forward';
      readonly rt: RouteRuntime;
      readonly backend: BackendRuntime;
      readonly cluster: ClusterRuntime;
      readonly target: UpstreamTarget;
      readonly facts: RequestFacts;
      readonly client: ClientIdentity;
      /** Path and query to send upstream (after any rewrite). */
      readonly path: string;
      /** Upstream request headers with the route's filters applied (what mirrors get). */
      readonly routeHeaders: string[];
      /** Upstream request headers with the backend's filters applied too. */
      readonly headers: string[];
    };

/**
 * Matches a request against the current table and picks its endpoint. Answers of the proxy
 * itself are counted here; forwarded requests are counted when they finish.
 */
export function planRequest(ctx: ProxyContext, socket: ListenerSocketInfo, req: IncomingMessage, started: number): Plan {
  const answer = (routeId: string, backendId: string, status: number, body: string, headers?: Record<string, string>): Plan => {
    ctx.metrics.countRequest(routeId, backendId, status, (performance.now() - started) / 1000);
    return headers ? { type: 'answer', status, body, headers } : { type: 'answer', status, body };
  };
  const inbound = readInbound(req, ctx.edge.paths);
  // A request Sluice cannot read safely is refused and the connection closed, as nginx does.
  if (isRejection(inbound)) return answer(NO_ROUTE, NO_ROUTE, inbound.status, inbound.body, CLOSE);
  const limit = ctx.edge.maxRequestBodyBytes;
  if (limit > 0 && Number(req.headers['content-length'] ?? 0) > limit) return answer(NO_ROUTE, NO_ROUTE, 413, 'request body too large\n', CLOSE);
  const table = ctx.table();
  const router: ListenerRouter | undefined = table?.router(socket.key);
  // The inbound request is the router's RequestFacts as it is: no second object per request.
  const facts: RequestFacts = inbound;
  const route = router?.match(inbound.host, facts);
  if (!route || !table) return answer(NO_ROUTE, NO_ROUTE, 404, 'no route\n');
  const rt = table.runtime(route);
  const action = route.action;
  if (action.type === 'respond') return answer(route.id, NO_ROUTE, action.status, action.body);
  const localPort = req.socket.localPort ?? 0;
  if (action.type === 'redirect') {
    const location = redirectLocation(action.redirect, route, facts, hostWithoutPort(inbound.host), socket.proto, localPort);
    return answer(route.id, NO_ROUTE, action.redirect.statusCode, '', { location });
  }
  const backend = rt.pickBackend();
  const cluster = backend && ctx.cluster(backend.backend.cluster);
  // Every backend weighted 0, or a cluster missing from the data plane.
  if (!backend || !cluster) return answer(route.id, NO_ROUTE, 500, 'no backend\n');
  const target = cluster.pick(ctx.health);
  if (!target) return answer(route.id, cluster.cluster.id, 503, 'no ready endpoint\n');
  const rewrite = route.rewrite;
  const path = rewrite?.path ? modifyPath(facts.path, rewrite.path, route.match.path) + (inbound.query ? `?${inbound.query}` : '') : inbound.target;
  const client = clientOf(ctx, req);
  const headers = upstreamRequestHeaders(req, {
    clientIp: client.address,
    peer: client.peer,
    trustedPeer: client.trustedPeer,
    proto: socket.proto,
    port: localPort,
    host: rewrite?.hostname ?? inbound.host,
    originalHost: inbound.host,
  });
  const routeHeaders = rt.requestEdit ? rt.requestEdit(headers) : headers;
  return { type: 'forward', rt, backend, cluster, target, facts, client, path, routeHeaders, headers: backend.ownRequestEdit ? backend.ownRequestEdit(routeHeaders) : routeHeaders };
}

const CLOSE: Record<string, string> = Object.freeze({ connection: 'close' }) as Record<string, string>;

function hostWithoutPort(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.endsWith(']') ? host : host.slice(0, colon);
}

function clientOf(ctx: ProxyContext, req: IncomingMessage): ClientIdentity {
  const peer = ctx.edge.proxiedPeer(req) ?? req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  return identifyClient(peer, Array.isArray(xff) ? xff.join(',') : xff, ctx.edge.trust);
}

export function handleRequest(ctx: ProxyContext, socket: ListenerSocketInfo, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const plan = planRequest(ctx, socket, req, started);
  if (plan.type === 'answer') return plain(res, plan.status, plan.body, plan.headers);
  const { rt, backend, path } = plan;
  // Mirrors get the request as the route's filters shaped it (backend filters are the backend's).
  if (rt.route.mirrors) mirrorRequest(ctx, rt.route.mirrors, plan.facts.method, path, plan.routeHeaders, hasBody(req));
  new Exchange(ctx, req, res, rt, backend, plan.cluster, plan.target, path, plan.headers, started).start();
}
