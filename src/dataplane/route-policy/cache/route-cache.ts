// One route's cache (RoutePolicy spec.cache): lookups, and the fill that sits between the upstream
// exchange and the clients it answers (a flight, coalescing.ts). The fill decides at the status
// line whether the response may be stored (freshness.ts), keeps its body up to maxObjectSize and
// stores it at the end; a 304 to Sluice's own revalidation refreshes the stored entry (RFC 9111
// §4.3.4) and the clients get the stored response instead. X-Cache on every answer: HIT (fresh
// entry), MISS (none), REVALIDATED (stale entry confirmed by the origin's 304), EXPIRED (stale
// entry, the origin sent a new response).
import type { IncomingHttpHeaders } from 'node:http';
import type { CachePolicy } from '../../../table/types.js';
import type { UpstreamReceiver } from '../coalescing.js';
import { type RequestDirectives, responseDirectives } from './cache-control.js';
import { authorizedSharing, currentAgeMs, freshnessLifetimeMs, initialAgeMs, unstorable, usableFresh } from './freshness.js';
import { secondaryKey, varyNames } from './key.js';
import { CacheStore, type Entry, type StoredResponse } from './store.js';

export type XCache = 'HIT' | 'MISS' | 'REVALIDATED' | 'EXPIRED';

/** Headers a 304 must not change in the stored response (RFC 9111 §3.2), and those never stored. */
const KEEP_ON_REFRESH: ReadonlySet<string> = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'content-type']);
const NOT_STORED = ['connection', 'age', 'x-cache', 'keep-alive'] as const;

export type Lookup = { readonly fresh: Entry } | { readonly stale: Entry } | undefined;

export class RouteCache {
  readonly policy: CachePolicy;
  readonly store: CacheStore;

  constructor(policy: CachePolicy) {
    this.policy = policy;
    this.store = new CacheStore(policy.maxSizeBytes, policy.maxObjectSizeBytes);
  }

  /** The stored response for this request: fresh enough to answer, or stale (revalidate it), or none usable. */
  lookup(primary: string, headers: IncomingHttpHeaders, directives: RequestDirectives, now: number): Lookup {
    const entry = this.store.get(primary, secondaryKey(headers, this.store.varyOf(primary)));
    if (!entry) return undefined;
    // RFC 9111 §3.5: a request with Authorization only gets what the origin said any user may.
    if (headers.authorization !== undefined && !entry.response.authorizedSharing) return undefined;
    return usableFresh(entry.response, directives, now) ? { fresh: entry } : { stale: entry };
  }

  /** The headers a stored response goes out with (Age now, X-Cache). */
  served(r: StoredResponse, now: number, xcache: XCache): IncomingHttpHeaders {
    return { ...r.headers, age: String(Math.floor(currentAgeMs(r, now) / 1000)), 'x-cache': xcache };
  }

  /**
   * The receiver an upstream exchange for this request writes to: it stores what it may (`store`:
   * only GET, and not for requests that said no-store or gave up waiting) and hands the answer on.
   */
  fill(next: UpstreamReceiver, primary: string, leader: IncomingHttpHeaders, stale: Entry | undefined, store: boolean): UpstreamReceiver {
    return new CacheFill(this, next, primary, leader, stale, store);
  }

  /** What to store of a response that arrived at `responseTime`; undefined when it may not be. */
  storable(status: number, headers: IncomingHttpHeaders, leader: IncomingHttpHeaders, requestTime: number, responseTime: number, body: Buffer): StoredResponse | undefined {
    const d = responseDirectives(headers);
    const lifetimeMs = freshnessLifetimeMs(status, headers, d, this.policy.defaultTtlMs, responseTime);
    if (unstorable(status, headers, d, leader.authorization !== undefined, lifetimeMs)) return undefined;
    const kept: IncomingHttpHeaders = { ...headers };
    for (const name of NOT_STORED) delete kept[name];
    // What was received is what is stored (encoded or not): hits and HEADs say its length.
    if (status !== 204) kept['content-length'] = String(body.length);
    return { status, headers: kept, body, varyNames: varyNames(headers.vary), authorizedSharing: authorizedSharing(d), responseTime, initialAgeMs: initialAgeMs(headers, requestTime, responseTime), lifetimeMs };
  }

