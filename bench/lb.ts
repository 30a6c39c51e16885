// Item 6: Sluice as a load balancer, beside nginx and HAProxy (issue 10's benchmarks).
//
// 1. Slow endpoint: 3 endpoints, one 10× slower (and so with a tenth of the capacity, see
//    lib/lb-origin-server.ts), `wrk -c32`; each proxy's round robin and least-connections
//    algorithm, interleaved rounds. The share of requests that reached the slow endpoint is
//    counted on the origin.
// 2. Failure scenarios under a steady closed-loop load plus an open-loop probe stream
//    (lib/loadgen.ts, every request's outcome kept): one of 3 equal endpoints is killed, hangs, or answers 503 to everything, each proxy
//    with its "resilient" configuration (lib/lb-configs.ts; Sluice: a BackendTrafficPolicy, and
//    its defaults as a reference). Every run gets a fresh origin and a fresh proxy, so no
//    health state carries over. The origin's arrival times tell when traffic to the faulty
//    endpoint stopped.
// Sluice rows whose policy the running build does not apply (BackendTrafficPolicy not
// translated into the table yet) are reported as "not supported yet", not measured.
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { haproxyLbConf, haproxyResilientConf, NGINX_FAIL_TIMEOUT_S, nginxLbConf, nginxResilientConf, RESPONSE_TIMEOUT_S, type LbAlgorithm } from './lib/lb-configs.ts';
import { arrivalsBetween, firstStop, lastArrival, startLbOrigin, type EndpointStats, type LbOrigin } from './lib/lb-origin.ts';
import type { EndpointMode } from './lib/lb-origin-server.ts';
import { startLoad, summarizeWindow, type WindowSummary } from './lib/loadgen.ts';
import { backendTrafficPolicyYaml, INGRESS_CLASS, ingressYaml, ManifestDir, serviceYaml } from './lib/manifests.ts';
import { freePorts, HttpClient, LOOPBACK, sleep } from './lib/net.ts';
import { CLOCK_TICKS_PER_SECOND, groupCpuTicks, usPerRequest } from './lib/processes.ts';
import { startHaproxyWith, startNginx, startSluice, type Server, type SluiceServer } from './lib/servers.ts';
import { lbErrorsTable, lbHangTable, lbKillTable, lbSlowGoals, lbSlowTable } from './lib/report.ts';
import { median, round } from './lib/stats.ts';
import { startWrk } from './lib/wrk.ts';

/** Concurrent clients, as the issue says. */
export const LB_CLIENTS = 32;
/** Requests each endpoint serves at once (a pod's workers); more wait in line. */
export const ENDPOINT_CONCURRENCY = 8;
export const FAST_MS = 5;
export const SLOW_MS = 50;
const SLOW_DELAYS = [FAST_MS, FAST_MS, SLOW_MS];
const EQUAL_DELAYS = [FAST_MS, FAST_MS, FAST_MS];
/** Index of the endpoint that fails in the failure scenarios. */
const FAULTY = 0;
/** Load before the measured windows start (connections opened, JIT warm). */
const LOAD_WARMUP_MS = 1000;
/** A client request without an answer after this long is a failure (above every proxy's retry chain). */
const CLIENT_TIMEOUT_MS = 10_000;
/** Active checks of the issue: interval 1 s, unhealthyThreshold (fall) 3; the goal is interval × fall + 1 s. */
const CHECK_INTERVAL_S = 1;
const CHECK_FALL = 3;
export const HANG_GOAL_S = CHECK_INTERVAL_S * CHECK_FALL + 1;
/** The open-loop probe stream beside the clients (lib/loadgen.ts): keeps fresh requests coming when every client waits. */
const PROBE_RATE_PER_S = 100;
/** Arrivals at the faulty endpoint this close to the end of a hang window mean it still gets traffic. */
const STILL_RECEIVING_MS = 1000;
/** A pause this long in arrivals at the 503 endpoint counts as its ejection. */
const EJECTION_GAP_MS = 1000;

