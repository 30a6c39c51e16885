// The exchange under a traffic policy: status-based retries, the circuit breaker's answers and
// queue, the retry budget, and session persistence — over scripted endpoints.
import { describe, expect, it } from '@jest/globals';
import type { RetryPolicy } from '../../../../src/table/types.js';
import { answers, exchangeSetup as setup, fails, metric, type Script, type ScriptedPolicy } from '../../support/scripted-endpoints.js';

const retry = (p: Partial<RetryPolicy>): RetryPolicy => ({ numRetries: 2, retryOn: ['connect-failure', 'reset', 'gateway-error'], retriableStatusCodes: [], backoff: { baseMs: 0, maxMs: 0 }, ...p });
const withRetry = (p: Partial<RetryPolicy>): ScriptedPolicy => ({ cluster: { retry: retry(p) } });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/** An endpoint that answers only when told to (the attempt stays in flight). */
function held(): { script: Script; release: () => void } {
  let go: (() => void) | undefined;
  return { script: (h, ctl) => (go = () => answers(200, 'late')(h, ctl)), release: () => go?.() };
}

describe('exchange retries under a policy', () => {
  it('retries a 503 on another endpoint and delivers only the retry', async () => {
    const { exchange, res, attempts, controllers, metrics } = setup({ '10.0.0.1:80': answers(503, 'sick'), '10.0.0.2:80': answers(200, 'ok') }, 'GET', {}, undefined, withRetry({}));
    exchange.start();
    await tick();
    expect(attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(controllers[0]!.aborted).toBeDefined();
    expect(res.head?.status).toBe(200);
    expect(res.body).toBe('ok');
    expect(await metric(metrics, 'sluice_retries_total')).toBe(1);
  });

  it('delivers the last answer when every attempt is spent', async () => {
    const sick = answers(503, 'sick');
    const { exchange, res, attempts } = setup({ '10.0.0.1:80': sick, '10.0.0.2:80': sick, '10.0.0.3:80': sick }, 'GET', {}, undefined, withRetry({ numRetries: 1 }));
    exchange.start();
    await tick();
    expect(attempts).toHaveLength(2);
    expect(res.head?.status).toBe(503);
    expect(res.body).toBe('sick');
  });

  it('never retries a POST on its status, nor statuses retryOn does not name', async () => {
    const post = setup({ '10.0.0.1:80': answers(503, 'sick'), '10.0.0.2:80': answers(200, 'ok') }, 'POST', { 'content-length': '2' }, undefined, withRetry({}));
    post.exchange.start();
    await tick();
    expect(post.attempts).toEqual(['10.0.0.1:80']);
    expect(post.res.head?.status).toBe(503);
    const plain500 = setup({ '10.0.0.1:80': answers(500, 'bug'), '10.0.0.2:80': answers(200, 'ok') }, 'GET', {}, undefined, withRetry({}));
    plain500.exchange.start();
    await tick();
    expect(plain500.attempts).toEqual(['10.0.0.1:80']);
    expect(plain500.res.head?.status).toBe(500);
  });

  it('waits the backoff before a retry', async () => {
    const { exchange, attempts, res } = setup({ '10.0.0.1:80': answers(502, 'x'), '10.0.0.2:80': answers(200, 'ok') }, 'GET', {}, undefined, withRetry({ backoff: { baseMs: 40, maxMs: 40 } }));
    const realRandom = Math.random;
    Math.random = () => 0.99;
    try {
      exchange.start();
      await tick(10);
      expect(attempts).toHaveLength(1);
      await tick(60);
      expect(attempts).toHaveLength(2);
      expect(res.head?.status).toBe(200);
    } finally {
      Math.random = realRandom;
    }
  });

  it("prefers the route's own retry policy over the cluster's", async () => {
    const { exchange, attempts, res } = setup({ '10.0.0.1:80': answers(503, 'x'), '10.0.0.2:80': answers(200, 'ok') }, 'GET', {}, undefined, { ...withRetry({}), routeRetry: retry({ numRetries: 0 }) });
    exchange.start();
    await tick();
    expect(attempts).toEqual(['10.0.0.1:80']);
    expect(res.head?.status).toBe(503);
  });

  it('spends no retry past the budget, and counts it', async () => {
    const policy: ScriptedPolicy = { cluster: { retry: retry({ budget: { percent: 0, minRetryConcurrency: 0 } }) } };
    const { exchange, attempts, res, metrics } = setup({ '10.0.0.1:80': answers(503, 'x'), '10.0.0.2:80': answers(200, 'ok') }, 'GET', {}, undefined, policy);
    exchange.start();
    await tick();
    expect(attempts).toEqual(['10.0.0.1:80']);
    expect(res.head?.status).toBe(503);
    expect(await metric(metrics, 'sluice_retry_budget_exhausted_total')).toBe(1);
  });
});

describe('exchange circuit breaker', () => {
  const limits = { maxConnections: 1, maxPendingRequests: 1, maxParallelRequests: 10, maxParallelRetries: 3 };

  it('answers 503 with x-sluice-overflow past maxParallelRequests, and counts it', async () => {
    const slow = held();
    const policy: ScriptedPolicy = { cluster: { circuitBreaker: { ...limits, maxConnections: 10, maxParallelRequests: 1 } } };
    const first = setup({ '10.0.0.1:80': slow.script }, 'GET', {}, undefined, policy);
    first.exchange.start();
    // A second request on the same runtime (same cluster load).
    const second = first.another();
    second.exchange.start();
    expect(second.res.head).toEqual({ status: 503, headers: expect.objectContaining({ 'x-sluice-overflow': 'maxParallelRequests' }) });
    expect(await metric(first.metrics, 'sluice_circuit_breaker_overflow_total')).toBe(1);
    slow.release();
    expect(first.res.head?.status).toBe(200);
    const third = first.another();
    third.exchange.start();
    expect(third.attempts.length).toBeGreaterThan(1);
  });

  it('queues past maxConnections and sends when a slot frees; overflows past maxPendingRequests', () => {
    const slow = held();
    const first = setup({ '10.0.0.1:80': slow.script, '10.0.0.2:80': answers(200, 'two'), '10.0.0.3:80': answers(200, 'three') }, 'GET', {}, undefined, { cluster: { circuitBreaker: limits } });
    first.exchange.start();
    const queued = first.another();
    queued.exchange.start();
    expect(first.attempts).toEqual(['10.0.0.1:80']); // waiting, not sent
    const overflowing = first.another();
    overflowing.exchange.start();
    expect(overflowing.res.head?.headers['x-sluice-overflow']).toBe('maxPendingRequests');
    slow.release();
    expect(first.attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(queued.res.body).toBe('two');
  });
});

describe('exchange session persistence', () => {
  const session: ScriptedPolicy = { cluster: { sessionPersistence: { type: 'Cookie', name: 'sid', lifetime: 'Session' } } };
  const all = { '10.0.0.1:80': answers(200, 'one'), '10.0.0.2:80': answers(200, 'two'), '10.0.0.3:80': answers(200, 'three') };

  it('pins a client by the cookie it was given, and re-pins it when its endpoint is ejected', () => {
    const first = setup(all, 'GET', {}, undefined, session);
    first.exchange.start();
    const setCookie = first.res.head?.headers['set-cookie'] as string[];
    expect(setCookie).toHaveLength(1);
    const cookie = setCookie[0]!.split(';')[0]!;
    expect(cookie).toMatch(/^sid=[0-9a-f]{16}\.[0-9a-z]+$/);
    for (let i = 0; i < 5; i++) {
      const again = first.another({ cookie });
      again.exchange.start();
      expect(again.res.body).toBe('one');
      expect(again.res.head?.headers['set-cookie']).toBeUndefined();
    }
    first.health.unreachable('10.0.0.1:80');
    const moved = first.another({ cookie });
    moved.exchange.start();
    expect(moved.res.body).not.toBe('one');
    expect(moved.res.head?.headers['set-cookie']).toHaveLength(1);
  });

  it('re-pins a client whose endpoint refused the connection to the endpoint that answered', () => {
    const first = setup(all, 'GET', {}, undefined, session);
    first.exchange.start();
    const cookie = (first.res.head?.headers['set-cookie'] as string[])[0]!.split(';')[0]!;
    expect(first.res.body).toBe('one');
    const refusing = setup({ ...all, '10.0.0.1:80': fails('ECONNREFUSED') }, 'GET', { cookie }, undefined, session);
    refusing.exchange.start();
    expect(refusing.attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    const renewed = (refusing.res.head?.headers['set-cookie'] as string[])[0]!.split(';')[0]!;
    expect(renewed).not.toBe(cookie);
    const back = refusing.another({ cookie: renewed });
    back.exchange.start();
    expect(back.res.body).toBe('two');
  });

  it("a route's own session persistence wins, here by header", () => {
    const first = setup(all, 'GET', {}, undefined, { ...session, routeSession: { type: 'Header', name: 'x-pin', lifetime: 'Session' } });
    first.exchange.start();
    const pin = first.res.head?.headers['x-pin'] as string;
    expect(pin).toMatch(/^[0-9a-f]{16}\./);
    expect(first.res.head?.headers['set-cookie']).toBeUndefined();
    const again = first.another({ 'x-pin': pin });
    again.exchange.start();
    expect(again.res.body).toBe(first.res.body);
  });
});
