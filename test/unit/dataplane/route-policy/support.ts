// A real in-process data plane for admission tests: DataPlane on a free 127.0.0.1 port with a
// table whose routes carry edge policies, a real echo backend (what reached the upstream) and a
// plain node:http client.
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Config } from '../../../../src/config/config.js';
import { DataPlane } from '../../../../src/dataplane/dataplane.js';
import { startEchoBackend, type EchoReply } from '../../../../src/demo/backend.js';
import { silentLogger } from '../../../../src/log.js';
import { Metrics } from '../../../../src/metrics.js';
import type { Cluster, EdgePolicy, Route, RoutingTable } from '../../../../src/table/types.js';
import { freePort } from '../../../support/wait.js';

export const BACKEND = 'test/echo:80';

export function cluster(id: string, port: number): Cluster {
  const [namespace, rest] = id.split('/');
  return {
    id,
    service: { namespace: namespace!, name: rest!.split(':')[0]! },
    portName: '',
    loadBalancer: { type: 'RoundRobin' },
    endpoints: [{ address: '127.0.0.1', port, ready: true, serving: true, terminating: false }],
  };
}

export function policyRoute(id: string, prefix: string, edge: Omit<EdgePolicy, 'sources'> | undefined): Route {
  return {
    id,
    source: { kind: 'HTTPRoute', namespace: 'test', name: id },
    match: { path: { type: 'Prefix', value: prefix } },
    ...(edge ? { edge: { sources: [{ kind: 'RoutePolicy', namespace: 'test', name: id }], ...edge } } : {}),
    action: { type: 'forward', backends: [{ cluster: BACKEND, weight: 1 }] },
  };
}

export interface Plane {
  readonly dp: DataPlane;
  readonly port: number;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export async function startPlane(routes: readonly Route[], clusters: readonly Cluster[], config: Partial<Pick<Config, 'redisUrl' | 'workers'>> & { trustedProxies?: string[] } = {}): Promise<Plane> {
  const port = await freePort();
  const metrics = new Metrics({ processMetrics: false });
  const dp = new DataPlane({
    config: {
      httpPort: port,
      httpsPort: await freePort(),
      bindAddress: '127.0.0.1',
      upstream: { connectMs: 1000, responseMs: 5000, idleMs: 5000, keepAliveMs: 1000 },
      clientKeepAliveMs: 5000,
      http2: { tls: true, cleartext: false, maxConcurrentStreams: 100 },
      accessLog: { destination: 'off', fields: [], sample: 0 },
      edge: {
        trustedProxies: config.trustedProxies ?? [],
        trustedHops: 0,
        proxyProtocol: false,
        headerTimeoutMs: 5000,
        tlsHandshakeTimeoutMs: 5000,
        maxRequestBodyBytes: 0,
        mergeSlashes: true,
        escapedSlashes: 'keep',
        rejectUnknownSni: false,
      },
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      ...(config.workers ? { workers: config.workers } : {}),
    },
    metrics,
    log: silentLogger,
  });
  const table: RoutingTable = {
    listeners: [{ name: 'http', protocol: 'HTTP', port: 80, virtualHosts: [{ hostname: '*', routes }] }],
    clusters: [...clusters].sort((a, b) => a.id.localeCompare(b.id)),
  };
  await dp.install(table, 1);
  return { dp, port, metrics, stop: () => dp.stop(100) };
}

export interface Backend {
  readonly server: Server;
  readonly port: number;
}

export async function startBackend(name = 'echo'): Promise<Backend> {
  const server = await startEchoBackend(name, 0);
  return { server, port: (server.address() as { port: number }).port };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What the echo backend saw, when the request reached it. */
  readonly echo: EchoReply | undefined;
}

export function get(port: number, path: string, headers: Record<string, string> = {}, options: { method?: string; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: 'app.test', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let echo: EchoReply | undefined;
        try {
          const parsed = JSON.parse(body) as EchoReply;
          if (parsed && typeof parsed === 'object' && 'backend' in parsed) echo = parsed;
        } catch {
          echo = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, echo });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The value of a counter child, 0 when absent. */
export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want));
  return v ? Number(v.value) : 0;
}
