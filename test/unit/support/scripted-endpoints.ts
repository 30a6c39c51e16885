// Scripted endpoints for exchange tests: a cluster of three endpoints whose undici dispatch
// runs a script per endpoint (answer, fail, reset after headers, upgrade...), and a Forward plan
// over them, so the exchange's attempts can be driven without sockets.
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { ClusterRuntime } from '../../../src/dataplane/clusters.js';
import type { ProxyContext } from '../../../src/dataplane/context.js';
import { OutlierEndpointHealth } from '../../../src/dataplane/health/endpoint-health.js';
import { HttpExchange } from '../../../src/dataplane/exchange.js';
import type { Forward } from '../../../src/dataplane/plan.js';
import { RetryRules } from '../../../src/dataplane/policy/retry.js';
import { StickySessions } from '../../../src/dataplane/policy/session.js';
import type { UpstreamPools } from '../../../src/dataplane/upstream/pools.js';
import { UpstreamTlsProfiles } from '../../../src/dataplane/upstream/tls.js';
import { Metrics } from '../../../src/metrics.js';
import type { AccessLog } from '../../../src/dataplane/access-log/access-log.js';
import { TrafficStats } from '../../../src/dataplane/stats/traffic.js';
import type { Cluster, ClusterPolicy, EndpointAddress, LoadBalancerPolicy, Route, RetryPolicy, SessionPersistence } from '../../../src/table/types.js';

/** Policy for the scripted cluster and its route. */
export interface ScriptedPolicy {
  readonly cluster?: Omit<ClusterPolicy, 'source'>;
  readonly loadBalancer?: LoadBalancerPolicy;
  readonly routeRetry?: RetryPolicy;
  readonly routeSession?: SessionPersistence;
  readonly secure?: boolean;
  /** The access log the exchange writes to (off when absent). */
  readonly accessLog?: AccessLog;
}

export type Handler = Dispatcher.DispatchHandler;
/** What an endpoint does with one attempt. */
export type Script = (handler: Handler, controller: FakeController) => void;

export class FakeController {
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


export const cluster: Cluster = {
  id: 'ns/svc:80',
  service: { namespace: 'ns', name: 'svc' },
  portName: '',
  loadBalancer: { type: 'RoundRobin' },
  endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ address, port: 80, ready: true, serving: true, terminating: false })),
};
export const route: Route = { id: 'route', source: { kind: 'Test', name: 'r' }, match: { path: { type: 'Prefix', value: '/' } }, action: { type: 'forward', backends: [{ cluster: cluster.id, weight: 1 }] } };


/** A context, a Forward plan over the scripted cluster, and what the endpoints saw. */
export function scriptedPlan(scripts: Record<string, Script>, method = 'GET', reqHeaders: IncomingHttpHeaders = {}, endpoints: readonly EndpointAddress[] = cluster.endpoints, policy: ScriptedPolicy = {}) {
  const health = new OutlierEndpointHealth({ now: () => 0 });
  const withPolicy: Cluster = {
    ...cluster,
    endpoints,
    ...(policy.loadBalancer ? { loadBalancer: policy.loadBalancer } : {}),
    ...(policy.cluster ? { policy: { source: { kind: 'BackendTrafficPolicy', namespace: 'ns', name: 'p' }, ...policy.cluster } } : {}),
  };
  const clusterHealth = health.forCluster(cluster.id);
  clusterHealth.configure(withPolicy.policy?.healthCheck);
  const runtime = new ClusterRuntime(withPolicy, clusterHealth);
  runtime.load.configure(withPolicy.policy?.circuitBreaker);
  const attempts: string[] = [];
  const options: Dispatcher.DispatchOptions[] = [];
  const controllers: FakeController[] = [];
  const pools = {
    get: (key: string) => ({
      dispatch(opts: Dispatcher.DispatchOptions, handler: Handler) {
        attempts.push(key);
        options.push(opts);
        const controller = new FakeController();
        controllers.push(controller);
        handler.onRequestStart?.(controller as unknown as Dispatcher.DispatchController, {});
        scripts[key]?.(handler, controller);
        return true;
      },
    }),
  } as unknown as UpstreamPools;
  const metrics = new Metrics({ processMetrics: false });
  const stats = new TrafficStats();
  const ctx: ProxyContext = {
    table: () => undefined,
    cluster: () => runtime,
    pools,
    upstreamTls: new UpstreamTlsProfiles(),
    timeouts: { connectMs: 1000, responseMs: 1000, idleMs: 1000 },
    metrics,
    stats,
    accessLog: policy.accessLog,
    tracing: undefined,
    health,
    draining: () => false,
    edge: { paths: { mergeSlashes: true, escapedSlashes: 'keep' }, trust: undefined, maxRequestBodyBytes: 0, proxiedPeer: () => undefined },
  };
  const plan: Forward = {
    type: 'forward',
    rt: {
      route,
      pickBackend: () => undefined,
      filters: {},
      redirect: undefined,
      retry: policy.routeRetry ? new RetryRules(policy.routeRetry) : undefined,
      sticky: policy.routeSession ? new StickySessions(policy.routeSession) : undefined,
      observers: undefined,
    },
    backend: { backend: { cluster: cluster.id, weight: 1 }, filters: {}, responseHeaders: undefined },
    cluster: runtime,
    facts: { method, path: '/', query: '', headers: reqHeaders },
    client: { address: '192.0.2.1', peer: '192.0.2.1', trustedPeer: false },
    path: '/',
    routeHeaders: [],
    headers: [],
    secure: policy.secure ?? false,
    backendClientCertificate: undefined,
  };
  return { ctx, plan, attempts, options, controllers, health: health.forCluster(cluster.id), runtime, metrics, stats };
}

