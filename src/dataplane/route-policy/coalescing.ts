// Request coalescing (RoutePolicy spec.coalescing): identical concurrent GET/HEAD requests share
// one upstream request. The first becomes a flight's leader and its exchange sends upstream; the
// others join as waiters. The flight fans the answer out as it arrives (status, headers, each body
// chunk to every member; the upstream is paused while any member's socket is full, so memory per
// flight stays at one chunk per member). A member that leaves is dropped; the upstream is
// abandoned only when no member is left, so neither a waiter nor the leader leaving cancels it
// for the others. An error answer of the proxy (connect failure, timeout) reaches every member.
//
// Bounds: at most maxWaiters per flight (the next request goes upstream on its own); a waiter
// still without a status after `timeout` goes upstream on its own, uncached (what nginx's
// proxy_cache_lock_timeout does). Once the status is known a waiter no longer times out.
//
// Keys: method, the primary key (route, scheme, host, path, query) and the values of the request
// headers named by the Vary of the last response seen for that primary key (remembered per
// Coalescer, bounded). A request with Authorization or Cookie carries their values in its key, so
// it only ever shares with a request holding the same credentials. When the leader's response
// names other Vary headers than remembered, waiters whose values differ from the leader's are
// sent upstream on their own.
//
// Not shared (every waiter goes upstream on its own): a response that sets a cookie (it would hand
// one client's session to others), Cache-Control private or no-store, Vary: *. Late requests may
// join while the flight still holds the whole body so far (only with a cache, up to its
// maxObjectSize); otherwise a flight takes no new members once its status is known.
import type { IncomingHttpHeaders } from 'node:http';
import type { CoalescingPolicy } from '../../table/types.js';
import { responseDirectives } from './cache/cache-control.js';
import { varyStar } from './cache/freshness.js';
import type { CoalescedResult } from './counters.js';
import { headerValue, NO_NAMES, sameVary, secondaryKey, varyNames } from './cache/key.js';

/** What an upstream exchange writes its answer to (see shared-exchange.ts). */
export interface UpstreamReceiver {
  head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void;
  /** false: pause the upstream until the resume callback of `whenDrained` runs. */
  data(chunk: Buffer): boolean;
  whenDrained(resume: () => void): void;
  end(): void;
  /** An answer of the proxy itself (nothing was delivered). */
  answer(status: number, body: string, headers?: Readonly<Record<string, string>>): void;
  /** A delivery that cannot complete. */
  cut(err?: Error): void;
  /** The status the leader's request is counted with: what its client got. */
  leaderStatus(code: number): number;
}

/** One client served by a flight. */
export interface Subscriber {
  /** The client's request headers (Vary comparisons). */
  readonly headers: IncomingHttpHeaders;
  head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void;
  write(chunk: Buffer): boolean;
  /** Calls `drained` once the client's socket takes more. */
  whenDrained(drained: () => void): void;
  end(): void;
  answer(status: number, body: string, headers?: Readonly<Record<string, string>>): void;
  cut(err?: Error): void;
  /** The flight cannot serve this client: it goes upstream on its own (`store`: its answer may be cached). */
  retryAlone(store: boolean): void;
}


/** What a flight needs of its coalescer (none for a request that goes alone). */
export interface FlightRegistry {
  readonly maxWaiters: number;
  readonly timeoutMs: number;
  /** The flight takes no more members. */
  settle(flight: Flight): void;
  remember(primary: string, names: readonly string[]): void;
  count(result: CoalescedResult): void;
}

interface Member {
  readonly sub: Subscriber;
  /** performance.now() after which a waiter without a status goes alone. */
  readonly deadline: number;
  blocked: boolean;
}

/** The answer is for one client only (see the header comment). */
export function unshareable(headers: IncomingHttpHeaders): boolean {
  if (headers['set-cookie'] !== undefined || varyStar(headers.vary)) return true;
  if (headers['cache-control'] === undefined) return false;
  const d = responseDirectives(headers);
  return d.private || d.noStore;
}

