// One proxied request's attempts: admit it past the cluster's circuit breaker, pick an endpoint
// (its pinned one, with session persistence), send, classify a failure or a retriable status,
// tell health, and retry on another endpoint (after a jittered backoff, within the retry budget)
// while nothing reached the client. An attempt's status and headers are held until its first
// body byte (or its end), so nothing of an attempt that is retried ever reaches the client. The exchange doubles as undici's dispatch handler and as the
// balancer's pick context (no extra objects per request). Where the answer goes is the
// subclass's business: an HTTP response (HttpExchange below) or a raw upgrade socket
// (upgrade.ts).
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Answers, type GrpcStatus, type ProxyAnswer } from '../errors.js';
import { endWithoutBody, isHttp2 } from './edge/version.js';
import { isGrpc, writeGrpcAnswer } from './grpc-answer.js';
import { observersOf } from './route-observers.js';
import type { AccessLog } from './access-log/access-log.js';
import type { Span } from '@opentelemetry/api';
import { endSpan, type TraceHeaders, traceExemplar } from './tracing/tracing.js';
import type { PickContext, UpstreamTarget } from './balancer/balancer.js';
import type { ProxyContext } from './context.js';
import { BODY_TOO_LARGE, limitBody } from './edge/body-limit.js';
import { stripResponseHopByHop } from './headers.js';
import { type Forward, hasBody } from './plan.js';
import type { OverflowLimit, SlotWaiter } from './policy/circuit-breaker.js';
import { type AttemptFailure, isIdempotent, type RetryRules } from './policy/retry.js';
import { requestHash } from './policy/hash-key.js';
import type { Session, StickySessions } from './policy/session.js';
import type { RetryOn } from '../table/types.js';
import { classify, neverReached } from './upstream/errors.js';
import type { BodyEncoder } from './route-policy/body-encoder.js';
import { createBodyEncoder } from './route-policy/encoders.js';
import type { CompressionRules } from './route-policy/compression.js';
import { tlsFailureReason } from './upstream/tls.js';

function hasAny(headers: IncomingHttpHeaders): boolean {
  for (const _ in headers) return true;
  return false;
}

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.startsWith('text/event-stream');
}

/**
 * A plain-text answer of the proxy itself on an HTTP response (or a cut, if one already
 * started); a gRPC request gets it as grpc-status `grpc` instead, when the answer names one.
 */
export function plain(res: ServerResponse, status: number, body: string, extra?: Readonly<Record<string, string>>, grpc?: GrpcStatus): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const req = res.req as IncomingMessage | undefined;
  if (grpc !== undefined && req && isGrpc(req)) return writeGrpcAnswer(res, grpc, body, extra);
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra };
  // h2 has no Connection header (RFC 9113 §8.2.2): closing is GOAWAY's business.
  if (req && isHttp2(req)) delete headers.connection;
  res.writeHead(status, headers);
  res.end(body);
}

/** Adds a header Sluice sets on the answer (Set-Cookie values accumulate). */
function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  if (name !== 'set-cookie') {
    headers[name] = value;
    return;
  }
  const prev = headers['set-cookie'];
  headers['set-cookie'] = prev === undefined ? [value] : Array.isArray(prev) ? [...prev, value] : [prev, value];
}

