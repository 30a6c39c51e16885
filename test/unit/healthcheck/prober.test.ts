import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { ActiveHealthChecker } from '../../../src/healthcheck/prober.js';
import { probe, type ProbeResult } from '../../../src/healthcheck/probe.js';
import type { ActiveHealthCheck, Cluster, EndpointAddress } from '../../../src/table/types.js';
import { TrackedServer } from './support/tracked-server.js';

/** A real backend on 127.0.0.1 whose answers the test controls, recording every request. */
class Backend extends TrackedServer {
  status = 200;
  hang = false;
  readonly requests: { method: string; url: string; host: string | undefined; agent: string | undefined; at: number; status: number }[] = [];
  open = 0;
  onRequest: ((n: number) => void) | undefined;

  constructor() {
    super(
      createServer((req: IncomingMessage, res: ServerResponse) => {
        const status = this.hang ? 0 : this.status;
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, agent: req.headers['user-agent'], at: performance.now(), status });
        this.open++;
        res.on('close', () => this.open--);
        this.onRequest?.(this.requests.length);
        if (this.hang) return;
        res.writeHead(this.status, { 'content-type': 'text/plain' });
        res.end('x'.repeat(1000));
      }),
    );
  }

  /** Requests received so far (that match). */
  count(pred: (r: Backend['requests'][number]) => boolean = () => true): number {
    return this.requests.filter(pred).length;
  }
}

