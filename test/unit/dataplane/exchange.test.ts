// The exchange without sockets: endpoints are scripted undici dispatchers, the client response is
// a recording fake. Each case is one way an attempt can go.
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { ClusterRuntime } from '../../../src/dataplane/clusters.js';
import type { ProxyContext } from '../../../src/dataplane/context.js';
import { HttpExchange } from '../../../src/dataplane/exchange.js';
import { PassiveHealth } from '../../../src/dataplane/health/passive.js';
import type { Forward } from '../../../src/dataplane/plan.js';
import type { UpstreamPools } from '../../../src/dataplane/upstream/pools.js';
import { Metrics } from '../../../src/metrics.js';
import type { Cluster, Route } from '../../../src/table/types.js';

type Handler = Dispatcher.DispatchHandler;
/** What an endpoint does with one attempt. */
type Script = (handler: Handler, controller: FakeController) => void;

class FakeController {
  aborted: Error | undefined;
  paused = false;
  abort(err: Error): void {
    this.aborted = err;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  head: { status: number; headers: IncomingHttpHeaders } | undefined;
  body = '';
  ended = false;
  destroyed = false;
  writeHead(status: number, a?: string | IncomingHttpHeaders, b?: IncomingHttpHeaders): this {
    if (this.headersSent) throw new Error('head written twice');
    this.statusCode = status;
    this.headersSent = true;
    this.head = { status, headers: (typeof a === 'string' ? b : a) ?? {} };
    return this;
  }
  write(chunk: Buffer | string): boolean {
    this.body += chunk.toString();
    return true;
  }
  end(chunk?: string): void {
    if (chunk) this.body += chunk;
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const cluster: Cluster = {
  id: 'ns/svc:80',
  service: { namespace: 'ns', name: 'svc' },
  portName: '',
  loadBalancer: { algorithm: 'round-robin' },
  endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ address, port: 80, ready: true, serving: true, terminating: false })),
};
const route: Route = { id: 'route', source: { kind: 'Test', name: 'r' }, match: { path: { type: 'Prefix', value: '/' } }, action: { type: 'forward', backends: [{ cluster: cluster.id, weight: 1 }] } };

function setup(scripts: Record<string, Script>, method = 'GET', reqHeaders: IncomingHttpHeaders = {}, endpoints = cluster.endpoints) {
  const health = new PassiveHealth(() => 0);
  const runtime = new ClusterRuntime({ ...cluster, endpoints }, health.forCluster(cluster.id));
  const attempts: string[] = [];
  const controllers: FakeController[] = [];
  const pools = {
    get: (key: string) => ({
      dispatch(_opts: Dispatcher.DispatchOptions, handler: Handler) {
        attempts.push(key);
        const controller = new FakeController();
        controllers.push(controller);
        handler.onRequestStart?.(controller as unknown as Dispatcher.DispatchController, {});
        scripts[key]?.(handler, controller);
        return true;
      },
    }),
  } as unknown as UpstreamPools;
  const metrics = new Metrics({ processMetrics: false });
  const ctx: ProxyContext = {
    table: () => undefined,
    cluster: () => runtime,
    pools,
    timeouts: { connectMs: 1000, responseMs: 1000, idleMs: 1000 },
    metrics,
    health,
    draining: () => false,
    edge: { paths: { mergeSlashes: true, escapedSlashes: 'keep' }, trust: undefined, maxRequestBodyBytes: 0, proxiedPeer: () => undefined },
  };
  const plan: Forward = {
    type: 'forward',
    rt: { route, pickBackend: () => undefined, filters: {}, redirect: undefined },
    backend: { backend: { cluster: cluster.id, weight: 1 }, filters: {}, responseHeaders: undefined },
    cluster: runtime,
    facts: { method, path: '/', query: '', headers: reqHeaders },
    client: { address: '192.0.2.1', peer: '192.0.2.1', trustedPeer: false },
    path: '/',
    routeHeaders: [],
    headers: [],
  };
  const req = { method, headers: reqHeaders } as unknown as IncomingMessage;
  const res = new FakeResponse();
  const exchange = new HttpExchange(ctx, plan, req, res as unknown as ServerResponse, 0);
  return { exchange, res, attempts, controllers, health: health.forCluster(cluster.id), runtime, metrics };
}

const c = (controller: FakeController) => controller as unknown as Dispatcher.DispatchController;
const answers = (status: number, body: string, headers: IncomingHttpHeaders = {}): Script => (h, ctl) => {
  h.onResponseStart?.(c(ctl), status, { ...headers }, 'OK');
  h.onResponseData?.(c(ctl), Buffer.from(body));
  h.onResponseEnd?.(c(ctl), {});
};
const fails = (code: string): Script => (h, ctl) => h.onResponseError?.(c(ctl), Object.assign(new Error(code), { code }));
const resetsAfterHeaders: Script = (h, ctl) => {
  h.onResponseStart?.(c(ctl), 200, { 'x-fault': 'reset', 'content-length': '1000', 'set-cookie': 'from=failed' }, 'OK');
  h.onResponseError?.(c(ctl), Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }));
};

async function metric(metrics: Metrics, name: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((sum, v) => sum + Number(v.value), 0);
}

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

  it('never replays a request with a body, and never retries an unsafe method after a reset', () => {
    const post = setup({ '10.0.0.1:80': fails('ECONNRESET'), '10.0.0.2:80': answers(200, 'ok') }, 'POST', { 'content-length': '3' });
    post.exchange.start();
    expect(post.attempts).toEqual(['10.0.0.1:80']);
    expect(post.res.head?.status).toBe(502);
    const del = setup({ '10.0.0.1:80': resetsAfterHeaders, '10.0.0.2:80': answers(200, 'ok') }, 'DELETE');
    del.exchange.start();
    expect(del.attempts).toEqual(['10.0.0.1:80']);
    expect(del.res.head?.status).toBe(502);
    expect(del.res.head?.headers['x-fault']).toBeUndefined();
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

  it('aborts the upstream attempt when the client leaves, and counts 499', async () => {
    const { exchange, res, controllers, metrics, runtime } = setup({ '10.0.0.1:80': () => undefined });
    exchange.start();
    res.emit('close');
    expect(controllers[0]!.aborted).toBeDefined();
    expect(runtime.targets[0]!.inflight).toBe(0);
    const counted = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_requests_total')!.values;
    expect(counted).toEqual([expect.objectContaining({ labels: { route: 'route', backend: cluster.id, code: '499' }, value: 1 })]);
  });

  it('answers 503 when the cluster has no endpoint to pick', () => {
    const { exchange, res, attempts } = setup({}, 'GET', {}, [{ address: '10.0.0.9', port: 80, ready: false, serving: false, terminating: true }]);
    exchange.start();
    expect(attempts).toHaveLength(0);
    expect(res.head?.status).toBe(503);
    expect(res.body).toBe('no ready endpoint\n');
  });
});