export abstract class Exchange implements Dispatcher.DispatchHandler, PickContext, SlotWaiter {
  protected readonly ctx: ProxyContext;
  protected readonly plan: Forward;
  protected readonly req: IncomingMessage;
  private readonly started: number;
  private readonly retry: RetryRules;
  /** The endpoint of the current attempt. */
  protected target: UpstreamTarget | undefined;
  /** The current attempt counts as in flight on `target` (and holds a connection slot). */
  private attemptOpen = false;
  private attempts = 0;
  /** Endpoints this request already failed on (allocated on the first failure only). */
  private tried: Set<string> | undefined;
  protected controller: Dispatcher.DispatchController | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  protected done = false;
  private timedOut = false;
  /** The client response has started: no retry from here on. */
  protected delivering = false;
  private heldHeaders: IncomingHttpHeaders | undefined;
  private heldStatus = 0;
  private heldMessage: string | undefined;
  /** The resume hook is registered with the client side (set on the first backpressure). */
  private awaitingDrain = false;
  /** The request carries a body (it streams once: never replayed, never mirrored). */
  readonly withBody: boolean;
  /** The client speaks HTTP/2 (no Connection header, no reason phrase). */
  protected readonly http2: boolean;
  /** The request body passed --max-request-body while streaming. */
  protected bodyTooLarge = false;
  /** Counted in the cluster's active requests (admitted by the circuit breaker). */
  private counted = false;
  /** A retry of this request is in flight or waiting (counted in the cluster's active retries). */
  private retryOpen = false;
  private retries = 0;
  /** The attempt was aborted on a retriable status; its remaining callbacks are ignored. */
  private abandoning = false;
  /** Waiting for a connection slot (circuit breaker maxConnections) with this endpoint. */
  private queuedFor: UpstreamTarget | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** Session persistence of this request: the rules, the session it brought and its endpoint. */
  private sticky: StickySessions | undefined;
  private session: Session | undefined;
  private pinned: UpstreamTarget | undefined;
  /** The consistent-hash cookie Sluice made up for this client, set on the answer. */
  private hashCookie: string | undefined;
  hashKey: number | undefined = undefined;
  /** When the current attempt was dispatched (kept only while the access log is on). */
  private attemptStarted = 0;
  /** Response body bytes delivered to the client (counted by writeBody and its encoders). */
  protected bytesOut = 0;
  /** Why the exchange ended without an endpoint's complete answer (the access log's reason). */
  private reason: string | undefined;
  /** With tracing: the request's span, the current attempt's, and the headers carrying it upstream. */
  private span: Span | undefined;
  private attemptSpan: Span | undefined;
  private attemptStatus = 0;
  private attemptError: string | undefined;
  protected attemptHeaders: string[] | undefined;

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, started: number) {
    this.ctx = ctx;
    this.plan = plan;
    this.req = req;
    this.started = started;
    this.withBody = hasBody(req);
    this.http2 = isHttp2(req);
    this.retry = plan.rt.retry ?? plan.cluster.retry;
    const requestMs = plan.rt.route.timeouts?.requestMs ?? plan.cluster.cluster.policy?.timeouts?.requestMs;
    if (requestMs) this.requestTimer = setTimeout(() => this.onRequestTimeout(), requestMs);
  }

  get clientAddress(): string {
    return this.plan.client.address;
  }

  /** Admits the request, picks the first endpoint and sends; answers 503 when the cluster has none. */
  start(): void {
    const cluster = this.plan.cluster;
    const tracing = this.ctx.tracing;
    if (tracing) {
      const plan = this.plan;
      this.span = tracing.startRequest({ req: this.req, route: plan.rt.route.id, cluster: cluster.cluster.id, host: String(this.req.headers.host ?? ''), path: plan.facts.path, client: plan.client.address });
    }
    // TLS that cannot be verified: refused, never sent in clear text or unverified.
    if (cluster.cluster.upstreamTls?.type === 'refuse') return this.answer(Answers.UpstreamTlsRefused);
    const overflow = cluster.load.admit();
    if (overflow) return this.overflow(overflow);
    this.counted = true;
    const hashKey = cluster.cluster.loadBalancer.consistentHash?.key;
    if (hashKey) {
      const hashed = requestHash(hashKey, this.plan);
      this.hashKey = hashed.hash;
      this.hashCookie = hashed.setCookie;
    }
    const sticky = this.plan.rt.sticky ?? cluster.sticky;
    const target = sticky ? this.pickSticky(sticky) : cluster.pick(this);
    if (!target) return this.answer(Answers.NoReadyEndpoint);
    this.send(target);
  }

  /** The session's endpoint while it can take the request; else a fresh pick. */
  private pickSticky(sticky: StickySessions): UpstreamTarget | undefined {
    const cluster = this.plan.cluster;
    this.sticky = sticky;
    const session = sticky.read(this.req.headers);
    const pinned = session && cluster.byToken(session.token);
    if (pinned && cluster.usable(pinned)) {
      this.session = session;
      this.pinned = pinned;
      return pinned;
    }
    return cluster.pick(this);
  }

  /** The session the answer carries: the client's own (refreshed, with an idle timeout), or a new one for the endpoint that answered. */
  private sessionHeader(headers: IncomingHttpHeaders): void {
    const target = this.target!;
    const kept = target === this.pinned ? this.session : undefined;
    const issued = this.sticky!.issue(this.plan.cluster.tokenOf(target), kept, this.plan.secure);
    if (issued) addHeader(headers, issued.name, issued.value);
  }

  /** Where and how to send (path, method, headers, body, timeouts); called once per attempt. */
  protected abstract dispatchOptions(): Dispatcher.DispatchOptions;
  /** Writes the delivered attempt's status line and headers to the client. */
  protected abstract writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void;
  /** Writes body bytes and counts what reaches the client; false asks the upstream to pause until `resumeWhenDrained` fires. */
  protected abstract writeBody(chunk: Buffer): boolean;
  /** Registers `resume`, to run on every drain from now on (called once, at the first false from writeBody). */
  protected abstract resumeWhenDrained(resume: () => void): void;
  /** Ends the body, with the endpoint's trailers if it sent any. */
  protected abstract endBody(trailers?: IncomingHttpHeaders): void;
  /** Writes an answer that has no body (its head was held until the endpoint's end). */
  protected writeWhole(status: number, message: string | undefined, headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders | undefined): void {
    this.writeHead(status, message, headers);
    this.endBody(trailers);
  }
  /** Writes an answer of the proxy itself (nothing was delivered yet). */
  protected abstract writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>, grpc?: GrpcStatus): void;
  /** Ends a delivery that cannot complete. */
  protected abstract cut(err?: Error): void;
  /** The status the client got (for metrics when a delivery is cut). */
  protected abstract deliveredStatus(): number;

  /** Sends to `target` when a connection slot is free, else waits for one (bounded queue). */
  private send(target: UpstreamTarget): void {
    const slot = this.plan.cluster.load.acquireSlot(this);
    if (slot === true) return this.attempt(target);
    if (slot === 'overflow') return this.overflow('maxPendingRequests');
    this.queuedFor = target;
  }

  /** A connection slot is ours (SlotWaiter). */
  slotFree(): void {
    const target = this.queuedFor!;
    this.queuedFor = undefined;
    this.attempt(target);
  }

  private attempt(target: UpstreamTarget): void {
    this.target = target;
    this.attempts++;
    target.inflight++;
    this.attemptOpen = true;
    this.abandoning = false;
    this.controller = undefined;
    if (this.ctx.accessLog) this.attemptStarted = performance.now();
    if (this.span) this.traceAttempt(target);
    // start() answered a refusing cluster, so there is always a pool here.
    const cluster = this.plan.cluster;
    cluster.pool(this.ctx.pools, this.ctx.upstreamTls, target.key, this.plan.backendClientCertificate)!.dispatch(cluster.withServerName(this.dispatchOptions()), this);
  }

  /** A span for this attempt; its context replaces the client's traceparent/tracestate upstream. */
  private traceAttempt(target: UpstreamTarget): void {
    const carrier: TraceHeaders = {};
    this.attemptSpan = this.ctx.tracing!.startAttempt(this.span!, target.key, this.attempts - 1, carrier);
    this.attemptStatus = 0;
    this.attemptError = undefined;
    const headers: string[] = [];
    const base = this.plan.headers;
    for (let i = 0; i < base.length; i += 2) if (base[i] !== 'traceparent' && base[i] !== 'tracestate') headers.push(base[i]!, base[i + 1]!);
    if (carrier.traceparent) headers.push('traceparent', carrier.traceparent);
    if (carrier.tracestate) headers.push('tracestate', carrier.tracestate);
    this.attemptHeaders = headers;
  }

  private closeAttempt(): void {
    if (this.attemptSpan) {
      endSpan(this.attemptSpan, this.attemptStatus, this.attemptError);
      this.attemptSpan = undefined;
    }
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    this.target!.inflight--;
    this.plan.cluster.load.releaseSlot();
  }

  /**
   * Time to response headers: the route's backendRequest timeout, else the retry perTryTimeout,
   * else the cluster policy's request timeout (an attempt may use all of it), else
   * --upstream-response-timeout.
   */
  protected headersTimeout(): number {
    return this.plan.rt.route.timeouts?.backendRequestMs ?? this.retry.policy.perTryTimeoutMs ?? this.plan.cluster.cluster.policy?.timeouts?.requestMs ?? this.ctx.timeouts.responseMs;
  }

  /** Longest silence while the response body streams: the cluster policy's idle timeout, else --upstream-idle-timeout. */
  protected idleTimeout(): number {
    return this.plan.cluster.cluster.policy?.timeouts?.idleMs ?? this.ctx.timeouts.idleMs;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client gone'));
    else if (this.timedOut) controller.abort(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' }));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (this.done || this.abandoning) return;
    const cluster = this.plan.cluster;
    cluster.health.responded(this.target!.key, statusCode);
    this.attemptStatus = statusCode;
    if (statusCode >= 500) this.ctx.stats.endpointError(cluster.cluster.id, this.target!.key, `status ${statusCode}`);
    const reason = this.retry.reasonForStatus(statusCode);
    if (reason !== undefined && this.mayRepeat(false) && this.retryElsewhere(reason, true)) {
      // Another endpoint takes the request: drop this answer unread (undici reports the abort
      // through onResponseError at once, which `abandoning` swallows).
      this.abandoning = true;
      this.closeAttempt();
      controller.abort(new Error(`retrying after status ${statusCode}`));
      return;
    }
    stripResponseHopByHop(headers);
    this.plan.backend.responseHeaders?.(headers);
    this.plan.rt.cors?.decorate(headers, this.req.headers.origin);
    if (this.sticky) this.sessionHeader(headers);
    if (this.hashCookie) addHeader(headers, 'set-cookie', this.hashCookie);
    if (this.ctx.draining() && !this.http2) headers.connection = 'close';
    this.heldStatus = statusCode;
    this.heldMessage = statusMessage;
    this.heldHeaders = headers;
    // An event stream's head goes out at once: its client waits for it, and the first event may
    // be long in coming (such a stream is not retried after a reset). Every other head is held
    // until its first body byte, so a failing attempt ends in a clean 502 or a retry.
    if (isEventStream(headers)) this.deliverHead();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done || this.abandoning) return;
    if (!this.delivering) this.deliverHead();
    if (this.writeBody(chunk)) return;
    controller.pause();
    // The resume hook is set on the first backpressure only: most answers never meet one.
    if (!this.awaitingDrain) {
      this.awaitingDrain = true;
      this.resumeWhenDrained(() => this.controller?.resume());
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers?: IncomingHttpHeaders): void {
    if (this.done || this.abandoning) return;
    // undici reports "no trailers" as an empty object.
    const sent = trailers && hasAny(trailers) ? trailers : undefined;
    if (!this.delivering) {
      // No body: head (and trailers) in one go, which on h2 can be a single HEADERS frame.
      this.finish(this.heldStatus);
      this.delivering = true;
      this.writeWhole(this.heldStatus, this.heldMessage, this.heldHeaders!, sent);
      this.heldHeaders = undefined;
      return;
    }
    if (this.bodyPending()) {
      // A compressed body still has its tail to encode: the attempt is over (nothing may abort
      // it now), the exchange finishes once the tail is out (bodyEnded).
      clearTimeout(this.requestTimer);
      this.closeAttempt();
      return this.endBody(sent);
    }
    this.finish(this.heldStatus);
    this.endBody(sent);
  }

  /** True when endBody() only starts the end, and the subclass calls bodyEnded() once the last byte is out. */
  protected bodyPending(): boolean {
    return false;
  }

  protected bodyEnded(): void {
    this.finish(this.heldStatus);
  }

  /** Delivery broke on Sluice's side (a compressor failed): stop the attempt and cut the response. */
  protected abortDelivery(reason: string, err: Error): void {
    if (!this.done) {
      this.reason = reason;
      this.finish(this.deliveredStatus());
      this.controller?.abort(err);
    }
    this.cut(err);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error & { code?: string }): void {
    if (this.abandoning) {
      this.abandoning = false;
      return;
    }
    if (this.done) return;
    if (this.attemptSpan) this.attemptError = `${this.timedOut ? 'timeout' : classify(err)}${err.code ? ` (${err.code})` : ''}`;
    this.closeAttempt();
    this.heldHeaders = undefined;
    if (this.bodyTooLarge || err.code === BODY_TOO_LARGE) {
      if (this.delivering) {
        this.reason = Answers.BodyTooLarge.code;
        this.finish(this.deliveredStatus());
        return this.cut(err);
      }
      return this.answer(Answers.BodyTooLarge, { connection: 'close' });
    }
    const cluster = this.plan.cluster;
    const kind = this.timedOut ? 'timeout' : classify(err);
    this.ctx.metrics.upstreamErrors.labels(cluster.cluster.id, kind).inc();
    const tlsReason = cluster.cluster.upstreamTls && tlsFailureReason(err);
    if (tlsReason) this.ctx.metrics.upstreamTlsFailures.labels(cluster.cluster.id, tlsReason).inc();
    this.ctx.stats.endpointError(cluster.cluster.id, this.target!.key, err.code ? `${kind} (${err.code})` : kind);
    const unreached = neverReached(err);
    if (unreached) cluster.health.unreachable(this.target!.key);
    else cluster.health.broke(this.target!.key);
    const failure: AttemptFailure | undefined = unreached ? 'connect-failure' : kind === 'reset' ? 'reset' : kind === 'timeout' ? 'timeout' : undefined;
    const reason = failure && this.retry.reasonForFailure(failure);
    if (reason && this.mayRepeat(unreached) && this.retryElsewhere(reason, false)) return;
    if (this.delivering) {
      this.reason = `upstream-${kind}`;
      this.finish(this.deliveredStatus());
      return this.cut(err);
    }
    this.answer(kind === 'timeout' ? Answers.UpstreamTimedOut : Answers.UpstreamUnavailable);
  }

  /**
   * Whether the request may be sent again: nothing was delivered, the request timeout has not
   * passed, attempts are left, its body (if any) was never read (it streams once), and either
   * the endpoint was never reached or the method is idempotent.
   */
  private mayRepeat(unreached: boolean): boolean {
    if (this.timedOut || this.delivering || this.attempts >= this.retry.maxAttempts) return false;
    if (this.withBody && this.req.readableDidRead) return false;
    return unreached || isIdempotent(this.req.method);
  }

  /**
   * Retries on an endpoint this request has not tried, within maxParallelRetries and the retry
   * budget, after the policy's backoff; false (and nothing changes) when it may not.
   * `deferred`: called from inside the failed attempt's callbacks, so the send waits a turn.
   */
  private retryElsewhere(reason: RetryOn, deferred: boolean): boolean {
    const cluster = this.plan.cluster;
    const metrics = this.ctx.metrics;
    const refused = this.retryOpen ? undefined : cluster.load.mayRetry(this.retry.policy);
    if (refused) {
      if (refused === 'budget') metrics.retryBudgetExhausted.labels(cluster.cluster.id).inc();
      else metrics.circuitBreakerOverflow.labels(cluster.cluster.id, refused).inc();
      return false;
    }
    (this.tried ??= new Set()).add(this.target!.key);
    const next = cluster.pick(this, this.tried);
    if (!next) return false;
    if (!this.retryOpen) {
      this.retryOpen = true;
      cluster.load.activeRetries++;
    }
    this.retries++;
    metrics.retries.labels(cluster.cluster.id, reason).inc();
    metrics.upstreamRetries.labels(cluster.cluster.id).inc();
    const delay = this.retry.backoffMs(this.retries, Math.random);
    if (delay === 0 && !deferred) {
      this.send(next);
    } else {
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = undefined;
        if (!this.done) this.send(next);
      }, delay);
    }
    return true;
  }

  /** This attempt is the one the client gets: write its held status and headers. */
  private deliverHead(): void {
    this.delivering = true;
    this.writeHead(this.heldStatus, this.heldMessage, this.heldHeaders!);
    this.heldHeaders = undefined;
  }

  protected answer(a: ProxyAnswer, headers?: Readonly<Record<string, string>>): void {
    this.reason = a.code;
    this.bytesOut = a.body.length;
    this.finish(a.status);
    this.writeAnswer(a.status, a.body, headers, a.grpc);
  }

  /** A circuit-breaker limit refused the request: 503 at once, naming the limit. */
  private overflow(limit: OverflowLimit): void {
    this.ctx.metrics.circuitBreakerOverflow.labels(this.plan.cluster.cluster.id, limit).inc();
    this.answer(Answers.Overflow, { 'x-sluice-overflow': limit });
  }

  private onRequestTimeout(): void {
    if (this.done) return;
    this.timedOut = true;
    if (this.attemptOpen && this.controller) this.controller.abort(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' }));
    // Waiting for a slot or a backoff: nothing is in flight to abort.
    else if (!this.attemptOpen) this.answer(Answers.UpstreamTimedOut);
  }

  /** The client went away before the exchange finished: stop the upstream attempt. */
  protected onClientClose(): void {
    if (this.done) return;
    this.reason = 'client-closed';
    this.finish(499);
    this.controller?.abort(new Error('client closed the connection'));
  }

  protected finish(code: number): void {
    if (this.done) return;
    this.done = true;
    this.closeAttempt();
    const load = this.plan.cluster.load;
    if (this.queuedFor) {
      load.cancelWait(this);
      this.queuedFor = undefined;
    }
    if (this.retryOpen) {
      this.retryOpen = false;
      load.activeRetries--;
    }
    if (this.counted) {
      this.counted = false;
      load.release();
    }
    clearTimeout(this.backoffTimer);
    clearTimeout(this.requestTimer);
    const now = performance.now();
    const ms = now - this.started;
    const route = this.plan.rt.route.id;
    const cluster = this.plan.cluster.cluster.id;
    const observers = observersOf(this.ctx, this.plan.rt);
    this.ctx.metrics.countRequest(route, cluster, code, ms / 1000, this.span && traceExemplar(this.span), observers.counters);
    this.ctx.stats.record(route, cluster, code, ms, now, observers.window);
    const log = this.ctx.accessLog;
    if (log) this.writeAccessLog(log, code, now);
    if (this.span) this.endTrace(code);
  }

  private endTrace(code: number): void {
    const span = this.span!;
    this.span = undefined;
    span.setAttribute('http.request.resend_count', this.retries);
    if (this.reason !== undefined) span.setAttribute('sluice.reason', this.reason);
    if (this.target) span.setAttribute('sluice.upstream', this.target.key);
    endSpan(span, code, this.reason);
  }

  private writeAccessLog(log: AccessLog, code: number, now: number): void {
    const r = log.begin(this.req, this.started);
    if (!r) return;
    r.ended = now;
    r.status = code;
    r.route = this.plan.rt.route.id;
    r.cluster = this.plan.cluster.cluster.id;
    r.client = this.plan.client.address;
    r.retries = this.retries;
    r.reason = this.reason;
    r.bytesOut = this.bytesOut;
    if (this.target) {
      r.upstream = this.target.key;
      r.upstreamMs = now - this.attemptStarted;
    }
    // The id sent upstream: the client's, or the one generated last in the list.
    const headers = this.plan.headers;
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (headers[i] === 'x-request-id') {
        r.requestId = headers[i + 1];
        break;
      }
    }
    log.write(r);
  }
}