  /** The stored response updated by a 304 (RFC 9111 §4.3.4); undefined when the update makes it unstorable. */
  refreshed(old: StoredResponse, update: IncomingHttpHeaders, leader: IncomingHttpHeaders, requestTime: number, responseTime: number): { response: StoredResponse; keep: boolean } {
    const headers: IncomingHttpHeaders = { ...old.headers };
    for (const [name, value] of Object.entries(update)) if (value !== undefined && !KEEP_ON_REFRESH.has(name)) headers[name] = value;
    const next = this.storable(old.status, headers, leader, requestTime, responseTime, old.body);
    if (next) return { response: next, keep: true };
    const kept: IncomingHttpHeaders = { ...headers };
    for (const name of NOT_STORED) delete kept[name];
    return { response: { ...old, headers: kept, responseTime, initialAgeMs: 0, lifetimeMs: 0 }, keep: false };
  }
}

class CacheFill implements UpstreamReceiver {
  private readonly cache: RouteCache;
  private readonly next: UpstreamReceiver;
  private readonly primary: string;
  private readonly leader: IncomingHttpHeaders;
  private readonly stale: Entry | undefined;
  private readonly store: boolean;
  private readonly requestTime = Date.now();
  /** The 304 was answered from the refreshed entry: the rest of the upstream answer is dropped. */
  private replaced = false;
  private held: { status: number; headers: IncomingHttpHeaders; responseTime: number } | undefined;
  private body: Buffer[] | undefined;
  private bytes = 0;

  constructor(cache: RouteCache, next: UpstreamReceiver, primary: string, leader: IncomingHttpHeaders, stale: Entry | undefined, store: boolean) {
    this.cache = cache;
    this.next = next;
    this.primary = primary;
    this.leader = leader;
    this.stale = stale;
    this.store = store;
  }

  head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    const now = Date.now();
    if (status === 304 && this.stale) return this.revalidated(headers, now);
    if (this.store && status !== 304) {
      this.held = { status, headers: { ...headers }, responseTime: now };
      this.body = [];
    }
    headers['x-cache'] = this.stale ? 'EXPIRED' : 'MISS';
    this.next.head(status, message, headers);
  }

  data(chunk: Buffer): boolean {
    if (this.replaced) return true;
    if (this.body) {
      this.bytes += chunk.length;
      if (this.bytes <= this.cache.store.maxObjectBytes) this.body.push(chunk);
      else this.body = undefined;
    }
    return this.next.data(chunk);
  }

  whenDrained(resume: () => void): void {
    this.next.whenDrained(resume);
  }

  end(): void {
    if (this.replaced) return;
    const held = this.held;
    const body = this.body;
    if (held) {
      // Too large, or not storable: the stale entry it replaces goes too.
      const stored = body && this.cache.storable(held.status, held.headers, this.leader, this.requestTime, held.responseTime, body.length === 1 ? body[0]! : Buffer.concat(body, this.bytes));
      if (!stored || !this.cache.store.put(this.primary, secondaryKey(this.leader, stored.varyNames), stored)) {
        if (this.stale) this.cache.store.remove(this.stale);
      }
    }
    this.body = undefined;
    this.next.end();
  }

  answer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    if (!this.replaced) this.next.answer(status, body, headers);
  }

  cut(err?: Error): void {
    if (!this.replaced) this.next.cut(err);
  }

  leaderStatus(code: number): number {
    return this.next.leaderStatus(this.replaced ? this.stale!.response.status : code);
  }

  /** The origin confirmed the stale entry: refresh it and answer with it. */
  private revalidated(update: IncomingHttpHeaders, now: number): void {
    this.replaced = true;
    const stale = this.stale!;
    const { response, keep } = this.cache.refreshed(stale.response, update, this.leader, this.requestTime, now);
    if (keep) this.cache.store.put(stale.primary, stale.secondary, response);
    else this.cache.store.remove(stale);
    const headers = this.cache.served(response, now, 'REVALIDATED');
    if (update.connection !== undefined) headers.connection = update.connection;
    this.next.head(response.status, undefined, headers);
    if (response.body.length > 0) this.next.data(response.body);
    this.next.end();
  }
}
