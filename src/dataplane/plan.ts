// Request planning: read the request at the edge, match it against the current table, and
// decide — answer it here (refusal, no route, a route's fixed response or redirect, no backend),
// or forward it to a backend cluster with the upstream path and headers already built. Picking
// the endpoint belongs to the exchange (it may pick again on a retry).
import type { IncomingMessage } from 'node:http';
import { Answers, type GrpcStatus, type ProxyAnswer } from '../errors.js';
import type { ClusterRuntime } from './clusters.js';
import type { BackendRuntime, RouteRuntime } from './compiled.js';
import type { ListenerSocketInfo, ProxyContext } from './context.js';
import { type ClientIdentity, identifyClient } from './edge/client-identity.js';
import { isRefused, readInbound } from './edge/inbound.js';
import { upstreamRequestHeaders } from './headers.js';
import { http2HasBody, isHttp2, serverName } from './edge/version.js';
import { isMisdirected } from './edge/misdirected.js';
import { forwardedClientCert } from './edge/client-certificate.js';
import type { RequestTarget } from './filters/filter.js';
import type { RequestFacts } from './router.js';
import type { TlsCertificate } from '../table/types.js';

/** Metrics label for "no route" / "no backend". */
export const NO_ROUTE = '-';

export interface Answer {
  readonly type: 'answer';
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The gRPC status a gRPC client gets instead (catalog answers only). */
  readonly grpc?: GrpcStatus;
}

export interface Forward {
  readonly type: 'forward';
  readonly rt: RouteRuntime;
  readonly backend: BackendRuntime;
  readonly cluster: ClusterRuntime;
  readonly facts: RequestFacts;
  readonly client: ClientIdentity;
  /** Path and query to send upstream (after any rewrite). */
  readonly path: string;
  /** Upstream request headers with the route's filters applied (what mirrors get). */
  readonly routeHeaders: string[];
  /** Upstream request headers with the backend's filters applied too. */
  readonly headers: string[];
  /** The client connection is TLS (cookies Sluice issues get Secure). */
  readonly secure: boolean;
  /** The client certificate the listener presents to TLS backends (Gateway spec.tls.backend). */
  readonly backendClientCertificate: TlsCertificate | undefined;
}

export type Plan = Answer | Forward;

/** Refusals close the connection (the rest of the request is not read), as nginx does. */
const CLOSE: Readonly<Record<string, string>> = Object.freeze({ connection: 'close' });

/** Counts (and logs) an answer given without an endpoint and returns it as a plan. */
function answered(ctx: ProxyContext, req: IncomingMessage, started: number, routeId: string, backendId: string, status: number, body: string, headers?: Readonly<Record<string, string>>, reason?: string, grpc?: GrpcStatus): Answer {
  recordAnswer(ctx, req, started, routeId, backendId, status, Buffer.byteLength(body), reason);
  return grpc === undefined ? { type: 'answer', status, body, headers } : { type: 'answer', status, body, headers, grpc };
}

/**
 * Feeds the three sinks (metrics, stats window, access log) for an answer no exchange counted:
 * the plan's own answers, and answers from a route's cache or a coalesced upstream request.
 */
export function recordAnswer(ctx: ProxyContext, req: IncomingMessage, started: number, routeId: string, backendId: string, status: number, bytesOut: number, reason: string | undefined, plan?: Forward): void {
  const now = performance.now();
  ctx.metrics.countRequest(routeId, backendId, status, (now - started) / 1000);
  ctx.stats.record(routeId, backendId, status, now - started, now);
  const log = ctx.accessLog;
  const r = log?.begin(req, started);
  if (r) {
    r.ended = now;
    r.status = status;
    r.route = routeId;
    r.cluster = backendId;
    r.reason = reason;
    r.client = plan ? plan.client.address : clientOf(ctx, req).address;
    r.bytesOut = bytesOut;
    // The X-Request-Id the request would have carried upstream (the last one in the list).
    const at = plan ? plan.headers.lastIndexOf('x-request-id') : -1;
    if (at % 2 === 0) r.requestId = plan!.headers[at + 1];
    log!.write(r);
  }
}

function catalogAnswer(ctx: ProxyContext, req: IncomingMessage, started: number, a: ProxyAnswer, routeId = NO_ROUTE, backendId = NO_ROUTE, headers?: Readonly<Record<string, string>>): Answer {
  return answered(ctx, req, started, routeId, backendId, a.status, a.body, headers, a.code, a.grpc);
}