export class Flight implements UpstreamReceiver {
  readonly key: string | undefined;
  private readonly primary: string;
  private readonly registry: FlightRegistry | undefined;
  private readonly leaderHeaders: IncomingHttpHeaders;
  private readonly members: Member[] = [];
  private leaderGone = false;
  private waiters = 0;
  private headSeen: { status: number; message: string | undefined; headers: IncomingHttpHeaders; vary: readonly string[] } | undefined;
  /** The body so far, for late joiners; undefined once too large (or when not kept). */
  private replay: Buffer[] | undefined;
  private replayBytes = 0;
  private readonly replayLimit: number;
  private ended = false;
  private blocked = 0;
  private resume: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Stops the upstream request (set by whoever starts it). */
  abandon: (() => void) | undefined;

  /** `registry` and `key`: a coalesced flight others may join; without them the leader goes alone. */
  constructor(leader: Subscriber, primary: string, registry?: FlightRegistry, key?: string, replayLimit = 0) {
    this.key = key;
    this.primary = primary;
    this.registry = registry;
    this.leaderHeaders = leader.headers;
    this.replayLimit = replayLimit;
    if (replayLimit > 0) this.replay = [];
    this.members.push({ sub: leader, deadline: Infinity, blocked: false });
  }

  /** Adds a waiter; false (counted) when it must go upstream on its own: the flight is full, or past sharing. */
  join(sub: Subscriber, now: number): boolean {
    const registry = this.registry;
    if (!registry || this.ended) return false;
    if (this.waiters >= registry.maxWaiters) {
      registry.count('overflow');
      return false;
    }
    const member: Member = { sub, deadline: now + registry.timeoutMs, blocked: false };
    const head = this.headSeen;
    if (head) {
      if (!this.replay || !sameVary(this.leaderHeaders, sub.headers, head.vary)) {
        registry.count('unshareable');
        return false;
      }
      this.members.push(member);
      this.waiters++;
      sub.head(head.status, head.message, head.headers);
      for (const chunk of this.replay) this.send(member, chunk);
      return true;
    }
    this.members.push(member);
    this.waiters++;
    if (!this.timer) this.arm(now);
    return true;
  }

  /** A member's client went away. */
  leave(sub: Subscriber): void {
    const i = this.members.findIndex((m) => m.sub === sub);
    if (i === -1) return;
    this.drop(i);
    if (this.members.length === 0 && !this.ended) {
      clearTimeout(this.timer);
      this.registry?.settle(this);
      this.abandon?.();
    }
  }

  head(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const vary = headers.vary === undefined ? NO_NAMES : varyNames(headers.vary);
    const registry = this.registry;
    if (registry) {
      registry.remember(this.primary, vary);
      const shared = !unshareable(headers);
      // Late requests join only while the whole body so far can be replayed to them.
      if (!shared || !this.replay) registry.settle(this);
      // Waiters the answer does not fit go upstream themselves (their answers may be stored).
      for (let i = this.members.length - 1; i >= 0; i--) {
        const m = this.members[i]!;
        if (this.isLeaderMember(i) || (shared && sameVary(this.leaderHeaders, m.sub.headers, vary))) continue;
        this.drop(i);
        registry.count('unshareable');
        m.sub.retryAlone(true);
      }
      // The leader left and the answer was its alone: nobody is left to give it to.
      if (this.members.length === 0) return this.abandon?.();
    }
    this.headSeen = { status, message, headers, vary };
    for (const m of this.members) m.sub.head(status, message, headers);
  }

  data(chunk: Buffer): boolean {
    if (this.replay) {
      this.replayBytes += chunk.length;
      if (this.replayBytes <= this.replayLimit) this.replay.push(chunk);
      else {
        this.replay = undefined;
        this.registry?.settle(this);
      }
    }
    for (const m of this.members) this.send(m, chunk);
    return this.blocked === 0;
  }

  whenDrained(resume: () => void): void {
    this.resume = resume;
  }

  end(): void {
    this.finish();
    for (const m of this.members) m.sub.end();
  }

