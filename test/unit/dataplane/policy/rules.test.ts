// Retry rules, the circuit breaker's counts and queue, cookies and sticky sessions: the pieces
// of traffic policy that decide without sockets.
import { describe, expect, it } from '@jest/globals';
import { ClusterLoad, type SlotWaiter } from '../../../../src/dataplane/policy/circuit-breaker.js';
import { findCookie, setCookie } from '../../../../src/dataplane/policy/cookies.js';
import { RetryRules, isIdempotent } from '../../../../src/dataplane/policy/retry.js';
import { sessionToken, StickySessions } from '../../../../src/dataplane/policy/session.js';
import type { RetryPolicy } from '../../../../src/table/types.js';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({ numRetries: 2, retryOn: [], retriableStatusCodes: [], backoff: { baseMs: 0, maxMs: 0 }, ...p });

describe('RetryRules', () => {
  it('maps statuses to the first retryOn that covers them', () => {
    const gateway = new RetryRules(policy({ retryOn: ['gateway-error'] }));
    expect([500, 502, 503, 504, 404, 200].map((s) => gateway.reasonForStatus(s))).toEqual([undefined, 'gateway-error', 'gateway-error', 'gateway-error', undefined, undefined]);
    const any5xx = new RetryRules(policy({ retryOn: ['5xx'] }));
    expect([500, 503, 599, 499].map((s) => any5xx.reasonForStatus(s))).toEqual(['5xx', '5xx', '5xx', undefined]);
    const codes = new RetryRules(policy({ retryOn: ['retriable-status-codes'], retriableStatusCodes: [409, 503] }));
    expect([409, 503, 502].map((s) => codes.reasonForStatus(s))).toEqual(['retriable-status-codes', 'retriable-status-codes', undefined]);
    // Codes listed without retriable-status-codes in retryOn do nothing.
    expect(new RetryRules(policy({ retriableStatusCodes: [409] })).reasonForStatus(409)).toBeUndefined();
  });

  it('maps failures: connect failures, resets, and per-try timeouts (as 5xx / gateway errors)', () => {
    const rules = new RetryRules(policy({ retryOn: ['connect-failure', 'reset'] }));
    expect([rules.reasonForFailure('connect-failure'), rules.reasonForFailure('reset'), rules.reasonForFailure('timeout')]).toEqual(['connect-failure', 'reset', undefined]);
    const gateway = new RetryRules(policy({ retryOn: ['gateway-error'] }));
    expect([gateway.reasonForFailure('connect-failure'), gateway.reasonForFailure('reset'), gateway.reasonForFailure('timeout')]).toEqual([undefined, 'gateway-error', 'gateway-error']);
    expect(new RetryRules(policy({ numRetries: 4 })).maxAttempts).toBe(5);
  });

  it('backs off with full jitter, doubling up to the cap', () => {
    const rules = new RetryRules(policy({ backoff: { baseMs: 25, maxMs: 250 } }));
    expect([1, 2, 3, 4, 5, 9].map((n) => rules.backoffMs(n, () => 0.999999))).toEqual([24, 49, 99, 199, 249, 249]);
    expect(rules.backoffMs(3, () => 0)).toBe(0);
    expect(new RetryRules(policy({})).backoffMs(1, () => 0.5)).toBe(0);
  });

  it('treats the RFC 9110 idempotent methods as repeatable', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'PATCH', undefined].map(isIdempotent)).toEqual([true, true, true, true, true, false, false, false]);
  });
});

class Waiter implements SlotWaiter {
  freed = 0;
  slotFree(): void {
    this.freed++;
  }
}