export const c = (controller: FakeController) => controller as unknown as Dispatcher.DispatchController;
export const answers = (status: number, body: string, headers: IncomingHttpHeaders = {}): Script => (h, ctl) => {
  h.onResponseStart?.(c(ctl), status, { ...headers }, 'OK');
  h.onResponseData?.(c(ctl), Buffer.from(body));
  h.onResponseEnd?.(c(ctl), {});
};
export const fails = (code: string): Script => (h, ctl) => h.onResponseError?.(c(ctl), Object.assign(new Error(code), { code }));
export const resetsAfterHeaders: Script = (h, ctl) => {
  h.onResponseStart?.(c(ctl), 200, { 'x-fault': 'reset', 'content-length': '1000', 'set-cookie': 'from=failed' }, 'OK');
  h.onResponseError?.(c(ctl), Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }));
};

export class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  head: { status: number; headers: IncomingHttpHeaders } | undefined;
  body = '';
  ended = false;
  destroyed = false;
  /** The client's socket takes no more for now: write() returns false until 'drain'. */
  full = false;
  writeHead(status: number, a?: string | IncomingHttpHeaders, b?: IncomingHttpHeaders): this {
    if (this.headersSent) throw new Error('head written twice');
    this.statusCode = status;
    this.headersSent = true;
    this.head = { status, headers: (typeof a === 'string' ? b : a) ?? {} };
    return this;
  }
  /** Each write()'s piece, and the one end() carried (if any), in order. */
  readonly writes: string[] = [];
  endedWith: string | undefined;
  trailers: Record<string, string> | undefined;
  write(chunk: Buffer | string): boolean {
    if (this.ended) throw new Error('write after end');
    this.writes.push(chunk.toString());
    this.body += chunk.toString();
    return !this.full;
  }
  addTrailers(trailers: Record<string, string>): void {
    if (this.ended) throw new Error('trailers after end');
    this.trailers = trailers;
  }
  end(chunk?: Buffer | string): void {
    if (this.ended) throw new Error('ended twice');
    if (chunk !== undefined) {
      this.endedWith = chunk.toString();
      this.body += chunk.toString();
    }
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** An HttpExchange over the scripted cluster, answering into a FakeResponse. */
export function exchangeSetup(scripts: Record<string, Script>, method = 'GET', reqHeaders: IncomingHttpHeaders = {}, endpoints: readonly EndpointAddress[] = cluster.endpoints, policy?: ScriptedPolicy) {
  const fixture = scriptedPlan(scripts, method, reqHeaders, endpoints, policy);
  const exchangeWith = (headers: IncomingHttpHeaders) => {
    const req = { method, headers } as unknown as IncomingMessage;
    const res = new FakeResponse();
    const plan = headers === reqHeaders ? fixture.plan : { ...fixture.plan, facts: { ...fixture.plan.facts, headers } };
    return { exchange: new HttpExchange(fixture.ctx, plan, req, res as unknown as ServerResponse, 0), res };
  };
  /** Another request to the same cluster runtime (same load, health and balancer). */
  const another = (headers: IncomingHttpHeaders = reqHeaders) => ({ ...fixture, ...exchangeWith(headers) });
  return { ...fixture, ...exchangeWith(reqHeaders), another };
}

/** The sum of a metric's values. */
export async function metric(metrics: Metrics, name: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((sum, v) => sum + Number(v.value), 0);
}
