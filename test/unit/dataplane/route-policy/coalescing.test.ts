// Flights with fake subscribers: fan-out of status, headers and body, backpressure, members that
// leave (waiter or leader), the shared error answer, maxWaiters, the waiter timeout, and answers
// that are not shared (Set-Cookie, Vary mismatch).
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { Coalescer, Flight, type Subscriber } from '../../../../src/dataplane/route-policy/coalescing.js';

class FakeSub implements Subscriber {
  readonly headers: IncomingHttpHeaders;
  got: { status: number; headers: IncomingHttpHeaders } | undefined;
  body = '';
  ended = false;
  answered: { status: number; body: string } | undefined;
  cutWith: Error | undefined | 'cut';
  alone: boolean | undefined;
  full = false;
  private drained: (() => void) | undefined;

  constructor(headers: IncomingHttpHeaders = {}) {
    this.headers = headers;
  }
  head(status: number, _m: string | undefined, headers: IncomingHttpHeaders): void {
    this.got = { status, headers };
  }
  write(chunk: Buffer): boolean {
    this.body += chunk.toString();
    return !this.full;
  }
  whenDrained(drained: () => void): void {
    this.drained = drained;
  }
  drain(): void {
    this.full = false;
    this.drained?.();
  }
  end(): void {
    this.ended = true;
  }
  answer(status: number, body: string): void {
    this.answered = { status, body };
  }
  cut(err?: Error): void {
    this.cutWith = err ?? 'cut';
  }
  retryAlone(store: boolean): void {
    this.alone = store;
  }
}

function setup(maxWaiters = 10, timeoutMs = 1000) {
  const counts: Record<string, number> = {};
  const coalescer = new Coalescer({ maxWaiters, timeoutMs }, (r) => (counts[r] = (counts[r] ?? 0) + 1));
  const leader = new FakeSub();
  const key = coalescer.key('GET', 'p', leader.headers);
  const flight = new Flight(leader, 'p', coalescer, key);
  coalescer.open(key, flight);
  let abandoned = 0;
  flight.abandon = () => abandoned++;
  return { coalescer, leader, flight, key, counts, abandoned: () => abandoned };
}