describe('ClusterLoad', () => {
  const limits = { maxConnections: 2, maxPendingRequests: 1, maxParallelRequests: 3, maxParallelRetries: 1 };

  it('gives L4 connections a slot of maxConnections, refusing at the limit and behind waiting requests', () => {
    const load = new ClusterLoad();
    load.configure({ ...limits, maxConnections: 2 });
    expect([load.acquireConnection(), load.acquireConnection(), load.acquireConnection()]).toEqual([true, true, false]);
    const w = new Waiter();
    expect(load.acquireSlot(w)).toBe(false); // an HTTP attempt waits for a slot
    load.releaseSlot(); // an L4 connection closed: its slot goes to the waiting request
    expect(w.freed).toBe(1);
    expect(load.acquireConnection()).toBe(false);
    load.releaseSlot();
    expect(load.acquireConnection()).toBe(true);
    const unlimited = new ClusterLoad();
    for (let i = 0; i < 5000; i++) expect(unlimited.acquireConnection()).toBe(true);
  });

  it('admits up to maxParallelRequests and names the limit past it', () => {
    const load = new ClusterLoad();
    load.configure(limits);
    expect([load.admit(), load.admit(), load.admit(), load.admit()]).toEqual([undefined, undefined, undefined, 'maxParallelRequests']);
    load.release();
    expect(load.admit()).toBeUndefined();
  });

  it('queues past maxConnections in FIFO order, bounded by maxPendingRequests', () => {
    const load = new ClusterLoad();
    load.configure({ ...limits, maxPendingRequests: 2 });
    const [a, b, c, d] = [new Waiter(), new Waiter(), new Waiter(), new Waiter()];
    expect([load.acquireSlot(a), load.acquireSlot(a), load.acquireSlot(b), load.acquireSlot(c), load.acquireSlot(d)]).toEqual([true, true, false, false, 'overflow']);
    expect(load.pending).toBe(2);
    load.releaseSlot();
    expect([b.freed, c.freed]).toEqual([1, 0]);
    load.cancelWait(c);
    load.releaseSlot();
    expect(c.freed).toBe(0);
    expect(load.attempts).toBe(1);
  });

  it('a raised maxConnections lets waiting requests go; no limits admits everything', () => {
    const load = new ClusterLoad();
    load.configure({ ...limits, maxConnections: 1 });
    const w = new Waiter();
    expect([load.acquireSlot(w), load.acquireSlot(w)]).toEqual([true, false]);
    load.configure(undefined);
    expect(w.freed).toBe(1);
    expect(load.acquireSlot(w)).toBe(true);
  });

  it('bounds retries by maxParallelRetries and by the budget', () => {
    const load = new ClusterLoad();
    load.configure(limits);
    const retry = policy({ budget: { percent: 20, minRetryConcurrency: 3 } });
    expect(load.mayRetry(retry)).toBeUndefined();
    load.activeRetries = 1;
    expect(load.mayRetry(retry)).toBe('maxParallelRetries');
    load.configure({ ...limits, maxParallelRetries: 100 });
    load.activeRequests = 10; // 20 % of 10 = 2 < minRetryConcurrency 3
    load.activeRetries = 3;
    expect(load.mayRetry(retry)).toBe('budget');
    load.activeRequests = 20; // 20 % of 20 = 4
    expect(load.mayRetry(retry)).toBeUndefined();
  });
});

describe('cookies', () => {
  it('finds one cookie among many, across headers, quoted or not', () => {
    expect(findCookie('a=1; srv=abc; b=2', 'srv')).toBe('abc');
    expect(findCookie('srv2=x; srv=y', 'srv')).toBe('y');
    expect(findCookie('xsrv=x', 'srv')).toBeUndefined();
    expect(findCookie(['a=1', 'srv="q"'], 'srv')).toBe('q');
    expect(findCookie('srv=', 'srv')).toBe('');
    expect(findCookie(undefined, 'srv')).toBeUndefined();
    expect(findCookie('garbage;;;', 'srv')).toBeUndefined();
  });

  it('writes Set-Cookie with path, Max-Age and Secure when asked', () => {
    expect(setCookie('s', 'v', { secure: false })).toBe('s=v; Path=/; HttpOnly; SameSite=Lax');
    expect(setCookie('s', 'v', { secure: true, maxAge: 60, path: '/api' })).toBe('s=v; Path=/api; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
  });
});

describe('StickySessions', () => {
  const token = sessionToken('10.0.0.1:80');
  it('names an endpoint by a stable digest, not its address', () => {
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(token).toBe(sessionToken('10.0.0.1:80'));
    expect(token).not.toBe(sessionToken('10.0.0.2:80'));
  });

  it('issues a cookie once, reads it back, and expires it after the absolute timeout', () => {
    let now = 1000;
    const s = new StickySessions({ type: 'Cookie', name: 'sid', lifetime: 'Permanent', absoluteTimeoutMs: 3600_000 }, () => now);
    const issued = s.issue(token, undefined, true)!;
    expect(issued.name).toBe('set-cookie');
    expect(issued.value).toBe(`sid=${token}.${(1000).toString(36)}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`);
    const cookie = issued.value.split(';')[0]!;
    const session = s.read({ cookie });
    expect(session).toEqual({ token, issued: 1000 });
    expect(s.issue(token, session, true)).toBeUndefined(); // nothing to refresh
    now = 1000 + 3599;
    expect(s.read({ cookie })).toBeDefined();
    now = 1000 + 3600;
    expect(s.read({ cookie })).toBeUndefined();
  });

  it('refreshes the last use with an idle timeout, and drops an idle session', () => {
    let now = 500;
    const s = new StickySessions({ type: 'Header', name: 'x-session', lifetime: 'Session', idleTimeoutMs: 60_000 }, () => now);
    const first = s.issue(token, undefined, false)!;
    expect(first.name).toBe('x-session');
    now = 550;
    const session = s.read({ 'x-session': first.value })!;
    expect(session.issued).toBe(500);
    const refreshed = s.issue(token, session, false)!;
    now = 600; // 50 s after the refresh, 100 s after the issue
    expect(s.read({ 'x-session': refreshed.value })).toBeDefined();
    expect(s.read({ 'x-session': first.value })).toBeUndefined();
  });

  it('ignores malformed values', () => {
    const s = new StickySessions({ type: 'Cookie', name: 'sid', lifetime: 'Session' });
    for (const cookie of ['sid=', 'sid=short.1', `sid=${token}`, `sid=${token}.!!`, 'other=1']) expect(s.read({ cookie })).toBeUndefined();
  });
});
