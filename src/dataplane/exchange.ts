// One proxied request's attempts: pick an endpoint, send, classify a failure, tell health, and
// retry on another endpoint while nothing reached the client. An attempt's status and headers
// are held until its first body byte (or its end), so nothing of an attempt that is retried
// ever reaches the client. The exchange doubles as undici's dispatch handler and as the
// balancer's pick context (no extra objects per request). Where the answer goes is the
// subclass's business: an HTTP response (HttpExchange below) or a raw upgrade socket
// (upgrade.ts).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Answers, type ProxyAnswer } from '../errors.js';
import type { PickContext, UpstreamTarget } from './balancer/balancer.js';
import type { ProxyContext } from './context.js';
import { BODY_TOO_LARGE, limitBody } from './edge/body-limit.js';
import { stripResponseHopByHop } from './headers.js';
import { type Forward, hasBody } from './plan.js';
import { brokeBeforeResponse, classify, neverReached } from './upstream/errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.startsWith('text/event-stream');
}
/** Attempts per request, each on a different endpoint. */
const MAX_ATTEMPTS = 3;

/** A plain-text answer of the proxy itself on an HTTP response (or a cut, if one already started). */
export function plain(res: ServerResponse, status: number, body: string, extra?: Readonly<Record<string, string>>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

export abstract class Exchange implements Dispatcher.DispatchHandler, PickContext {
  protected readonly ctx: ProxyContext;
  protected readonly plan: Forward;
  protected readonly req: IncomingMessage;
  private readonly started: number;
  /** The endpoint of the current attempt. */
  protected target: UpstreamTarget | undefined;
  /** The current attempt counts as in flight on `target`. */
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
  /** The request carries a body (it streams once: never replayed, never mirrored). */
  readonly withBody: boolean;
  /** The request body passed --max-request-body while streaming. */
  protected bodyTooLarge = false;

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, started: number) {
    this.ctx = ctx;
    this.plan = plan;
    this.req = req;
    this.started = started;
    this.withBody = hasBody(req);
    const requestMs = plan.rt.route.timeouts?.requestMs;
    if (requestMs) this.requestTimer = setTimeout(() => this.onRequestTimeout(), requestMs);
  }

  get clientAddress(): string {
    return this.plan.client.address;
  }

  get hashKey(): number | undefined {
    return undefined;
  }

  /** Picks the first endpoint and sends; answers 503 when the cluster has none. */
  start(): void {
    const target = this.plan.cluster.pick(this);
    if (!target) return this.answer(Answers.NoReadyEndpoint);
    this.attempt(target);
  }

  /** Where and how to send (path, method, headers, body, timeouts); called once per attempt. */
  protected abstract dispatchOptions(): Dispatcher.DispatchOptions;
  /** Writes the delivered attempt's status line and headers to the client. */
  protected abstract writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void;
  /** Writes body bytes; false asks the upstream to pause until `resumeWhenDrained` fires. */
  protected abstract writeBody(chunk: Buffer): boolean;
  protected abstract resumeWhenDrained(resume: () => void): void;
  protected abstract endBody(): void;
  /** Writes an answer of the proxy itself (nothing was delivered yet). */
  protected abstract writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>): void;
  /** Ends a delivery that cannot complete. */
  protected abstract cut(err?: Error): void;
  /** The status the client got (for metrics when a delivery is cut). */
  protected abstract deliveredStatus(): number;

  private attempt(target: UpstreamTarget): void {
    this.target = target;
    this.attempts++;
    target.inflight++;
    this.attemptOpen = true;
    this.controller = undefined;
    this.ctx.pools.get(target.key).dispatch(this.dispatchOptions(), this);
  }

  private closeAttempt(): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    this.target!.inflight--;
  }

  /** Time to response headers: the route's backendRequest timeout, else --upstream-response-timeout. */
  protected headersTimeout(): number {
    return this.plan.rt.route.timeouts?.backendRequestMs ?? this.ctx.timeouts.responseMs;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client gone'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (this.done) return;
    this.plan.cluster.health.responded(this.target!.key, statusCode);
    stripResponseHopByHop(headers);
    this.plan.backend.responseHeaders?.(headers);
    if (this.ctx.draining()) headers.connection = 'close';
    this.heldStatus = statusCode;
    this.heldMessage = statusMessage;
    this.heldHeaders = headers;
    // An event stream's head goes out at once: its client waits for it, and the first event may
    // be long in coming (such a stream is not retried after a reset). Every other head is held
    // until its first body byte, so a failing attempt ends in a clean 502 or a retry.
    if (isEventStream(headers)) this.deliverHead();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    if (!this.delivering) this.deliverHead();
    if (!this.writeBody(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.done) return;
    if (!this.delivering) this.deliverHead();
    this.finish(this.heldStatus);
    this.endBody();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error & { code?: string }): void {
    if (this.done) return;
    this.closeAttempt();
    this.heldHeaders = undefined;
    if (this.bodyTooLarge || err.code === BODY_TOO_LARGE) {
      if (this.delivering) {
        this.finish(this.deliveredStatus());
        return this.cut(err);
      }
      return this.answer(Answers.BodyTooLarge, { connection: 'close' });
    }
    const cluster = this.plan.cluster;
    const kind = this.timedOut ? 'timeout' : classify(err);
    this.ctx.metrics.upstreamErrors.labels(cluster.cluster.id, kind).inc();
    const unreached = neverReached(err);
    if (unreached) cluster.health.unreachable(this.target!.key);
    else cluster.health.broke(this.target!.key);
    if (this.retryable(err, unreached)) {
      (this.tried ??= new Set()).add(this.target!.key);
      const next = cluster.pick(this, this.tried);
      if (next) {
        this.ctx.metrics.upstreamRetries.labels(cluster.cluster.id).inc();
        return this.attempt(next);
      }
    }
    if (this.delivering) {
      this.finish(this.deliveredStatus());
      return this.cut(err);
    }
    this.answer(kind === 'timeout' ? Answers.UpstreamTimedOut : Answers.UpstreamUnavailable);
  }

  /**
   * Whether another endpoint may take this request: nothing was delivered yet, no request body
   * was streamed (it cannot be replayed), and either the endpoint was never reached or the
   * request is safe to repeat.
   */
  private retryable(err: Error & { code?: string }, unreached: boolean): boolean {
    if (this.timedOut || this.delivering || this.withBody || this.attempts >= MAX_ATTEMPTS) return false;
    return unreached || (brokeBeforeResponse(err) && SAFE_METHODS.has(this.req.method ?? ''));
  }

  /** This attempt is the one the client gets: write its held status and headers. */
  private deliverHead(): void {
    this.delivering = true;
    this.writeHead(this.heldStatus, this.heldMessage, this.heldHeaders!);
    this.heldHeaders = undefined;
    this.resumeWhenDrained(() => this.controller?.resume());
  }

  protected answer(a: ProxyAnswer, headers?: Readonly<Record<string, string>>): void {
    this.finish(a.status);
    this.writeAnswer(a.status, a.body, headers);
  }

  private onRequestTimeout(): void {
    if (this.done) return;
    this.timedOut = true;
    if (this.controller) this.controller.abort(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' }));
  }

  /** The client went away before the exchange finished: stop the upstream attempt. */
  protected onClientClose(): void {
    if (this.done) return;
    this.finish(499);
    this.controller?.abort(new Error('client closed the connection'));
  }

  protected finish(code: number): void {
    if (this.done) return;
    this.done = true;
    this.closeAttempt();
    clearTimeout(this.requestTimer);
    this.ctx.metrics.countRequest(this.plan.rt.route.id, this.plan.cluster.cluster.id, code, (performance.now() - this.started) / 1000);
  }
}

/** An ordinary request: the answer is the client's HTTP response. */
export class HttpExchange extends Exchange {
  private readonly res: ServerResponse;
  /** The request body as it goes upstream (the client stream, or its size-limited copy). */
  private readonly body: Dispatcher.DispatchOptions['body'];

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number) {
    super(ctx, plan, req, started);
    this.res = res;
    const limit = ctx.edge.maxRequestBodyBytes;
    // A declared length above the limit was answered by the plan; a chunked body is counted.
    this.body = !this.withBody ? null : limit > 0 && req.headers['content-length'] === undefined ? limitBody(req, limit, () => (this.bodyTooLarge = true)) : req;
    res.once('close', () => this.onClientClose());
  }

  protected dispatchOptions(): Dispatcher.DispatchOptions {
    const plan = this.plan;
    return { path: plan.path, method: this.req.method as Dispatcher.HttpMethod, headers: plan.headers, body: this.body, headersTimeout: this.headersTimeout(), bodyTimeout: this.ctx.timeouts.idleMs };
  }

  protected writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    if (message) this.res.writeHead(status, message, headers);
    else this.res.writeHead(status, headers);
  }

  protected writeBody(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  protected resumeWhenDrained(resume: () => void): void {
    this.res.on('drain', resume);
  }

  protected endBody(): void {
    this.res.end();
  }

  protected writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    plain(this.res, status, body, headers);
  }

  protected cut(err?: Error): void {
    this.res.destroy(err);
  }

  protected deliveredStatus(): number {
    return this.res.statusCode;
  }
}