const RESILIENT_POLICY = {
  healthCheck: {
    active: { type: 'HTTP', http: { path: '/health' }, interval: `${CHECK_INTERVAL_S}s`, timeout: '500ms', healthyThreshold: 2, unhealthyThreshold: CHECK_FALL },
    passive: { consecutiveGatewayErrors: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
  },
  retry: { numRetries: 2, retryOn: ['connect-failure', 'reset', 'gateway-error'], perTryTimeout: `${RESPONSE_TIMEOUT_S}s` },
  timeouts: { connect: `${RESPONSE_TIMEOUT_S}s` },
};

const SLUICE_TIMEOUT_FLAGS = ['--upstream-response-timeout', `${RESPONSE_TIMEOUT_S}s`, '--upstream-connect-timeout', `${RESPONSE_TIMEOUT_S}s`];

// ---- what the running Sluice build applies ----

/** Features of a BackendTrafficPolicy this bench relies on. */
type Feature = 'LeastRequest' | 'active health checks' | 'passive health (outlier detection)' | 'retry';

interface DebugCluster {
  readonly service: { readonly name: string };
  /** health: one entry per data-plane worker (this bench runs one). */
  readonly endpoints?: readonly { readonly port: number; readonly health?: readonly { readonly ejected: boolean; readonly ejections: number; readonly failures: number; readonly active?: string }[] }[];
  readonly loadBalancer?: { readonly type?: string; readonly choiceCount?: number };
  readonly policy?: { readonly healthCheck?: { readonly active?: unknown; readonly passive?: unknown }; readonly retry?: unknown };
}

/** The features the table of this Sluice does not carry for `service` (empty: all applied). */
async function missingFeatures(adminPort: number, service: string, wanted: readonly Feature[]): Promise<Feature[]> {
  const client = new HttpClient();
  try {
    const routes = JSON.parse((await client.get(adminPort, 'localhost', '/debug/routes')).body) as { clusters: DebugCluster[] };
    const c = routes.clusters.find((x) => x.service.name === service);
    const has: Record<Feature, boolean> = {
      LeastRequest: c?.loadBalancer?.type === 'LeastRequest',
      'active health checks': c?.policy?.healthCheck?.active !== undefined,
      'passive health (outlier detection)': c?.policy?.healthCheck?.passive !== undefined,
      retry: c?.policy?.retry !== undefined,
    };
    return wanted.filter((f) => !has[f]);
  } finally {
    client.close();
  }
}

/** How Sluice's /debug/routes shows one endpoint's health: which mechanism took it out. */
async function sluiceHealthView(adminPort: number, service: string, port: number): Promise<string> {
  const client = new HttpClient();
  try {
    const routes = JSON.parse((await client.get(adminPort, 'localhost', '/debug/routes')).body) as { clusters: DebugCluster[] };
    const h = routes.clusters.find((x) => x.service.name === service)?.endpoints?.find((e) => e.port === port)?.health?.[0];
    if (!h) return 'no health state shown';
    return `${h.ejected ? 'ejected' : 'not ejected'}, ${h.ejections} passive ejection(s), ${h.failures} consecutive failure(s), active check ${h.active ?? 'none'}`;
  } catch (err) {
    return `/debug/routes unreadable: ${(err as Error).message}`;
  } finally {
    client.close();
  }
}

function notSupported(missing: readonly Feature[], revision: string): string {
  return `not supported yet: the BackendTrafficPolicy's ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in Sluice ${revision}'s table`;
}

// ---- 1. slow endpoint ----

export interface SlowRow {
  readonly proxy: 'nginx' | 'haproxy' | 'sluice';
  /** As the proxy calls it: "round robin", "least_conn", "LeastRequest (choiceCount 2)"… */
  readonly algorithm: string;
  readonly kind: LbAlgorithm;
  readonly rounds: number;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** Of this row's values ÷ nginx least_conn's, same run. */
  readonly p99_vs_nginx_lc: number;
  readonly rps_vs_nginx_lc: number;
  /** Requests that reached the slow endpoint ÷ all requests the endpoints received, percent. */
  readonly slow_share_pct: number;
  /** The origin process's CPU use over the run, percent of one core (is the origin a bottleneck?). */
  readonly origin_cpu_pct: number;
  readonly proxy_cpu_us_per_req: number;
  readonly errors: number;
  /** Set instead of numbers when the running Sluice cannot do this row. */
  readonly unsupported?: string;
}

export interface SlowResult {
  readonly delaysMs: readonly number[];
  readonly endpointConcurrency: number;
  readonly clients: number;
  readonly durationS: number;
  readonly rows: SlowRow[];
  /** Sluice LeastRequest p99 ÷ nginx least_conn p99 (goal ≤ 1.2) and ÷ Sluice RoundRobin p99. */
  readonly goal: { readonly lrVsNginxLc: number; readonly lrVsSluiceRr: number };
}

interface SlowTarget {
  readonly proxy: SlowRow['proxy'];
  readonly algorithm: string;
  readonly kind: LbAlgorithm;
  readonly server: Server;
  readonly port: number;
  readonly host: string;
  readonly unsupported?: string;
}

interface SlowSample {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly slow: number;
  readonly total: number;
  readonly originCpuPct: number;
  readonly cpuUsPerReq: number;
  readonly errors: number;
}

const SLOW_SERVICES = [
  { service: 'lb-rr', host: 'rr.lb.bench', algorithm: 'RoundRobin', kind: 'round-robin', policy: undefined },
  { service: 'lb-lr', host: 'lr.lb.bench', algorithm: 'LeastRequest (choiceCount 2)', kind: 'least-conn', policy: { loadBalancer: { type: 'LeastRequest' } } },
  { service: 'lb-lr-all', host: 'lr-all.lb.bench', algorithm: 'LeastRequest (choiceCount 0)', kind: 'least-conn', policy: { loadBalancer: { type: 'LeastRequest', leastRequest: { choiceCount: 0 } } } },
] as const;

function requestsTo(stats: readonly EndpointStats[]): number[] {
  return stats.map((e) => e.requests);
}

async function measureSlow(ctx: BenchContext, origin: LbOrigin, t: SlowTarget, durationS: number): Promise<SlowSample> {
  const { settings, tools } = ctx;
  const before = requestsTo(await origin.stats());
  const proxyTicks0 = groupCpuTicks(t.server.group.pid);
  const originTicks0 = groupCpuTicks(origin.group.pid);
  const started = performance.now();
  const w = await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${t.port}/`, connections: LB_CLIENTS, durationS, cpus: settings.loadCpus, host: t.host }).done;
  const seconds = (performance.now() - started) / 1000;
  const proxyTicks = groupCpuTicks(t.server.group.pid) - proxyTicks0;
  const originTicks = groupCpuTicks(origin.group.pid) - originTicks0;
  const after = requestsTo(await origin.stats());
  const delta = after.map((n, i) => n - before[i]!);
  const total = delta.reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error(`lb slow ${t.proxy} ${t.algorithm}: no request reached the endpoints\n${t.server.group.output()}`);
  return {
    rps: w.rps,
    p50: w.p50Ms,
    p99: w.p99Ms,
    slow: delta[SLOW_DELAYS.indexOf(SLOW_MS)]!,
    total,
    originCpuPct: (100 * originTicks) / CLOCK_TICKS_PER_SECOND / seconds,
    cpuUsPerReq: usPerRequest(proxyTicks, w.requests),
    errors: w.non2xx + w.socketErrorTotal,
  };
}

async function runSlow(ctx: BenchContext, revision: string): Promise<SlowResult> {
  const { settings, ws, tools } = ctx;
  const p = settings.proxyCpus;
  const origin = await startLbOrigin(SLOW_DELAYS, ENDPOINT_CONCURRENCY, settings.loadCpus);
  const servers: Server[] = [];
  try {
    const [nRr, nLc, hRr, hLc, sHttp, sAdmin] = await freePorts(6);
    const frontends = (rr: number, lc: number) => [
      { port: rr, algorithm: 'round-robin' as const },
      { port: lc, algorithm: 'least-conn' as const },
    ];
    const nginx = await startNginx(ws, tools, 'lb-nginx', nginxLbConf(frontends(nRr!, nLc!), origin.ports), nRr!, p);
    servers.push(nginx);
    const haproxy = await startHaproxyWith(ws, tools, 'lb-haproxy', haproxyLbConf(frontends(hRr!, hLc!), origin.ports), hRr!, p);
    servers.push(haproxy);
    const dir = new ManifestDir(join(ws.dir, 'lb-slow-manifests'));
    dir.write('class.yaml', INGRESS_CLASS);
    dir.write('services.yaml', SLOW_SERVICES.map((s) => serviceYaml(s.service, origin.ports.map((port) => ({ port })))).join('\n---\n'));
    dir.write('policies.yaml', SLOW_SERVICES.flatMap((s) => (s.policy ? [backendTrafficPolicyYaml(s.service, s.service, s.policy)] : [])).join('\n---\n'));
    dir.write('ingress.yaml', ingressYaml('lb', SLOW_SERVICES.map((s) => ({ host: s.host, paths: [{ path: '/', pathType: 'Prefix' as const, service: s.service }] }))));
    const sluice = await startSluice({ manifests: dir.path, httpPort: sHttp!, adminPort: sAdmin!, cpus: p, workers: 1, name: 'sluice-lb' });
    servers.push(sluice);

    const targets: SlowTarget[] = [
      { proxy: 'nginx', algorithm: 'round robin', kind: 'round-robin', server: nginx, port: nRr!, host: 'lb.bench' },
      { proxy: 'nginx', algorithm: 'least_conn', kind: 'least-conn', server: nginx, port: nLc!, host: 'lb.bench' },
      { proxy: 'haproxy', algorithm: 'roundrobin', kind: 'round-robin', server: haproxy, port: hRr!, host: 'lb.bench' },
      { proxy: 'haproxy', algorithm: 'leastconn', kind: 'least-conn', server: haproxy, port: hLc!, host: 'lb.bench' },
    ];
    for (const s of SLOW_SERVICES) {
      const missing = s.policy ? await missingFeatures(sAdmin!, s.service, ['LeastRequest']) : [];
      targets.push({ proxy: 'sluice', algorithm: s.algorithm, kind: s.kind, server: sluice, port: sHttp!, host: s.host, ...(missing.length > 0 ? { unsupported: notSupported(missing, revision) } : {}) });
    }
    const measured = targets.filter((t) => !t.unsupported);
    for (const t of targets.filter((x) => x.unsupported)) ctx.log(`lb slow: sluice ${t.algorithm}: ${t.unsupported}`);

    if (settings.lbWarmupS > 0) {
      // One warm-up per proxy process (its JIT and connection pools are shared by its frontends).
      for (const server of servers) {
        const t = [...measured].reverse().find((x) => x.server === server)!;
        ctx.log(`lb slow: warm-up ${t.proxy} ${settings.lbWarmupS}s`);
        await measureSlow(ctx, origin, t, settings.lbWarmupS);
      }
    }
    const samples = new Map<SlowTarget, SlowSample[]>();
    for (let r = 1; r <= settings.lbRounds; r++) {
      for (const t of measured) {
        const s = await measureSlow(ctx, origin, t, settings.lbDurationS);
        samples.set(t, [...(samples.get(t) ?? []), s]);
        ctx.log(`lb slow round ${r}/${settings.lbRounds} ${`${t.proxy} ${t.algorithm}`.padEnd(36)} ${fmtN(s.rps)} req/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  slow ${((100 * s.slow) / s.total).toFixed(1)} %  origin CPU ${s.originCpuPct.toFixed(0)} %`);
      }
    }
    const nginxLc = samples.get(targets[1]!) ?? [];
    const refP99 = median(nginxLc.map((s) => s.p99));
    const refRps = median(nginxLc.map((s) => s.rps));
    const rows: SlowRow[] = targets.map((t) => {
      const s = samples.get(t) ?? [];
      const slow = s.reduce((a, x) => a + x.slow, 0);
      const total = s.reduce((a, x) => a + x.total, 0);
      const p99 = median(s.map((x) => x.p99));
      const rps = median(s.map((x) => x.rps));
      return {
        proxy: t.proxy,
        algorithm: t.algorithm,
        kind: t.kind,
        rounds: s.length,
        rps: Math.round(rps),
        p50_ms: round(median(s.map((x) => x.p50))),
        p99_ms: round(p99),
        p99_vs_nginx_lc: round(p99 / refP99, 3),
        rps_vs_nginx_lc: round(rps / refRps, 3),
        slow_share_pct: round(total > 0 ? (100 * slow) / total : NaN, 1),
        origin_cpu_pct: Math.round(median(s.map((x) => x.originCpuPct))),
        proxy_cpu_us_per_req: round(median(s.map((x) => x.cpuUsPerReq)), 1),
        errors: s.reduce((a, x) => a + x.errors, 0),
        ...(t.unsupported ? { unsupported: t.unsupported } : {}),
      };
    });
    const sluiceRow = (algorithm: string) => rows.find((x) => x.proxy === 'sluice' && x.algorithm === algorithm);
    const lr = sluiceRow(SLOW_SERVICES[1].algorithm);
    const rr = sluiceRow(SLOW_SERVICES[0].algorithm);
    const lrP99 = lr && !lr.unsupported ? lr.p99_ms : NaN;
    return {
      delaysMs: SLOW_DELAYS,
      endpointConcurrency: ENDPOINT_CONCURRENCY,
      clients: LB_CLIENTS,
      durationS: settings.lbDurationS,
      rows,
      goal: { lrVsNginxLc: round(lrP99 / refP99, 3), lrVsSluiceRr: round(lrP99 / (rr?.p99_ms ?? NaN), 3) },
    };
  } finally {
    for (const s of servers) await s.group.stop();
    await origin.stop();
  }
}

// ---- 2. failure scenarios ----

export type Scenario = 'kill' | 'hang' | 'errors';
export type Variant = 'nginx' | 'haproxy' | 'sluice-defaults' | 'sluice-policy';
const VARIANTS: readonly Variant[] = ['nginx', 'haproxy', 'sluice-defaults', 'sluice-policy'];
const FAULT_MODE: Record<Scenario, EndpointMode> = { kill: 'kill', hang: 'hang', errors: 'errors' };

export interface FailureRow {
  readonly scenario: Scenario;
  readonly variant: Variant;
  /** How the proxy notices the fault, in its own words. */
  readonly detection: string;
  readonly beforeS: number;
  readonly faultS: number;
  /** Client view before the fault and from the fault to the end. */
  readonly before?: WindowSummary;
  readonly during?: WindowSummary;
  /** Proxied requests that reached the faulty endpoint after the fault. */
  readonly reachedFaulty?: number;
  /** Health probes the faulty endpoint answered (or, hung, received) over the run. */
  readonly healthProbes?: number;
  /** hang: fault → last request sent to it; undefined: still receiving at the end. */
  readonly offAfterS?: number;
  /** errors: fault → first pause of ≥ 1 s in its traffic (ejection); undefined: never. */
  readonly ejectedAfterS?: number;
  /** errors: requests reaching it after the ejection (re-admissions, trial requests). */
  readonly reachedAfterEjection?: number;
  /** errors: the client view from the ejection to the end (the whole fault window if never ejected). */
  readonly afterEjection?: WindowSummary;
  readonly unsupported?: string;
  readonly note?: string;
  /** Sluice rows: the faulty endpoint's health in /debug/routes at the end of the window. */
  readonly sluiceView?: string;
}

const DETECTION: Record<Variant, string> = {
  nginx: `passive: max_fails=1 fail_timeout=${NGINX_FAIL_TIMEOUT_S}s, proxy_next_upstream error timeout http_502 http_503 http_504 (3 tries), proxy_read_timeout ${RESPONSE_TIMEOUT_S}s`,
  haproxy: `check inter 1s fall 3 rise 2, timeout check 500ms; observe layer7 error-limit 3 on-error mark-down; retries 2, redispatch, retry-on conn-failure empty-response response-timeout 503; timeout server ${RESPONSE_TIMEOUT_S}s`,
  'sluice-defaults': `no policy: retry on connect failure and reset (2 retries), an unreachable endpoint ejected for 1 s (doubling up to 30 s), --upstream-response-timeout ${RESPONSE_TIMEOUT_S}s`,
  'sluice-policy': `BackendTrafficPolicy: active HTTP /health interval 1s timeout 500ms fall 3 rise 2; passive consecutiveGatewayErrors 3, baseEjectionTime 30s; retry 2 on connect-failure, reset, gateway-error, perTryTimeout ${RESPONSE_TIMEOUT_S}s`,
};

const FAIL_SERVICE = 'lb-fail';
const FAIL_HOST = 'fail.lb.bench';

async function startFailureProxy(ctx: BenchContext, variant: Variant, origin: LbOrigin, tag: string): Promise<{ server: Server; sluice?: SluiceServer }> {
  const { ws, tools, settings } = ctx;
  const p = settings.proxyCpus;
  const [port, adminPort] = await freePorts(2);
  if (variant === 'nginx') return { server: await startNginx(ws, tools, 'lb-nginx', nginxResilientConf(port!, origin.ports), port!, p) };
  if (variant === 'haproxy') return { server: await startHaproxyWith(ws, tools, 'lb-haproxy', haproxyResilientConf(port!, origin.ports), port!, p) };
  const dir = new ManifestDir(join(ws.dir, `lb-${tag}`));
  dir.write('class.yaml', INGRESS_CLASS);
  dir.write('service.yaml', serviceYaml(FAIL_SERVICE, origin.ports.map((port) => ({ port }))));
  if (variant === 'sluice-policy') dir.write('policy.yaml', backendTrafficPolicyYaml(FAIL_SERVICE, FAIL_SERVICE, RESILIENT_POLICY));
  dir.write('ingress.yaml', ingressYaml('lb', [{ host: FAIL_HOST, paths: [{ path: '/', pathType: 'Prefix', service: FAIL_SERVICE }] }]));
  const sluice = await startSluice({ manifests: dir.path, httpPort: port!, adminPort: adminPort!, cpus: p, workers: 1, name: `sluice-${tag}`, extraArgs: SLUICE_TIMEOUT_FLAGS });
  return { server: sluice, sluice };
}

async function runFailure(ctx: BenchContext, scenario: Scenario, variant: Variant, revision: string): Promise<FailureRow> {
  const { settings } = ctx;
  const faultS = settings.lbFaultS[scenario];
  const base = { scenario, variant, detection: DETECTION[variant], beforeS: settings.lbBeforeFaultS, faultS };
  const origin = await startLbOrigin(EQUAL_DELAYS, ENDPOINT_CONCURRENCY, settings.loadCpus);
  let server: Server | undefined;
  try {
    const started = await startFailureProxy(ctx, variant, origin, `${scenario}-${variant}`);
    server = started.server;
    if (variant === 'sluice-policy') {
      const missing = await missingFeatures(started.sluice!.adminPort, FAIL_SERVICE, ['active health checks', 'passive health (outlier detection)', 'retry']);
      if (missing.length > 0) return { ...base, unsupported: notSupported(missing, revision) };
    }
    const load = startLoad({ port: server.port, host: FAIL_HOST, path: '/', connections: LB_CLIENTS, timeoutMs: CLIENT_TIMEOUT_MS, probeRatePerS: PROBE_RATE_PER_S });
    await sleep(LOAD_WARMUP_MS);
    const t0 = Date.now();
    await sleep(settings.lbBeforeFaultS * 1000);
    const healthBefore = (await origin.stats()).reduce((a, e) => a + e.health, 0);
    const fault = await origin.fault(FAULTY, FAULT_MODE[scenario]);
    await sleep(faultS * 1000);
    const end = Date.now();
    const sluiceView = started.sluice ? await sluiceHealthView(started.sluice.adminPort, FAIL_SERVICE, origin.ports[FAULTY]!) : undefined;
    const records = await load.stop();
    const faulty = (await origin.stats())[FAULTY]!;
    const before = summarizeWindow(records, t0, fault);
    const during = summarizeWindow(records, fault, end);
    // Nothing answered before the fault: the harness is broken (the smoke run must fail on it), not the proxy.
    if (before.requests - before.failed <= 0) throw new Error(`lb ${scenario} ${variant}: no request succeeded before the fault\n${server.group.output()}`);
    const row: FailureRow = { ...base, before, during, reachedFaulty: arrivalsBetween(faulty, fault, Infinity), healthProbes: faulty.health, ...(sluiceView ? { sluiceView } : {}) };
    const note = variant === 'sluice-policy' && healthBefore === 0 ? 'no /health probe reached the endpoints before the fault: active checks are not running' : undefined;
    if (scenario === 'hang') {
      const last = lastArrival(faulty, fault);
      const offAfterS = last === undefined ? 0 : last < end - STILL_RECEIVING_MS ? (last - fault) / 1000 : undefined;
      return { ...row, ...(offAfterS !== undefined ? { offAfterS: round(offAfterS) } : {}), ...(note ? { note } : {}) };
    }
    if (scenario === 'errors') {
      const stop = firstStop(faulty, fault, end, EJECTION_GAP_MS);
      const from = stop ?? fault;
      return {
        ...row,
        ...(stop !== undefined ? { ejectedAfterS: round((stop - fault) / 1000) } : {}),
        reachedAfterEjection: stop !== undefined ? arrivalsBetween(faulty, stop, Infinity) : row.reachedFaulty!,
        afterEjection: summarizeWindow(records, from, end),
        ...(note ? { note } : {}),
      };
    }
    return { ...row, ...(note ? { note } : {}) };
  } finally {
    await server?.group.stop();
    await origin.stop();
  }
}

export interface LbResult {
  readonly revision: string;
  readonly slow: SlowResult;
  readonly failures: FailureRow[];
}

export async function runLb(ctx: BenchContext, revision: string): Promise<LbResult> {
  ctx.log(`lb: slow endpoint (${SLOW_DELAYS.join('/')} ms, ${ENDPOINT_CONCURRENCY} at a time per endpoint), wrk -c${LB_CLIENTS}`);
  const slow = await runSlow(ctx, revision);
  const failures: FailureRow[] = [];
  for (const scenario of ['kill', 'hang', 'errors'] as const) {
    for (const variant of VARIANTS) {
      const row = await runFailure(ctx, scenario, variant, revision);
      failures.push(row);
      if (row.unsupported) ctx.log(`lb ${scenario} ${variant}: ${row.unsupported}`);
      else ctx.log(`lb ${scenario} ${variant.padEnd(15)} failed ${row.during!.failed} of ${row.during!.sent}, p99 ${row.during!.p99Ms.toFixed(1)} ms, ${fmtN(row.during!.rps)} req/s, reached faulty ${row.reachedFaulty}${row.offAfterS !== undefined ? `, off after ${row.offAfterS} s` : ''}${row.ejectedAfterS !== undefined ? `, ejected after ${row.ejectedAfterS} s` : ''}${row.note ? ` (${row.note})` : ''}`);
    }
  }
  return { revision, slow, failures };
}

function fmtN(x: number): string {
  return Math.round(x).toLocaleString('en-US').padStart(7);
}

export function lbMarkdown(r: LbResult, settings: BenchContext['settings']): string {
  const s = r.slow;
  const rows = (scenario: Scenario) => r.failures.filter((x) => x.scenario === scenario);
  const notes = r.failures.filter((x) => x.note).map((x) => `- ${x.scenario}, ${x.variant}: ${x.note}`);
  const views = (scenario: Scenario) => {
    const lines = rows(scenario).filter((x) => x.sluiceView).map((x) => `${VARIANT_LABEL_MD[x.variant]}: ${x.sluiceView}`);
    return lines.length > 0 ? ['', `The faulty endpoint in Sluice's /debug/routes at the end — ${lines.join('; ')}.`] : [];
  };
  return [
    '## Load balancing (lb)',
    '',
    `### Slow endpoint`,
    '',
    `3 endpoints on 127.0.0.1 answering in ${s.delaysMs.join(' / ')} ms, each serving ${s.endpointConcurrency} requests at a time (the rest wait in line, so the slow one also has a tenth of the capacity); ` +
      `\`wrk -t1 -c${s.clients} -d${s.durationS}s --latency\`, each proxy with one worker on CPU ${settings.proxyCpus}, wrk and the origin (one Node process) on CPU ${settings.loadCpus}; ` +
      `${settings.lbWarmupS > 0 ? `${settings.lbWarmupS} s warm-up per proxy, ` : ''}${settings.lbRounds} interleaved round(s), median. "to the slow endpoint": requests it received ÷ all the endpoints received (counted by the origin). Origin CPU % is of one core: well below 100 means the origin is not the bottleneck.`,
    '',
    lbSlowTable(s),
    '',
    lbSlowGoals(s),
    '',
    '### Failure scenarios under load',
    '',
    `3 equal endpoints (${FAST_MS} ms, ${ENDPOINT_CONCURRENCY} at a time), round robin everywhere, a closed-loop load of ${LB_CLIENTS} keep-alive connections (the clients: req/s, p50, p99) plus an open-loop probe stream of ${PROBE_RATE_PER_S} req/s (it keeps fresh requests coming when every client waits on a hung endpoint); every request's outcome kept, one unanswered after ${CLIENT_TIMEOUT_MS / 1000} s counts as failed. ` +
      `${settings.lbBeforeFaultS} s of load (after ${LOAD_WARMUP_MS / 1000} s of warm-up), then endpoint ${FAULTY + 1} fails and the load goes on for the scenario's window; a fresh origin and a fresh proxy per row. ` +
      `${RESPONSE_TIMEOUT_S} s response (and connect) timeout everywhere. "failed": any answer but 200, connection errors, timeouts, of clients and probes.`,
    '',
    ...VARIANTS.map((v) => `- **${VARIANT_LABEL_MD[v]}**: ${DETECTION[v]}`),
    '',
    `**Endpoint killed** (its port stops listening, its open connections are closed; ${settings.lbFaultS.kill} s window):`,
    '',
    lbKillTable(rows('kill')),
    ...views('kill'),
    '',
    `**Endpoint hangs** (accepts connections and requests, never answers, /health included; ${settings.lbFaultS.hang} s window). "no request sent to it after": hang → the last proxied request it received; nginx OSS has no active checks, its row is passive detection (a timed-out request takes the server out):`,
    '',
    lbHangTable(rows('hang'), HANG_GOAL_S),
    ...views('hang'),
    '',
    `**Endpoint answers 503 to everything** (its /health stays 200, so only passive detection helps; ${settings.lbFaultS.errors} s window). "ejected after": fault → the first pause of ≥ ${EJECTION_GAP_MS / 1000} s in its traffic; "after the ejection" counts from then to the end. HAProxy 2.6 does not count a 503 it retries (retry-on 503) as an observe layer7 error, so it never marks the endpoint down; its retries hide the 503s from the clients, at the cost of one more attempt for every request sent there:`,
    '',
    lbErrorsTable(rows('errors')),
    ...views('errors'),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

const VARIANT_LABEL_MD: Record<Variant, string> = { nginx: 'nginx', haproxy: 'HAProxy', 'sluice-defaults': 'Sluice (defaults)', 'sluice-policy': 'Sluice (BackendTrafficPolicy)' };
