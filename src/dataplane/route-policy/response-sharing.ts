// A route's cache and coalescing (RoutePolicy spec.cache, spec.coalescing), compiled once per
// route runtime and absent (no cost) for routes without them. It runs after admission, where an
// admitted request would start its exchange:
//
//   GET/HEAD ─▶ lookup (cache) ─ fresh ─▶ answer from the entry (HIT)
//                  │ none / stale (revalidate with its ETag / Last-Modified)
//                  ▼
//              join an identical request's flight (coalescing) ─▶ its answer, as it arrives
//                  │ or lead a new flight / go alone
//                  ▼
//              SharedExchange ─▶ [cache fill: store, or refresh on 304] ─▶ flight ─▶ clients
//
// Unsafe methods go through the ordinary exchange; a non-error answer drops the cached entries
// of their URI (RFC 9111 §4.4). Ranges and If-Match/If-Unmodified-Since/If-Range go through
// untouched. Every client is counted like any answer (metrics, stats window, access log): a
// flight's leader by its exchange, hits and waiters here.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Answers } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { EdgePolicy } from '../../table/types.js';
import type { ProxyContext } from '../context.js';
import { plain } from '../exchange.js';
import { type Forward, hasBody, recordAnswer } from '../plan.js';
import { requestDirectives } from './cache/cache-control.js';
import { passThrough, primaryKey } from './cache/key.js';
import { RouteCache, type XCache } from './cache/route-cache.js';
import type { Entry } from './cache/store.js';
import { isConditional, notModified, notModifiedHeaders } from './cache/validators.js';
import { Coalescer, Flight, type Subscriber } from './coalescing.js';
import { cacheCounter, type CacheResult, coalescedCounter } from './counters.js';
import { SharedExchange } from './shared-exchange.js';

const UNSAFE_SKIP = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const RESULT: Readonly<Record<XCache, CacheResult>> = { HIT: 'hit', MISS: 'miss', REVALIDATED: 'revalidated', EXPIRED: 'stale' };

/** One request's upstream headers without the client's conditionals, with the stale entry's validators. */
function upstreamHeaders(headers: string[], req: IncomingHttpHeaders, stale: Entry | undefined): string[] {
  if (!stale && !isConditional(req)) return headers;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name !== 'if-none-match' && name !== 'if-modified-since') out.push(name, headers[i + 1]!);
  }
  const h = stale?.response.headers;
  if (typeof h?.etag === 'string') out.push('if-none-match', h.etag);
  if (typeof h?.['last-modified'] === 'string') out.push('if-modified-since', h['last-modified']);
  return out;
}

function signatureOf(edge: EdgePolicy): string {
  return JSON.stringify([edge.cache ?? null, edge.coalescing ?? null]);
}

/** One route's cache and coalescing in one worker, for /debug/routes. */
export interface SharingStats {
  readonly entries?: number;
  readonly bytes?: number;
  readonly flights?: number;
}

/** By route id. */
export type CacheSnapshot = Readonly<Record<string, SharingStats>>;

export class ResponseSharing {
  readonly routeId: string;
  readonly cache: RouteCache | undefined;
  readonly coalescer: Coalescer | undefined;
  private readonly cacheCount;
  private readonly coalescedCount;
  /** The policies this was built for (a new table with the same ones keeps this object). */
  private readonly signature: string;
  private metrics: Metrics | undefined;
  private gauges: { readonly metrics: Metrics; readonly bytes: { set(v: number): void }; readonly entries: { set(v: number): void } } | undefined;

  constructor(routeId: string, edge: EdgePolicy) {
    this.routeId = routeId;
    this.signature = signatureOf(edge);
    this.cache = edge.cache ? new RouteCache(edge.cache) : undefined;
    if (this.cache) this.cache.store.onChange = () => this.updateGauges();
    this.cacheCount = cacheCounter(routeId);
    this.coalescedCount = coalescedCounter(routeId);
    this.coalescer = edge.coalescing ? new Coalescer(edge.coalescing, (r) => this.coalescedCount.count(this.metrics!, r)) : undefined;
  }

  /** True when built for the same cache and coalescing policies as `edge` has. */
  serves(edge: EdgePolicy): boolean {
    return signatureOf(edge) === this.signature;
  }

