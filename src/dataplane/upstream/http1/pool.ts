// Sluice's own HTTP/1.1 client for clear-text endpoints: one pool per endpoint address, one
// request at a time per keep-alive connection, with undici's dispatch-handler contract (the one
// the exchange implements), so the exchange does not know which client carries it. It exists
// because undici's per-request machinery cost more CPU and memory than the rest of the proxy
// together (bench/README.md, "Sluice's HTTP/1.1 client"): this one writes each request head as
// one string, reads into one buffer shared by every connection, parses the answer with a small
// strict parser (response-parser.ts) and hands body pieces on as copies. Upgrades and the
// promise API (forward auth, mirrors) go to an undici pool made on first use.
import { connect, type Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type RequestHead, requestHead } from './request-head.js';
import { type ResponseHead, ResponseParser, type ResponseSink } from './response-parser.js';

/** What the rest of the data plane asks of any upstream pool (undici's Pool has the same shape). */
export interface UpstreamPool {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface Http1PoolOptions {
  readonly host: string;
  readonly port: number;
  /** host:port as a Host header says it (sent when the request carries no Host). */
  readonly authority: string;
  /** Most concurrent connections; further requests wait in order. */
  readonly connections: number;
  readonly connectMs: number;
  /** How long an idle connection is kept (shortened by the endpoint's Keep-Alive timeout hint). */
  readonly keepAliveMs: number;
  /** The pool for what this client does not do (upgrades, the promise API), made on first use. */
  readonly fallback: () => UpstreamPool;
}

/** Methods a request without a body may be sent again with, when a reused connection was found closed (RFC 9110 §9.2.2). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE']);
/**
 * How soon after the send a reused connection's unanswered close counts as the endpoint's idle
 * close crossing the request (its FIN or RST was already on the way). A later close means the
 * endpoint held the request: it may have acted on it, so it is not sent again.
 */
const REPLAY_WINDOW_MS = 100;
/** An endpoint's Keep-Alive timeout hint is cut by this much, so Sluice never sends on a connection the endpoint is closing. */
const KEEP_ALIVE_HINT_MARGIN_MS = 1000;
const NO_CONTEXT = Object.freeze({});
/**
 * Every connection of the process reads into this one buffer (net's `onread`): the socket hands
 * each read to the parser synchronously, so no read needs its own 64 KiB allocation or a pass
 * through the readable stream. Whatever outlives the read is copied out of it: body pieces in
 * `body()`, the parser's unfinished blocks in `collect()`.
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);
/** undici's "no trailers" (the exchange only reads them). */
const NO_TRAILERS: IncomingHttpHeaders = Object.freeze({});

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** One request's life in the pool; it is also the controller its handler gets. */
class UpstreamRequest implements Dispatcher.DispatchController {
  readonly options: Dispatcher.DispatchOptions;
  readonly handler: Dispatcher.DispatchHandler;
  head!: RequestHead;
  connection: Connection | undefined;
  /** The handler has had its last callback (end or error). */
  ended = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;
  /** Sent again once already after a reused connection turned out closed. */
  replayed = false;
  private readonly pool: Http1Pool;

  constructor(pool: Http1Pool, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    this.pool = pool;
    this.options = options;
    this.handler = handler;
  }

  abort(reason: Error): void {
    if (this.ended) return;
    this.aborted = true;
    this.reason = reason;
    const connection = this.connection;
    if (connection) connection.abandon(this);
    else this.pool.unqueue(this);
    this.error(reason);
  }

  pause(): void {
    this.paused = true;
    this.connection?.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.connection?.socket.resume();
  }