/** A Host or authority without its port (redirects take the port from the redirect or the listener). */
function hostWithoutPort(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.endsWith(']') ? host : host.slice(0, colon);
}

function clientOf(ctx: ProxyContext, req: IncomingMessage): ClientIdentity {
  const peer = ctx.edge.proxiedPeer(req) ?? req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  return identifyClient(peer, Array.isArray(xff) ? xff.join(',') : xff, ctx.edge.trust);
}

/** Whether a request carries a body (a declared length other than 0, or chunked; on h2, a stream its HEADERS did not end). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len === undefined && isHttp2(req)) return http2HasBody(req);
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Matches a request against the current table. Answers of the proxy itself are counted here;
 * forwarded requests are counted when their exchange finishes.
 */
export function planRequest(ctx: ProxyContext, socket: ListenerSocketInfo, req: IncomingMessage, started: number): Plan {
  const inbound = readInbound(req, ctx.edge.paths);
  if (isRefused(inbound)) return catalogAnswer(ctx, req, started, inbound, NO_ROUTE, NO_ROUTE, CLOSE);
  const limit = ctx.edge.maxRequestBodyBytes;
  if (limit > 0 && Number(req.headers['content-length'] ?? 0) > limit) return catalogAnswer(ctx, req, started, Answers.BodyTooLarge, NO_ROUTE, NO_ROUTE, CLOSE);
  const table = ctx.table();
  // The inbound request is the router's RequestFacts as it is: no second object per request.
  const facts: RequestFacts = inbound;
  const router = table?.router(socket.key);
  if (socket.proto === 'https' && router && isMisdirected(router.listener, serverName(req), inbound.host)) return catalogAnswer(ctx, req, started, Answers.Misdirected);
  const hit = router?.matchCompiled(inbound.host, facts);
  if (!hit || !table) return catalogAnswer(ctx, req, started, Answers.NoRoute);
  const route = hit.route;
  const rt = table.runtimeOf(hit);
  const action = route.action;
  // The table's fixed answer means every backend of the rule is invalid: a gRPC client gets
  // UNAVAILABLE (GRPCRoute spec), as for the catalog's NoBackend, not an HTTP 500 it reads as UNKNOWN.
  if (action.type === 'respond') return answered(ctx, req, started, route.id, NO_ROUTE, action.status, action.body, undefined, undefined, Answers.NoBackend.grpc);
  const localPort = req.socket.localPort ?? 0;
  if (action.type === 'redirect') {
    const location = rt.redirect!(facts, hostWithoutPort(inbound.host), socket.proto, localPort);
    return answered(ctx, req, started, route.id, NO_ROUTE, action.redirect.statusCode, '', { location });
  }
  const backend = rt.pickBackend();
  const cluster = backend && ctx.cluster(backend.backend.cluster);
  // Every backend weighted 0, or a cluster missing from the data plane.
  if (!backend || !cluster) return catalogAnswer(ctx, req, started, Answers.NoBackend, route.id);
  // Only routes with a rewrite pay for a target object.
  const rewrite = rt.filters.rewrite;
  let target: RequestTarget | undefined;
  if (rewrite) rewrite((target = { path: inbound.target, host: inbound.host }), facts);
  const client = clientOf(ctx, req);
  const headers = upstreamRequestHeaders(req, {
    clientIp: client.address,
    peer: client.peer,
    trustedPeer: client.trustedPeer,
    proto: socket.proto,
    port: localPort,
    host: target?.host ?? inbound.host,
    originalHost: inbound.host,
    clientCert: socket.proto === 'https' ? forwardedClientCert(req.socket) : undefined,
  });
  const routeHeaders = rt.filters.requestHeaders ? rt.filters.requestHeaders(headers) : headers;
  const backendHeaders = backend.filters.requestHeaders ? backend.filters.requestHeaders(routeHeaders) : routeHeaders;
  const backendClientCertificate = router!.listener.backendClientCertificate;
  return { type: 'forward', rt, backend, cluster, facts, client, path: target?.path ?? inbound.target, routeHeaders, headers: backendHeaders, secure: socket.proto === 'https', backendClientCertificate };
}