  stats(): SharingStats {
    const store = this.cache?.store;
    return { ...(store ? { entries: store.entries, bytes: store.bytes } : {}), ...(this.coalescer ? { flights: this.coalescer.inFlight } : {}) };
  }

  /** Takes the request (true), or leaves it to the ordinary exchange (false). */
  serve(ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number): boolean {
    this.metrics = ctx.metrics;
    const method = req.method ?? 'GET';
    const cache = this.cache;
    if (method !== 'GET' && method !== 'HEAD') {
      if (cache && !UNSAFE_SKIP.has(method)) this.invalidateAfter(plan, res);
      return false;
    }
    if (hasBody(req) || passThrough(req.headers)) return this.bypass(ctx);
    const directives = cache ? requestDirectives(req.headers) : undefined;
    if (directives?.noStore) return this.bypass(ctx);
    const primary = primaryKey(plan);
    let stale: Entry | undefined;
    if (cache) {
      const now = Date.now();
      const found = cache.lookup(primary, req.headers, directives!, now);
      if (found && 'fresh' in found) {
        this.answerFromCache(ctx, plan, req, res, started, found.fresh, now);
        return true;
      }
      if (directives!.onlyIfCached) {
        this.cacheCount.count(ctx.metrics, 'miss');
        const a = Answers.NotCached;
        recordAnswer(ctx, req, started, plan.rt.route.id, plan.cluster.cluster.id, a.status, a.body.length, a.code, plan);
        plain(res, a.status, a.body, { 'x-cache': 'MISS' });
        return true;
      }
      stale = found?.stale;
    }
    const client = new ClientSink(this, ctx, plan, req, res, started, primary);
    const coalescer = this.coalescer;
    if (!coalescer) {
      client.lead(stale, undefined, true);
      return true;
    }
    const key = coalescer.key(method, primary, req.headers);
    const flight = coalescer.find(key);
    if (!flight) {
      client.lead(stale, key, true);
      return true;
    }
    if (flight.join(client, performance.now())) client.follow(flight);
    else client.lead(stale, undefined, true);
    return true;
  }

  countCache(metrics: Metrics, result: CacheResult): void {
    if (this.cache) this.cacheCount.count(metrics, result);
  }

  countXCache(metrics: Metrics, headers: IncomingHttpHeaders): void {
    const x = headers['x-cache'];
    if (this.cache && typeof x === 'string' && x in RESULT) this.cacheCount.count(metrics, RESULT[x as XCache]);
  }

  /** sluice_cache_bytes and sluice_cache_entries of this route. */
  private updateGauges(): void {
    const metrics = this.metrics;
    const store = this.cache?.store;
    if (!metrics || !store) return;
    if (this.gauges?.metrics !== metrics) this.gauges = { metrics, bytes: metrics.cacheBytes.labels(this.routeId), entries: metrics.cacheEntries.labels(this.routeId) };
    this.gauges.bytes.set(store.bytes);
    this.gauges.entries.set(store.entries);
  }

  private bypass(ctx: ProxyContext): false {
    if (this.cache) this.cacheCount.count(ctx.metrics, 'bypass');
    return false;
  }

  /** A fresh entry answers: Age, X-Cache: HIT, or 304 when the client already has it. */
  private answerFromCache(ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number, entry: Entry, now: number): void {
    this.cacheCount.count(ctx.metrics, 'hit');
    const stored = entry.response;
    const headers = this.cache!.served(stored, now, 'HIT');
    if (ctx.draining()) headers.connection = 'close';
    let status = stored.status;
    let body: Buffer | undefined = req.method === 'HEAD' ? undefined : stored.body;
    if (isConditional(req.headers) && notModified(req.headers, status, stored.headers)) {
      status = 304;
      body = undefined;
      res.writeHead(304, notModifiedHeaders(headers));
    } else res.writeHead(status, headers);
    res.end(body);
    recordAnswer(ctx, req, started, plan.rt.route.id, plan.cluster.cluster.id, status, body?.length ?? 0, 'cache-hit', plan);
  }

  /** RFC 9111 §4.4: an unsafe request that did not fail invalidates its URI's entries. */
  private invalidateAfter(plan: Forward, res: ServerResponse): void {
    const primary = primaryKey(plan);
    res.once('close', () => {
      if (!(res.headersSent && res.statusCode >= 400)) this.cache!.store.invalidate(primary);
    });
  }