  error(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.connection = undefined;
    this.handler.onResponseError?.(this, err);
  }
}

type TimerKind = 'connect' | 'headers' | 'body' | 'idle';

function uncork(socket: Socket): void {
  socket.uncork();
}

class Connection implements ResponseSink {
  readonly socket: Socket;
  private readonly pool: Http1Pool;
  private request: UpstreamRequest | undefined;
  /** The parser of the current response (the connection's one parser, while a request is out). */
  private parser: ResponseParser | undefined;
  private ownParser: ResponseParser | undefined;
  /** The current response's end arrived (delivered once the parser returns), with its trailers. */
  private responseEnded = false;
  private trailers: IncomingHttpHeaders | undefined;
  private keepAliveHintMs = 0;
  /** Served a response before: a close before the next answer's first byte may be the endpoint's idle timeout. */
  reused = false;
  /** When the current request went out on a reused connection (for the replay window). */
  private sentAt = 0;
  private connecting = true;
  /** The request body still streaming to the endpoint. */
  private requestBody: Readable | undefined;
  private bodyListeners: { data: (c: Buffer) => void; end: () => void; error: (e: Error) => void; close: () => void } | undefined;
  private lastError: Error | undefined;
  /**
   * One timer per connection for all four deadlines. Arming only moves `deadline` while the
   * timer is due no later than it (the common case: a request's deadlines come after the last
   * one's), and a timer that fires early sets itself again for the rest, so a request costs no
   * timer operations, where setting each deadline anew cost three setTimeout/clearTimeout pairs.
   */
  private timer: NodeJS.Timeout | undefined;
  /** When the timer is due (performance.now() ms). */
  private timerDue = 0;
  /** When the current kind expires (performance.now() ms); 0: no deadline. */
  private deadline = 0;
  /** The current kind's length, for the body timeout that restarts with every chunk. */
  private deadlineMs = 0;
  private timerKind: TimerKind = 'connect';
  private readonly onTimer = (): void => this.timerFired();
  /** `true`: keep reading (a pause() during the read has already stopped it). */
  private readonly onRead = (nread: number, buffer: Buffer): boolean => {
    this.onData(buffer.subarray(0, nread));
    return true;
  };