const EXCHANGE = Symbol('sluice.exchange');
type ExchangeResponse = ServerResponse & { [EXCHANGE]?: HttpExchange };

/** An ordinary request: the answer is the client's HTTP response. */
export class HttpExchange extends Exchange {
  private readonly res: ServerResponse;
  /** The request body as it goes upstream (the client stream, or its size-limited copy). */
  private readonly body: Dispatcher.DispatchOptions['body'];
  /** The response body's compressor (RoutePolicy compression); undefined: the body goes out as it came. */
  private encoder: BodyEncoder | undefined;
  /** Body bytes that complete the answer (its Content-Length) when it goes out as it came; -1: unknown. */
  private bodyLength = -1;
  /**
   * The piece that completed the body, held for the end: one res.end(piece) writes it, where a
   * write() of its own would cork the socket and uncork it on the next tick. The end follows at
   * once from Sluice's HTTP/1.1 client; a late one (h2) may still bring trailers.
   */
  private lastPiece: Buffer | undefined;

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number) {
    super(ctx, plan, req, started);
    this.res = res;
    const limit = ctx.edge.maxRequestBodyBytes;
    // A declared length above the limit was answered by the plan; a chunked body is counted.
    this.body = !this.withBody ? null : limit > 0 && req.headers['content-length'] === undefined ? limitBody(req, limit, () => (this.bodyTooLarge = true)) : req;
    // One shared listener finds its exchange on the response: no closure or once-wrapper per request.
    (res as ExchangeResponse)[EXCHANGE] = this;
    res.on('close', HttpExchange.onResponseClose);
  }

  /** The client's response closed (finished or cut): a close before the exchange finished means the client left. */
  private static onResponseClose(this: ExchangeResponse): void {
    this[EXCHANGE]?.onClientClose();
  }

  protected dispatchOptions(): Dispatcher.DispatchOptions {
    const plan = this.plan;
    return { path: plan.path, method: this.req.method as Dispatcher.HttpMethod, headers: this.attemptHeaders ?? plan.headers, body: this.body, headersTimeout: this.headersTimeout(), bodyTimeout: this.idleTimeout() };
  }

  protected writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    const compression = this.plan.rt.compression;
    if (compression) this.compress(compression, status, headers);
    this.head(status, message, headers);
  }

  private head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    const length = headers['content-length'];
    this.bodyLength = this.encoder || length === undefined ? -1 : Number(length);
    // h2 has no reason phrase.
    if (message && !this.http2) this.res.writeHead(status, message, headers);
    else this.res.writeHead(status, headers);
  }

  protected override writeWhole(status: number, message: string | undefined, headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders | undefined): void {
    // No body to compress; an answer that would be compressed still says it varies.
    this.plan.rt.compression?.vary(status, headers);
    if (this.http2 && !trailers) return endWithoutBody(this.res, status, headers);
    this.head(status, message, headers);
    this.endBody(trailers);
  }

  /** Rewrites the head for compression and, if this answer is compressed, puts an encoder before the response. */
  private compress(rules: CompressionRules, status: number, headers: IncomingHttpHeaders): void {
    const length = headers['content-length'];
    const type = rules.apply(this.req, status, headers);
    if (!type) return;
    this.encoder = createBodyEncoder(type, length === undefined ? undefined : Number(length), this.res, this.ctx.metrics, {
      sent: (bytes) => (this.bytesOut += bytes),
      ended: () => this.bodyEnded(),
      failed: (err) => this.abortDelivery('compression-error', err),
    });
  }

  protected writeBody(chunk: Buffer): boolean {
    if (this.encoder) return this.encoder.write(chunk);
    this.bytesOut += chunk.length;
    if (this.bytesOut === this.bodyLength) {
      this.lastPiece = chunk;
      return true;
    }
    return this.res.write(chunk);
  }

  protected resumeWhenDrained(resume: () => void): void {
    if (this.encoder) this.encoder.onDrain(resume);
    else this.res.on('drain', resume);
  }

  protected endBody(trailers?: IncomingHttpHeaders): void {
    // HTTP/1.1 clients get trailers only on a chunked response (Node drops them otherwise);
    // a compressed body is chunked, and its trailers go out after the compressor's last bytes.
    if (trailers) this.res.addTrailers(trailers as Record<string, string>);
    if (this.encoder) return this.encoder.end();
    const last = this.lastPiece;
    this.lastPiece = undefined;
    if (last) this.res.end(last);
    else this.res.end();
  }

  protected override bodyPending(): boolean {
    return this.encoder !== undefined;
  }

  protected writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>, grpc?: GrpcStatus): void {
    plain(this.res, status, body, headers, grpc);
  }

  protected cut(err?: Error): void {
    this.res.destroy(err);
  }

  protected deliveredStatus(): number {
    return this.res.statusCode;
  }
}
