// The exchange without sockets: endpoints are scripted undici dispatchers, the client response is
// a recording fake. Each case is one way an attempt can go.
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpExchange } from '../../../src/dataplane/exchange.js';
import type { RouteTimeouts } from '../../../src/table/types.js';
import { answers, c, cluster, exchangeSetup as setup, type FakeController, FakeResponse, fails, type Handler, metric, resetsAfterHeaders, route, scriptedPlan } from '../support/scripted-endpoints.js';

describe('HttpExchange', () => {
  it('retries a safe request whose attempt reset after its headers, and delivers only the retry', () => {
    const { exchange, res, attempts } = setup({ '10.0.0.1:80': resetsAfterHeaders, '10.0.0.2:80': answers(201, 'fine', { 'x-from': 'two' }) });
    exchange.start();
    expect(attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(res.head).toEqual({ status: 201, headers: { 'x-from': 'two' } });
    expect(res.body).toBe('fine');
    expect(res.ended).toBe(true);
  });

  it('ejects an endpoint that refused the connection and goes on to the next', async () => {
    const { exchange, res, attempts, health, metrics } = setup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': answers(200, 'ok') });
    exchange.start();
    expect(attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(health.isEjected('10.0.0.1:80')).toBe(true);
    expect(res.head?.status).toBe(200);
    expect(await metric(metrics, 'sluice_upstream_retries_total')).toBe(1);
  });

  it('gives up after three attempts with 502, and answers 504 for a timeout', () => {
    const refused = setup({ '10.0.0.1:80': fails('ECONNREFUSED'), '10.0.0.2:80': fails('ECONNREFUSED'), '10.0.0.3:80': fails('ECONNREFUSED') });
    refused.exchange.start();
    expect(refused.attempts).toHaveLength(3);
    expect(refused.res.head?.status).toBe(502);
    expect(refused.res.body).toBe('upstream connect error\n');
    const slow = setup({ '10.0.0.1:80': fails('UND_ERR_HEADERS_TIMEOUT') });
    slow.exchange.start();
    expect(slow.attempts).toHaveLength(1);
    expect(slow.res.head?.status).toBe(504);
  });

  it('never retries a method that is not idempotent after a reset', () => {
    const post = setup({ '10.0.0.1:80': fails('ECONNRESET'), '10.0.0.2:80': answers(200, 'ok') }, 'POST', { 'content-length': '3' });
    post.exchange.start();
    expect(post.attempts).toEqual(['10.0.0.1:80']);
    expect(post.res.head?.status).toBe(502);
    const patch = setup({ '10.0.0.1:80': resetsAfterHeaders, '10.0.0.2:80': answers(200, 'ok') }, 'PATCH');
    patch.exchange.start();
    expect(patch.attempts).toEqual(['10.0.0.1:80']);
    expect(patch.res.head?.status).toBe(502);
    expect(patch.res.head?.headers['x-fault']).toBeUndefined();
  });

  it('retries idempotent methods (PUT, DELETE) after a reset, on another endpoint', () => {
    for (const method of ['PUT', 'DELETE']) {
      const { exchange, attempts, res } = setup({ '10.0.0.1:80': resetsAfterHeaders, '10.0.0.2:80': answers(200, 'ok') }, method);
      exchange.start();
      expect(attempts).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
      expect(res.head?.status).toBe(200);
      expect(res.head?.headers['x-fault']).toBeUndefined();
    }
  });

  it("delivers an event stream's head at once, before any event", () => {
    const { exchange, res } = setup({ '10.0.0.1:80': (h, ctl) => h.onResponseStart?.(c(ctl), 200, { 'content-type': 'text/event-stream' }, 'OK') });
    exchange.start();
    expect(res.head).toEqual({ status: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(res.ended).toBe(false);
  });

  it('holds any other head until its first body byte', () => {
    const { exchange, res } = setup({ '10.0.0.1:80': (h, ctl) => h.onResponseStart?.(c(ctl), 200, { 'content-type': 'application/json' }, 'OK') });
    exchange.start();
    expect(res.head).toBeUndefined();
  });

  it('cuts a response that fails after its first body byte instead of retrying', () => {
    const { exchange, res, attempts } = setup({
      '10.0.0.1:80': (h, ctl) => {
        h.onResponseStart?.(c(ctl), 200, { 'content-length': '10' }, 'OK');
        h.onResponseData?.(c(ctl), Buffer.from('half'));
        h.onResponseError?.(c(ctl), Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
      },
    });
    exchange.start();
    expect(attempts).toHaveLength(1);
    expect(res.body).toBe('half');
    expect(res.destroyed).toBe(true);
  });

  it('counts attempts in flight per endpoint while they run', () => {
    let during = -1;
    const { exchange, runtime } = setup({
      '10.0.0.1:80': (h, ctl) => {
        during = runtime.targets[0]!.inflight;
        answers(200, 'ok')(h, ctl);
      },
    });
    exchange.start();
    expect(during).toBe(1);
    expect(runtime.targets.map((t) => t.inflight)).toEqual([0, 0, 0]);
  });

  it('pauses the endpoint while the client is full and resumes it on every drain', () => {
    let handler: Handler | undefined;
    let controller: FakeController | undefined;
    const { exchange, res } = setup({
      '10.0.0.1:80': (h, ctl) => {
        handler = h;
        controller = ctl;
        h.onResponseStart?.(c(ctl), 200, { 'content-length': '12' }, 'OK');
        h.onResponseData?.(c(ctl), Buffer.from('one'));
      },
    });
    exchange.start();
    // No backpressure yet: nothing listens for drain.
    expect(controller!.paused).toBe(false);
    expect(res.listenerCount('drain')).toBe(0);
    for (const piece of ['two', 'six']) {
      res.full = true;
      handler!.onResponseData?.(c(controller!), Buffer.from(piece));
      expect(controller!.paused).toBe(true);
      res.full = false;
      res.emit('drain');
      expect(controller!.paused).toBe(false);
    }
    expect(res.listenerCount('drain')).toBe(1);
    // The piece that completes the body waits for the end: nothing is paused for it.
    res.full = true;
    handler!.onResponseData?.(c(controller!), Buffer.from('end'));
    expect(controller!.paused).toBe(false);
    handler!.onResponseEnd?.(c(controller!), {});
    expect(res.body).toBe('onetwosixend');
    expect(res.ended).toBe(true);
  });

  it('writes the piece that completes a Content-Length body with the end, in one end(piece)', () => {
    const { exchange, res } = setup({
      '10.0.0.1:80': (h, ctl) => {
        h.onResponseStart?.(c(ctl), 200, { 'content-length': '9' }, 'OK');
        for (const piece of ['one', 'two', 'six']) h.onResponseData?.(c(ctl), Buffer.from(piece));
        h.onResponseEnd?.(c(ctl), {});
      },
    });
    exchange.start();
    expect(res.writes).toEqual(['one', 'two']);
    expect(res.endedWith).toBe('six');
    expect(res.body).toBe('onetwosix');
  });

  it('still adds trailers that come after the last piece (h2), before that piece goes out with the end', () => {
    let late: (() => void) | undefined;
    const { exchange, res } = setup({
      '10.0.0.1:80': (h, ctl) => {
        h.onResponseStart?.(c(ctl), 200, { 'content-length': '2' }, 'OK');
        h.onResponseData?.(c(ctl), Buffer.from('ok'));
        late = () => h.onResponseEnd?.(c(ctl), { 'grpc-status': '0' });
      },
    });
    exchange.start();
    expect(res.ended).toBe(false);
    expect(res.body).toBe('');
    late!();
    expect(res.trailers).toEqual({ 'grpc-status': '0' });
    expect(res.endedWith).toBe('ok');
  });

  it('writes every piece of a body without a length and ends it empty', () => {
    const { exchange, res } = setup({
      '10.0.0.1:80': (h, ctl) => {
        h.onResponseStart?.(c(ctl), 200, {}, 'OK');
        for (const piece of ['one', 'two']) h.onResponseData?.(c(ctl), Buffer.from(piece));
        h.onResponseEnd?.(c(ctl), {});
      },
    });
    exchange.start();
    expect(res.writes).toEqual(['one', 'two']);
    expect(res.endedWith).toBeUndefined();
    expect(res.ended).toBe(true);
  });

  it('aborts the upstream attempt when the client leaves, and counts 499', async () => {
    const { exchange, res, controllers, metrics, runtime } = setup({ '10.0.0.1:80': () => undefined });
    exchange.start();
    res.emit('close');
    expect(controllers[0]!.aborted).toBeDefined();
    expect(runtime.targets[0]!.inflight).toBe(0);
    const counted = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_requests_total')!.values;
    expect(counted).toEqual([expect.objectContaining({ labels: { route: 'route', backend: cluster.id, code: '499' }, value: 1 })]);
  });

  it("gives each attempt the route's backendRequest timeout, none for 0s, else --upstream-response-timeout", () => {
    const cases: [RouteTimeouts | undefined, number][] = [[{ backendRequestMs: 250 }, 250], [{ backendRequestMs: 0 }, 0], [undefined, 1000]];
    for (const [timeouts, want] of cases) {
      const fixture = scriptedPlan({ '10.0.0.1:80': answers(200, 'ok') });
      const plan = { ...fixture.plan, rt: { ...fixture.plan.rt, route: { ...route, ...(timeouts ? { timeouts } : {}) } } };
      new HttpExchange(fixture.ctx, plan, { method: 'GET', headers: {} } as unknown as IncomingMessage, new FakeResponse() as unknown as ServerResponse, 0).start();
      expect(fixture.options[0]!.headersTimeout).toBe(want);
    }
  });

  it('answers 503 when the cluster has no endpoint to pick', () => {
    const { exchange, res, attempts } = setup({}, 'GET', {}, [{ address: '10.0.0.9', port: 80, ready: false, serving: false, terminating: true }]);
    exchange.start();
    expect(attempts).toHaveLength(0);
    expect(res.head?.status).toBe(503);
    expect(res.body).toBe('no ready endpoint\n');
  });
});