  constructor(pool: Http1Pool, options: Http1PoolOptions) {
    this.pool = pool;
    this.socket = connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
      onread: { buffer: READ_BUFFER, callback: this.onRead },
    });
    this.arm('connect', options.connectMs);
    this.socket.once('connect', () => {
      this.connecting = false;
      if (this.request) this.arm('headers', this.request.options.headersTimeout ?? 0);
      else this.clearTimer();
    });
    this.socket.on('drain', () => this.requestBody?.resume());
    this.socket.on('error', (err: Error) => (this.lastError = err));
    this.socket.on('close', () => this.onClose());
  }

  /** Writes `request` (the connection is idle or new). */
  send(request: UpstreamRequest): void {
    this.request = request;
    request.connection = this;
    this.responseEnded = false;
    const parser = (this.ownParser ??= new ResponseParser(this, false));
    parser.reset(request.options.method === 'HEAD');
    this.parser = parser;
    if (this.reused) this.sentAt = performance.now();
    if (!this.connecting) this.arm('headers', request.options.headersTimeout ?? 0);
    if (request.paused) this.socket.pause();
    else this.socket.resume();
    const head = request.head;
    const body = request.options.body as Readable | null | undefined;
    if (head.framing === 'none' || !body) {
      this.socket.write(head.text, 'latin1');
      return;
    }
    // The head waits for the body's first bytes: they usually came in the same read from the
    // client and flow on this tick or the next (resume), so head and body leave in one write
    // (one segment, one wake-up of the endpoint) instead of two. The uncork is queued after the
    // body's resume: a body that is not there yet only delays the head by a tick.
    this.socket.cork();
    this.socket.write(head.text, 'latin1');
    this.streamBody(body, head);
    process.nextTick(uncork, this.socket);
  }

  private streamBody(body: Readable, head: RequestHead): void {
    this.requestBody = body;
    const chunked = head.framing === 'chunked';
    let sent = 0;
    const listeners = {
      data: (chunk: Buffer) => {
        if (chunk.length === 0) return;
        let ok: boolean;
        if (chunked) {
          this.socket.cork();
          this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
          this.socket.write(chunk);
          ok = this.socket.write('\r\n', 'latin1');
          this.socket.uncork();
        } else {
          sent += chunk.length;
          if (sent > head.length) return this.fail(coded('request body longer than its Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
          ok = this.socket.write(chunk);
        }
        if (!ok) body.pause();
      },
      end: () => {
        this.detachBody();
        if (chunked) this.socket.write('0\r\n\r\n', 'latin1');
        else if (sent !== head.length) this.fail(coded('request body shorter than its Content-Length', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
      },
      error: (err: Error) => this.fail(err),
      close: () => {
        if (this.requestBody === body) this.fail(coded('the request body ended early', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'));
      },
    };
    this.bodyListeners = listeners;
    body.on('data', listeners.data);
    body.once('end', listeners.end);
    body.once('error', listeners.error);
    body.once('close', listeners.close);
    body.resume();
  }

  private detachBody(): void {
    const body = this.requestBody;
    const l = this.bodyListeners;
    this.requestBody = undefined;
    this.bodyListeners = undefined;
    if (!body || !l) return;
    body.off('data', l.data);
    body.off('end', l.end);
    body.off('error', l.error);
    body.off('close', l.close);
  }

  // ResponseSink: called by the parser from inside onData.
  head(head: ResponseHead): boolean {
    const request = this.request!;
    this.keepAliveHintMs = head.keepAliveHintMs;
    this.arm('body', request.options.bodyTimeout ?? 0);
    request.handler.onResponseStart?.(request, head.status, head.headers, head.reason);
    return this.request === request && !request.ended;
  }

  body(chunk: Buffer): boolean {
    const request = this.request!;
    // A view into READ_BUFFER would change under a write still queued with it: hand out a copy.
    request.handler.onResponseData?.(request, Buffer.from(chunk));
    return this.request === request && !request.ended;
  }

  end(trailers: IncomingHttpHeaders | undefined): void {
    this.responseEnded = true;
    this.trailers = trailers;
  }

  private onData(chunk: Buffer): void {
    const request = this.request;
    const parser = this.parser;
    if (!request || !parser) {
      // Bytes nobody asked for (an idle connection): the endpoint is out of step.
      this.socket.destroy();
      return;
    }
    if (this.timerKind === 'body' && this.deadline !== 0) this.deadline = performance.now() + this.deadlineMs;
    let extra: Buffer | undefined;
    try {
      extra = parser.feed(chunk);
    } catch (err) {
      return this.fail(err as Error);
    }
    if (this.responseEnded && this.request === request) this.complete(request, extra !== undefined && extra.length > 0);
  }

  private complete(request: UpstreamRequest, extraBytes: boolean): void {
    const trailers = this.trailers;
    const reusable = this.parser!.reusable && !extraBytes && this.requestBody === undefined && !this.socket.destroyed;
    this.request = undefined;
    this.parser = undefined;
    this.responseEnded = false;
    this.trailers = undefined;
    request.ended = true;
    request.connection = undefined;
    this.reused = true;
    if (reusable) {
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this);
    } else {
      // An unfinished request body (the endpoint answered early) or an answer that said close.
      this.detachBody();
      this.socket.destroy();
    }
    request.handler.onResponseEnd?.(request, trailers ?? NO_TRAILERS);
  }

  /** The request's handler aborted it: the connection is mid-exchange and cannot be reused. */
  abandon(request: UpstreamRequest): void {
    if (this.request === request) this.teardown();
  }

  /** Ends the current exchange mid-way: nothing more is delivered, and the connection is closed. */
  private teardown(): void {
    this.request = undefined;
    this.parser?.stop();
    this.parser = undefined;
    this.detachBody();
    this.clearTimer();
    this.socket.destroy();
  }

  /** The exchange cannot go on on this connection: close it and tell the request (or send it again). */
  private fail(err: Error): void {
    const request = this.request;
    const untouched = this.parser?.untouched ?? true;
    this.teardown();
    if (!request || request.ended) return;
    request.connection = undefined;
    if (this.reused && untouched && performance.now() - this.sentAt < REPLAY_WINDOW_MS && !request.replayed && !request.options.body && REPLAYABLE.has(request.options.method) && !isTimeout(err)) {
      // The endpoint closed an idle connection as Sluice sent on it: nothing was processed.
      request.replayed = true;
      this.pool.replay(request);
      return;
    }
    request.error(err);
  }

  private onClose(): void {
    this.clearTimer();
    this.pool.drop(this);
    const request = this.request;
    if (!request) return;
    // A body delimited by the connection's close ends here.
    if (this.parser?.closed() && this.responseEnded) return this.complete(request, false);
    const err = this.lastError ?? coded('other side closed', 'UND_ERR_SOCKET');
    this.fail(err);
  }

  /** Parks the connection (the pool's idle list) until the next request or the keep-alive timeout. */
  idle(keepAliveMs: number): void {
    const hint = this.keepAliveHintMs;
    this.arm('idle', hint > 0 ? Math.min(keepAliveMs, Math.max(hint - KEEP_ALIVE_HINT_MARGIN_MS, 500)) : keepAliveMs);
  }

  /** Sets the deadline of `kind` `ms` from now (none when ms ≤ 0). An idle connection's timer does not keep the process alive. */
  private arm(kind: TimerKind, ms: number): void {
    this.timerKind = kind;
    if (ms <= 0) {
      this.deadline = 0;
      this.timer?.unref();
      return;
    }
    const deadline = performance.now() + ms;
    this.deadline = deadline;
    this.deadlineMs = ms;
    if (!this.timer || this.timerDue > deadline) this.schedule(deadline, ms);
    this.holdProcessUnlessIdle();
  }

  private holdProcessUnlessIdle(): void {
    if (this.timerKind === 'idle') this.timer!.unref();
    else this.timer!.ref();
  }

  private schedule(due: number, ms: number): void {
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(this.onTimer, ms);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.deadline = 0;
  }

  private timerFired(): void {
    const deadline = this.deadline;
    if (deadline === 0) {
      this.timer = undefined;
      return;
    }
    // Due before the deadline (it moved on since the timer was set): wait for the rest. Within
    // a millisecond counts as reached (libuv's clock lags performance.now() by up to a tick).
    const left = deadline - performance.now();
    if (left > 1) {
      this.schedule(deadline, left);
      this.holdProcessUnlessIdle();
      return;
    }
    this.timer = undefined;
    this.deadline = 0;
    switch (this.timerKind) {
      case 'connect':
        return this.fail(coded('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
      case 'headers':
        return this.fail(coded('headers timeout', 'UND_ERR_HEADERS_TIMEOUT'));
      case 'body':
        return this.fail(coded('body timeout', 'UND_ERR_BODY_TIMEOUT'));
      case 'idle':
        this.socket.destroy();
    }
  }
}

function isTimeout(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

export class Http1Pool implements UpstreamPool {
  private readonly options: Http1PoolOptions;
  /** Idle connections, the most recently used last (reused first: the others may time out). */
  private readonly idle: Connection[] = [];
  private readonly connections = new Set<Connection>();
  private readonly queue: UpstreamRequest[] = [];
  private fallbackPool: UpstreamPool | undefined;
  private closing = false;
  private whenEmpty: (() => void) | undefined;

  constructor(options: Http1PoolOptions) {
    this.options = options;
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (options.upgrade) return this.fallback().dispatch(options, handler);
    const request = new UpstreamRequest(this, options, handler);
    handler.onRequestStart?.(request, NO_CONTEXT);
    if (request.ended) return true;
    try {
      request.head = requestHead(options.method, options.path, options.headers, options.body !== null && options.body !== undefined, this.options.authority);
    } catch (err) {
      request.error(err as Error);
      return true;
    }
    if (this.closing) {
      request.error(coded('the pool is closed', 'UND_ERR_CLOSED'));
      return true;
    }
    this.assign(request);
    return true;
  }

  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    return this.fallback().request(options);
  }

  private fallback(): UpstreamPool {
    return (this.fallbackPool ??= this.options.fallback());
  }

  private assign(request: UpstreamRequest): void {
    let idle = this.idle.pop();
    // One whose keep-alive timer just cut it has not reported its close yet.
    while (idle?.socket.destroyed) idle = this.idle.pop();
    if (idle) return idle.send(request);
    if (this.connections.size < this.options.connections) return this.open().send(request);
    this.queue.push(request);
  }

  private open(): Connection {
    const connection = new Connection(this, this.options);
    this.connections.add(connection);
    return connection;
  }

  /** Sends a request again on a new connection (its reused one was found closed). */
  replay(request: UpstreamRequest): void {
    if (this.connections.size < this.options.connections) this.open().send(request);
    else this.queue.unshift(request);
  }

  /** A connection finished its response and may carry another. */
  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next) return connection.send(next);
    if (this.closing) {
      connection.socket.destroy();
      return;
    }
    this.idle.push(connection);
    connection.idle(this.options.keepAliveMs);
  }

  /** A connection closed: forget it, and open another for a waiting request. */
  drop(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const at = this.idle.lastIndexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    const next = this.queue.length > 0 && this.connections.size < this.options.connections ? this.queue.shift() : undefined;
    if (next) this.open().send(next);
    if (this.connections.size === 0) this.whenEmpty?.();
  }

  unqueue(request: UpstreamRequest): void {
    const at = this.queue.indexOf(request);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Lets running and waiting requests finish, closes idle connections, refuses new requests. */
  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    const fallback = this.fallbackPool?.close();
    if (this.connections.size > 0) await new Promise<void>((resolve) => (this.whenEmpty = resolve));
    await fallback;
  }

  /** Cuts every connection now (their requests get an error). */
  async destroy(): Promise<void> {
    this.closing = true;
    for (const r of this.queue.splice(0)) r.error(coded('the pool was destroyed', 'UND_ERR_DESTROYED'));
    for (const c of [...this.connections]) c.socket.destroy();
    await this.fallbackPool?.destroy();
  }
}