  answer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    this.finish();
    for (const m of this.members) m.sub.answer(status, body, headers);
  }

  cut(err?: Error): void {
    this.finish();
    for (const m of this.members) m.sub.cut(err);
  }

  leaderStatus(code: number): number {
    return this.leaderGone ? 499 : code;
  }

  private finish(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.replay = undefined;
    const registry = this.registry;
    if (!registry) return;
    registry.settle(this);
    for (let i = 0; i < this.members.length; i++) if (!this.isLeaderMember(i)) registry.count('shared');
  }

  private isLeaderMember(i: number): boolean {
    return i === 0 && !this.leaderGone;
  }

  private send(m: Member, chunk: Buffer): void {
    if (m.sub.write(chunk) || m.blocked) return;
    m.blocked = true;
    this.blocked++;
    m.sub.whenDrained(() => this.unblock(m));
  }

  private unblock(m: Member): void {
    if (!m.blocked) return;
    m.blocked = false;
    if (--this.blocked === 0) this.resume?.();
  }

  private drop(i: number): void {
    const [m] = this.members.splice(i, 1);
    if (!m) return;
    if (i === 0 && !this.leaderGone) this.leaderGone = true;
    else this.waiters--;
    this.unblock(m);
  }

  /** Waiters past their deadline go alone, uncached; the timer re-arms for the next one. */
  private arm(now: number): void {
    const next = this.members.find((m, i) => !this.isLeaderMember(i) && m.deadline !== Infinity);
    if (!next) return;
    this.timer = setTimeout(() => this.expire(), Math.max(1, next.deadline - now));
    this.timer.unref?.();
  }

  private expire(): void {
    this.timer = undefined;
    if (this.headSeen || this.ended) return;
    const now = performance.now();
    for (let i = this.members.length - 1; i >= 0; i--) {
      const m = this.members[i]!;
      if (this.isLeaderMember(i) || m.deadline > now + 0.5) continue;
      this.drop(i);
      this.registry?.count('timeout');
      m.sub.retryAlone(false);
    }
    this.arm(now);
  }
}

/** Primary keys whose Vary names a coalescer remembers (oldest forgotten first). */
const VARY_MEMORY = 4096;

/** One route's flights in progress. */
export class Coalescer implements FlightRegistry {
  readonly maxWaiters: number;
  readonly timeoutMs: number;
  private readonly flights = new Map<string, Flight>();
  private readonly vary = new Map<string, readonly string[]>();
  private readonly counter: (result: CoalescedResult) => void;

  constructor(policy: CoalescingPolicy, counter: (result: CoalescedResult) => void) {
    this.maxWaiters = policy.maxWaiters;
    this.timeoutMs = policy.timeoutMs;
    this.counter = counter;
  }

  get inFlight(): number {
    return this.flights.size;
  }

  /** The flight key of a request (see the header comment). */
  key(method: string, primary: string, headers: IncomingHttpHeaders): string {
    let key = `${method}\0${primary}\0${secondaryKey(headers, this.vary.get(primary) ?? NO_NAMES)}`;
    const auth = headerValue(headers, 'authorization');
    const cookie = headerValue(headers, 'cookie');
    if (auth !== undefined || cookie !== undefined) key += `\0${auth ?? ''}\0${cookie ?? ''}`;
    return key;
  }

  find(key: string): Flight | undefined {
    return this.flights.get(key);
  }

  /** A new flight others with the same key may join. */
  open(key: string, flight: Flight): void {
    this.flights.set(key, flight);
  }

  settle(flight: Flight): void {
    if (flight.key !== undefined && this.flights.get(flight.key) === flight) this.flights.delete(flight.key);
  }

  remember(primary: string, names: readonly string[]): void {
    const known = this.vary.get(primary);
    if (known === names || (known && known.length === names.length && known.every((n, i) => n === names[i]))) return;
    if (names.length === 0) {
      this.vary.delete(primary);
      return;
    }
    if (!known && this.vary.size >= VARY_MEMORY) this.vary.delete(this.vary.keys().next().value!);
    this.vary.set(primary, names);
  }

  count(result: CoalescedResult): void {
    this.counter(result);
  }
}