describe('Flight', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fans the answer out to every member as it arrives and settles at the end', () => {
    const { coalescer, leader, flight, key, counts } = setup();
    const waiters = [new FakeSub(), new FakeSub()];
    for (const w of waiters) expect(coalescer.find(key)!.join(w, performance.now())).toBe(true);
    flight.head(200, undefined, { 'content-type': 'text/plain' });
    expect(flight.data(Buffer.from('a'))).toBe(true);
    expect(flight.data(Buffer.from('b'))).toBe(true);
    flight.end();
    for (const s of [leader, ...waiters]) expect(s).toMatchObject({ got: { status: 200 }, body: 'ab', ended: true });
    expect(counts).toEqual({ shared: 2 });
    expect(coalescer.find(key)).toBeUndefined();
    expect(flight.leaderStatus(200)).toBe(200);
  });

  it('pauses the upstream while any member is full and resumes when all drained', () => {
    const { flight, leader } = setup();
    const w = new FakeSub();
    flight.join(w, performance.now());
    let resumed = 0;
    flight.whenDrained(() => resumed++);
    flight.head(200, undefined, {});
    w.full = true;
    leader.full = true;
    expect(flight.data(Buffer.from('x'))).toBe(false);
    w.drain();
    expect(resumed).toBe(0);
    leader.drain();
    expect(resumed).toBe(1);
  });

  it('goes on for the others when a waiter or the leader leaves, and abandons the upstream when nobody is left', () => {
    const { flight, leader, abandoned } = setup();
    const a = new FakeSub();
    const b = new FakeSub();
    flight.join(a, performance.now());
    flight.join(b, performance.now());
    flight.leave(a);
    flight.leave(leader);
    expect(abandoned()).toBe(0);
    flight.head(200, undefined, {});
    flight.data(Buffer.from('z'));
    flight.end();
    expect(b).toMatchObject({ body: 'z', ended: true });
    expect(a.got).toBeUndefined();
    expect(flight.leaderStatus(200)).toBe(499);

    const other = setup();
    const w = new FakeSub();
    other.flight.join(w, performance.now());
    other.flight.leave(other.leader);
    other.flight.leave(w);
    expect(other.abandoned()).toBe(1);
    expect(other.coalescer.find(other.key)).toBeUndefined();
  });

  it('gives every member the same error answer', () => {
    const { flight, leader } = setup();
    const w = new FakeSub();
    flight.join(w, performance.now());
    flight.answer(502, 'upstream connect error');
    expect(leader.answered).toEqual({ status: 502, body: 'upstream connect error' });
    expect(w.answered).toEqual({ status: 502, body: 'upstream connect error' });
  });

  it('takes at most maxWaiters; the next goes alone', () => {
    const { flight, counts } = setup(2);
    expect(flight.join(new FakeSub(), performance.now())).toBe(true);
    expect(flight.join(new FakeSub(), performance.now())).toBe(true);
    expect(flight.join(new FakeSub(), performance.now())).toBe(false);
    expect(counts).toEqual({ overflow: 1 });
  });

  it('sends a waiter upstream alone, uncached, once it waited longer than the timeout', () => {
    const { flight, counts, leader } = setup(10, 1000);
    const early = new FakeSub();
    flight.join(early, performance.now());
    jest.advanceTimersByTime(600);
    const late = new FakeSub();
    flight.join(late, performance.now());
    jest.advanceTimersByTime(401);
    expect(early.alone).toBe(false);
    expect(late.alone).toBeUndefined();
    jest.advanceTimersByTime(600);
    expect(late.alone).toBe(false);
    expect(counts).toEqual({ timeout: 2 });
    flight.head(200, undefined, {});
    flight.end();
    expect(leader.ended).toBe(true);
    expect(early.got).toBeUndefined();
  });

  it('does not share an answer that sets a cookie, nor one that varies on a header a waiter differs in', () => {
    const { flight, leader, counts } = setup();
    const w = new FakeSub();
    flight.join(w, performance.now());
    flight.head(200, undefined, { 'set-cookie': ['s=1'] });
    expect(w.alone).toBe(true);
    expect(w.got).toBeUndefined();
    expect(leader.got?.status).toBe(200);
    expect(counts).toEqual({ unshareable: 1 });
    // The leader gone, an answer only it could have: nobody gets it, the upstream is abandoned.
    const gone = setup();
    const w2 = new FakeSub();
    gone.flight.join(w2, performance.now());
    gone.flight.leave(gone.leader);
    gone.flight.head(200, undefined, { 'set-cookie': ['s=1'] });
    expect(w2.alone).toBe(true);
    expect(w2.got).toBeUndefined();
    expect(gone.abandoned()).toBe(1);

    const c = new Coalescer({ maxWaiters: 10, timeoutMs: 1000 }, () => {});
    const de = new FakeSub({ 'accept-language': 'de' });
    const f = new Flight(de, 'q', c, c.key('GET', 'q', de.headers));
    const fr = new FakeSub({ 'accept-language': 'fr' });
    const de2 = new FakeSub({ 'accept-language': 'de' });
    f.join(fr, 0);
    f.join(de2, 0);
    f.head(200, undefined, { vary: 'Accept-Language' });
    expect(fr.alone).toBe(true);
    expect(de2.got?.status).toBe(200);
    // The Vary is remembered: the next requests' keys differ by language.
    expect(c.key('GET', 'q', { 'accept-language': 'de' })).not.toBe(c.key('GET', 'q', { 'accept-language': 'fr' }));
  });

  it('keys requests with credentials by their values', () => {
    const c = new Coalescer({ maxWaiters: 10, timeoutMs: 1000 }, () => {});
    expect(c.key('GET', 'p', { authorization: 'a' })).not.toBe(c.key('GET', 'p', { authorization: 'b' }));
    expect(c.key('GET', 'p', { cookie: 'a' })).not.toBe(c.key('GET', 'p', {}));
    expect(c.key('GET', 'p', {})).not.toBe(c.key('HEAD', 'p', {}));
  });

  it('lets a late request join while the body so far can be replayed', () => {
    const c = new Coalescer({ maxWaiters: 10, timeoutMs: 1000 }, () => {});
    const leader = new FakeSub();
    const flight = new Flight(leader, 'p', c, 'k', 4);
    c.open('k', flight);
    flight.head(200, undefined, {});
    flight.data(Buffer.from('ab'));
    const late = new FakeSub();
    expect(c.find('k')!.join(late, 0)).toBe(true);
    expect(late.body).toBe('ab');
    flight.data(Buffer.from('cde'));
    expect(c.find('k')).toBeUndefined();
    flight.end();
    expect(late).toMatchObject({ body: 'abcde', ended: true });
  });
});