  /** The upstream request of one flight (the leader's, or a request going alone). */
  startFlight(client: ClientSink, flight: Flight, stale: Entry | undefined, store: boolean): void {
    const { ctx, plan, req } = client;
    const cache = this.cache;
    const receiver = cache ? cache.fill(flight, client.primary, req.headers, stale, store && req.method === 'GET') : flight;
    const headers = upstreamHeaders(plan.headers, req.headers, stale);
    const exchange = new SharedExchange(ctx, headers === plan.headers ? plan : { ...plan, headers }, req, client.started, receiver);
    flight.abandon = () => exchange.abandon();
    exchange.start();
  }
}

/** One client on a cache/coalescing route, as a flight member. */
class ClientSink implements Subscriber {
  readonly ctx: ProxyContext;
  readonly plan: Forward;
  readonly req: IncomingMessage;
  readonly started: number;
  readonly primary: string;
  private readonly sharing: ResponseSharing;
  private readonly res: ServerResponse;
  private flight: Flight | undefined;
  /** Counted by this sink (a waiter); a leader is counted by its exchange. */
  private waiter = false;
  private skipBody: boolean;
  private bytes = 0;
  private done = false;

  constructor(sharing: ResponseSharing, ctx: ProxyContext, plan: Forward, req: IncomingMessage, res: ServerResponse, started: number, primary: string) {
    this.sharing = sharing;
    this.ctx = ctx;
    this.plan = plan;
    this.req = req;
    this.res = res;
    this.started = started;
    this.primary = primary;
    this.skipBody = req.method === 'HEAD';
    res.once('close', () => this.gone());
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  /** Sends upstream: a flight others may join under `key`, or alone. */
  lead(stale: Entry | undefined, key: string | undefined, store: boolean): void {
    const coalescer = this.sharing.coalescer;
    const flight = new Flight(this, this.primary, key !== undefined ? coalescer : undefined, key, key !== undefined && this.sharing.cache ? this.sharing.cache.store.maxObjectBytes : 0);
    this.flight = flight;
    this.waiter = false;
    if (key !== undefined) coalescer!.open(key, flight);
    this.sharing.startFlight(this, flight, stale, store);
  }

  follow(flight: Flight): void {
    this.flight = flight;
    this.waiter = true;
  }

  retryAlone(store: boolean): void {
    this.flight = undefined;
    if (this.done) return;
    this.lead(undefined, undefined, store);
  }

  head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    if (this.done) return;
    this.sharing.countXCache(this.ctx.metrics, headers);
    if (isConditional(this.req.headers) && notModified(this.req.headers, status, headers)) {
      this.skipBody = true;
      this.res.writeHead(304, notModifiedHeaders(headers));
      return;
    }
    if (message) this.res.writeHead(status, message, headers);
    else this.res.writeHead(status, headers);
  }

  write(chunk: Buffer): boolean {
    if (this.done || this.skipBody) return true;
    this.bytes += chunk.length;
    return this.res.write(chunk);
  }

  whenDrained(drained: () => void): void {
    this.res.once('drain', drained);
  }

  end(): void {
    if (this.done) return;
    this.settle(this.res.statusCode, 'coalesced');
    this.res.end();
  }

  answer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    if (this.done) return;
    this.sharing.countCache(this.ctx.metrics, 'miss');
    this.bytes = body.length;
    this.settle(status, 'coalesced');
    plain(this.res, status, body, headers);
  }

  cut(err?: Error): void {
    if (this.done) return;
    this.settle(this.res.statusCode, 'coalesced-cut');
    this.res.destroy(err);
  }

  /** The client left: a waiter is counted 499; the flight goes on for the others. */
  private gone(): void {
    if (this.done) return;
    const flight = this.flight;
    this.settle(499, 'client-closed');
    flight?.leave(this);
  }

  private settle(status: number, reason: string): void {
    this.done = true;
    if (this.waiter) recordAnswer(this.ctx, this.req, this.started, this.plan.rt.route.id, this.plan.cluster.cluster.id, status, this.bytes, reason, this.plan);
  }
}