const servers: { close(): Promise<void> }[] = [];
const checkers: ActiveHealthChecker[] = [];
afterEach(async () => {
  await Promise.all(checkers.splice(0).map((c) => c.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function backend(): Promise<Backend> {
  const b = await new Backend().listen();
  servers.push(b);
  return b;
}

/** A port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function httpCheck(o: Partial<ActiveHealthCheck> = {}, http: Partial<NonNullable<ActiveHealthCheck['http']>> = {}): ActiveHealthCheck {
  return {
    type: 'HTTP',
    http: { path: '/health', method: 'GET', expectedStatuses: [{ start: 200, end: 299 }], ...http },
    intervalMs: 20,
    timeoutMs: 500,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    initialJitterMs: 0,
    ...o,
  };
}

const endpoint = (port: number, state: Partial<EndpointAddress> = {}): EndpointAddress => ({ address: '127.0.0.1', port, ready: true, serving: true, terminating: false, ...state });

function cluster(id: string, check: ActiveHealthCheck | undefined, endpoints: EndpointAddress[]): Cluster {
  return {
    id,
    service: { namespace: 'ns', name: id },
    portName: '',
    loadBalancer: { type: 'RoundRobin' },
    ...(check ? { policy: { source: { kind: 'BackendTrafficPolicy', namespace: 'ns', name: 'p' }, healthCheck: { panicThreshold: 50, active: check } } } : {}),
    endpoints,
  };
}

/** A table of these clusters that no listener reaches (so no backend client certificate applies). */
const tableOf = (clusters: Cluster[]) => ({ listeners: [], clusters });

/**
 * A checker with the real probes, recording verdicts (with `atVerdict()` taken as each one
 * came), probe results, and the most probes ever in flight at once for one endpoint.
 */
function checker(options: { random?: () => number; atVerdict?: () => number } = {}) {
  const verdicts: string[] = [];
  const taken: number[] = [];
  const results: ProbeResult[] = [];
  const running = new Map<string, number>();
  const most = { inflight: 0 };
  const c = new ActiveHealthChecker({
    onVerdict: (clusterId, key, healthy) => {
      verdicts.push(`${clusterId} ${key} ${healthy ? 'healthy' : 'unhealthy'}`);
      if (options.atVerdict) taken.push(options.atVerdict());
    },
    metrics: { result: (r) => results.push(r) },
    ...(options.random ? { random: options.random } : {}),
    probe: (check, target, signal) => {
      const key = `${target.address}:${target.port}`;
      const n = (running.get(key) ?? 0) + 1;
      running.set(key, n);
      most.inflight = Math.max(most.inflight, n);
      return probe(check, target, signal).finally(() => running.set(key, (running.get(key) ?? 1) - 1));
    },
  });
  checkers.push(c);
  return { c, verdicts, taken, results, most };
}

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ActiveHealthChecker over HTTP', () => {
  it('marks an endpoint unhealthy after unhealthyThreshold failed probes and healthy after healthyThreshold passes', async () => {
    const b = await backend();
    // How many answers had the current status when each verdict came (only one probe runs at a time).
    let since = 0;
    const { c, verdicts, taken } = checker({ atVerdict: () => b.count((r) => r.status === b.status) - since });
    c.update(tableOf([cluster('ns/api:80', httpCheck(), [endpoint(b.port)])]));
    await waitFor(() => b.count() >= 3);
    expect(verdicts).toEqual([]); // starts healthy and stays so
    expect([...c.verdicts()]).toEqual([]);
    b.status = 503;
    await waitFor(() => verdicts.length === 1);
    expect(verdicts).toEqual([`ns/api:80 ${b.key} unhealthy`]);
    expect(taken[0]).toBe(3);
    expect([...c.verdicts()]).toEqual([{ clusterId: 'ns/api:80', key: b.key, healthy: false }]);
    since = b.count((r) => r.status === 200);
    b.status = 200;
    await waitFor(() => verdicts.length === 2);
    expect(verdicts[1]).toBe(`ns/api:80 ${b.key} healthy`);
    expect(taken[1]).toBe(2);
    expect([...c.verdicts()]).toEqual([]);
  });

  it('sends the configured method, path and Host (default: the endpoint address:port) on a connection of its own', async () => {
    const b = await backend();
    const { c } = checker();
    c.update(tableOf([
      cluster('ns/a:80', httpCheck({}, { method: 'HEAD', path: '/ready?x=1', hostname: 'api.local' }), [endpoint(b.port)]),
      cluster('ns/b:80', httpCheck({}, { path: '/live' }), [endpoint(b.port)]),
    ]));
    await waitFor(() => b.count((r) => r.url === '/live') >= 2 && b.count((r) => r.url === '/ready?x=1') >= 2);
    const a = b.requests.find((r) => r.url === '/ready?x=1')!;
    expect(a).toMatchObject({ method: 'HEAD', host: 'api.local', agent: 'sluice-health-check' });
    expect(b.requests.find((r) => r.url === '/live')).toMatchObject({ method: 'GET', host: b.key });
    expect(b.connections).toBeGreaterThanOrEqual(b.count()); // no keep-alive reuse
  });

  it('fails answers outside the expected statuses', async () => {
    const b = await backend();
    b.status = 204;
    const { c, verdicts, results } = checker();
    c.update(tableOf([cluster('ns/api:80', httpCheck({ unhealthyThreshold: 2 }, { expectedStatuses: [{ start: 200, end: 200 }] }), [endpoint(b.port)])]));
    await waitFor(() => verdicts.length === 1);
    expect(verdicts).toEqual([`ns/api:80 ${b.key} unhealthy`]);
    expect(results.slice(0, 2)).toEqual(['failure', 'failure']);
  });

  it('counts a hung endpoint as timed out, with never more than one probe in flight', async () => {
    const b = await backend();
    b.hang = true;
    const { c, verdicts, results, most } = checker();
    c.update(tableOf([cluster('ns/api:80', httpCheck({ intervalMs: 10, timeoutMs: 80, unhealthyThreshold: 2 }), [endpoint(b.port)])]));
    await waitFor(() => verdicts.length === 1);
    expect(verdicts).toEqual([`ns/api:80 ${b.key} unhealthy`]);
    expect(results.slice(0, 2)).toEqual(['timeout', 'timeout']);
    expect(most.inflight).toBe(1);
  });

  it('reports a refused connection as an error and a failed probe', async () => {
    const port = await closedPort();
    const { c, verdicts, results } = checker();
    c.update(tableOf([cluster('ns/api:80', httpCheck({ unhealthyThreshold: 1 }), [endpoint(port)])]));
    await waitFor(() => verdicts.length === 1);
    expect(verdicts).toEqual([`ns/api:80 127.0.0.1:${port} unhealthy`]);
    expect(results[0]).toBe('error');
  });
});

describe('ActiveHealthChecker over TCP', () => {
  const tcp: ActiveHealthCheck = { type: 'TCP', intervalMs: 20, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2, initialJitterMs: 0 };

  it('passes an endpoint that accepts connections and fails a closed port', async () => {
    const b = await backend();
    const port = await closedPort();
    const { c, verdicts, results } = checker();
    c.update(tableOf([cluster('ns/api:80', tcp, [endpoint(b.port), endpoint(port)])]));
    await waitFor(() => verdicts.length === 1 && results.filter((r) => r === 'success').length >= 3);
    expect(verdicts).toEqual([`ns/api:80 127.0.0.1:${port} unhealthy`]);
    expect(b.count()).toBe(0); // a TCP check sends no request
  });
});

describe('ActiveHealthChecker and table updates', () => {
  it('probes only ready endpoints of resolved clusters that ask for active checks', async () => {
    const b = await backend();
    const unready = await backend();
    const other = await backend();
    const { c } = checker();
    c.update(tableOf([
      cluster('ns/api:80', httpCheck(), [endpoint(b.port), endpoint(unready.port, { ready: false })]),
      cluster('ns/none:80', undefined, [endpoint(other.port)]),
      { ...cluster('ns/gone:80', httpCheck(), [endpoint(other.port)]), unresolved: { code: 'X', message: 'no service' } },
    ]));
    await waitFor(() => b.count() >= 3);
    expect(unready.count()).toBe(0);
    expect(other.count()).toBe(0);
  });

  it('stops probing removed endpoints and clusters at once; an unhealthy one goes back to healthy for the data planes', async () => {
    const keep = await backend();
    const gone = await backend();
    gone.status = 503;
    const { c, verdicts } = checker();
    const check = httpCheck({ unhealthyThreshold: 1 });
    c.update(tableOf([cluster('ns/api:80', check, [endpoint(keep.port), endpoint(gone.port)])]));
    await waitFor(() => verdicts.length === 1);
    c.update(tableOf([cluster('ns/api:80', check, [endpoint(keep.port)])]));
    expect(verdicts).toEqual([`ns/api:80 ${gone.key} unhealthy`, `ns/api:80 ${gone.key} healthy`]);
    expect([...c.verdicts()]).toEqual([]);
    const seen = gone.count();
    await sleep(100);
    expect(gone.count()).toBe(seen);
    // The whole cluster goes (here: its policy loses the check).
    c.update(tableOf([cluster('ns/api:80', undefined, [endpoint(keep.port)])]));
    const kept = keep.count();
    await sleep(100);
    expect(keep.count()).toBe(kept);
  });

  it('keeps an endpoint state and its failure streak across updates that keep it', async () => {
    const b = await backend();
    b.status = 503;
    const { c, verdicts, taken } = checker({ atVerdict: () => b.count() });
    const table = () => [cluster('ns/api:80', httpCheck(), [endpoint(b.port)])];
    // While the second failing probe is being answered, a new (equal) table arrives.
    b.onRequest = (n) => {
      if (n === 2) c.update(tableOf(table()));
    };
    c.update(tableOf(table()));
    await waitFor(() => verdicts.length === 1);
    expect(taken).toEqual([3]);
    c.update(tableOf(table()));
    expect([...c.verdicts()]).toEqual([{ clusterId: 'ns/api:80', key: b.key, healthy: false }]);
  });

  it('restarts the probes of a cluster whose check changed, keeping verdicts', async () => {
    const b = await backend();
    b.status = 503;
    const { c, verdicts, most } = checker();
    c.update(tableOf([cluster('ns/api:80', httpCheck({ unhealthyThreshold: 1 }), [endpoint(b.port)])]));
    await waitFor(() => verdicts.length === 1);
    b.status = 200;
    c.update(tableOf([cluster('ns/api:80', httpCheck({ healthyThreshold: 2 }, { path: '/v2/health' }), [endpoint(b.port)])]));
    await waitFor(() => verdicts.length === 2);
    expect(verdicts[1]).toBe(`ns/api:80 ${b.key} healthy`);
    expect(b.count((r) => r.url === '/v2/health')).toBeGreaterThanOrEqual(2);
    expect(most.inflight).toBe(1);
  });

  it('spreads first probes over the initial jitter', async () => {
    const early = await backend();
    const late = await backend();
    const draws = [0, 0.9];
    const { c } = checker({ random: () => draws.shift() ?? 0 });
    const start = performance.now();
    c.update(tableOf([cluster('ns/api:80', httpCheck({ initialJitterMs: 400, intervalMs: 10_000 }), [endpoint(early.port), endpoint(late.port)])]));
    await waitFor(() => early.count() === 1 && late.count() === 1);
    expect(early.requests[0]!.at - start).toBeLessThan(300);
    expect(late.requests[0]!.at - start).toBeGreaterThanOrEqual(355);
  });

  it('stops everything without waiting for a hung probe, and never throws out of a verdict listener', async () => {
    const b = await backend();
    b.hang = true;
    const c = new ActiveHealthChecker({
      onVerdict: () => {
        throw new Error('listener broke');
      },
    });
    c.update(tableOf([cluster('ns/api:80', httpCheck({ timeoutMs: 30, unhealthyThreshold: 1, intervalMs: 10 }), [endpoint(b.port)])]));
    await waitFor(() => [...c.verdicts()].length === 1);
    const hung = await backend();
    hung.hang = true;
    c.update(tableOf([cluster('ns/api:80', httpCheck({ timeoutMs: 10_000, intervalMs: 10 }), [endpoint(hung.port)])]));
    await waitFor(() => hung.open === 1);
    const before = performance.now();
    await c.stop();
    expect(performance.now() - before).toBeLessThan(1000);
    const seen = hung.count();
    await sleep(60);
    expect(hung.count()).toBe(seen);
    await waitFor(() => hung.open === 0);
  });
});
