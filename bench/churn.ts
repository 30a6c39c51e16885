// Item 3: endpoint churn under load — a simulated rolling update through EndpointSlice files.
// Each round starts K new pods (small nginx servers on new ports), then:
//   1. new endpoints ready beside the old ones,
//   2. old endpoints ready:false, serving:true, terminating:true,
//   3. old endpoints gone from the slices,
// each step held for a dwell time under wrk load. Two ways to end the old pods:
//   "after removal": a pod exits only once Sluice no longer lists it (the goal: 0 failures);
//   "at terminating": the pod shuts down (nginx graceful quit) the moment it goes terminating,
//     as a kubelet does without a preStop delay — the endpoint update races the shutdown.
// The endpoint-update latency is file write → new state visible in /debug/routes (the
// EndpointSlice fast path: no route translation).
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, serviceYaml, type EndpointSpec } from './lib/manifests.ts';
import { freePorts, HttpClient, LOOPBACK, pollUntil, sleep } from './lib/net.ts';
import { fmt, fmtInt, table } from './lib/report.ts';
import { startPod, startSluice, type Server } from './lib/servers.ts';
import { countDelta, debugRoutes, describeFailures, metricByLabel } from './lib/sluice-admin.ts';
import { round, spread, type Spread } from './lib/stats.ts';
import { startWrk } from './lib/wrk.ts';
import { summary, type LoadSummary } from './swap.ts';

export type StopOldPods = 'after-removal' | 'at-terminating';

export interface ChurnVariantResult {
  readonly stopOldPods: StopOldPods;
  readonly rounds: number;
  readonly podsPerGeneration: number;
  readonly endpointUpdates: number;
  readonly updateTimeouts: number;
  readonly updateLatencyMs: Spread;
  readonly load: LoadSummary;
  /** sluice_upstream_errors_total during the run, by kind (connect, reset, …). */
  readonly upstreamErrors: Record<string, number>;
  /** sluice_requests_total during the run, by status code. */
  readonly responsesByCode: Record<string, number>;
  /** wrk non-2xx + socket errors. Goal 0. */
  readonly failedRequests: number;
}

export interface ChurnResult {
  readonly variants: ChurnVariantResult[];
  /** Of the "after-removal" variant: the goal is 0. */
  readonly failedRequests: number;
}

const SERVICE = 'web';
const PODS = 3;
const UPDATE_TIMEOUT_MS = 10_000;

const TERMINATING: Omit<EndpointSpec, 'port'> = { ready: false, serving: true, terminating: true };

function stateOf(e: EndpointSpec): string {
  if (e.ready ?? true) return 'ready';
  return e.terminating ? (e.serving ? 'serving-terminating' : 'terminating') : 'not-ready';
}

async function runVariant(ctx: BenchContext, stopOldPods: StopOldPods): Promise<ChurnVariantResult> {
  const { settings, ws, tools } = ctx;
  const [httpPort, adminPort] = await freePorts(2);
  const dir = new ManifestDir(join(ws.dir, `churn-${stopOldPods}`), settings.writeMode);
  dir.write('class.yaml', INGRESS_CLASS);
  dir.write('ingress.yaml', ingressYaml('bench', [{ host: BENCH_HOST, paths: [{ path: '/', pathType: 'Prefix', service: SERVICE }] }]));
  const client = new HttpClient();
  const pods = new Set<Server>();
  const latencies: number[] = [];
  let timeouts = 0;

  const startGeneration = async () => {
    const ports = await freePorts(PODS);
    const started = await Promise.all(ports.map((p) => startPod(ws, tools, p, settings.loadCpus)));
    for (const s of started) pods.add(s);
    return started;
  };
  const stopPods = async (list: readonly Server[]) => {
    // SIGQUIT: nginx's graceful shutdown (stop accepting, finish in-flight, close idle keep-alive).
    await Promise.all(list.map((s) => s.group.stop('SIGQUIT', 5000)));
    for (const s of list) pods.delete(s);
  };
  /** Writes the slices and waits until /debug/routes shows exactly these endpoints. */
  const publish = async (endpoints: readonly EndpointSpec[], measure: boolean) => {
    dir.write('service.yaml', serviceYaml(SERVICE, endpoints));
    const want = endpoints.map((e) => `${e.port}:${stateOf(e)}`).sort().join(',');
    const ms = await pollUntil(async () => {
      const routes = await debugRoutes(client, adminPort!);
      const cluster = routes.clusters.find((c) => c.service.name === SERVICE);
      return (cluster?.endpoints ?? []).map((e) => `${e.port}:${e.state}`).sort().join(',') === want;
    }, UPDATE_TIMEOUT_MS, 5);
    if (!measure) return;
    if (ms === undefined) timeouts++;
    else latencies.push(ms);
  };

  let old = await startGeneration();
  dir.write('service.yaml', serviceYaml(SERVICE, old.map((s) => ({ port: s.port }))));
  const sluice = await startSluice({ manifests: dir.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, name: 'sluice-churn' });
  try {
    await publish(old.map((s) => ({ port: s.port })), false);
    const upstreamBefore = await metricByLabel(client, adminPort!, 'sluice_upstream_errors_total', 'kind');
    const codesBefore = await metricByLabel(client, adminPort!, 'sluice_requests_total', 'code');
    ctx.log(`churn (${stopOldPods}): ${settings.churnRounds} rolling updates of ${PODS} pods under wrk -c${settings.connections}`);
    const bound = settings.churnRounds * (3 * settings.churnDwellMs + 8000) / 1000 + 20;
    const load = startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${httpPort}/`, connections: settings.connections, durationS: Math.ceil(bound), cpus: settings.loadCpus, host: BENCH_HOST });
    try {
      await sleep(1000);
      for (let r = 0; r < settings.churnRounds; r++) {
        const fresh = await startGeneration();
        const ready = fresh.map((s) => ({ port: s.port }));
        await publish([...old.map((s) => ({ port: s.port })), ...ready], true);
        await sleep(settings.churnDwellMs);
        const stopping = stopOldPods === 'at-terminating' ? stopPods(old) : Promise.resolve();
        await publish([...old.map((s) => ({ port: s.port, ...TERMINATING })), ...ready], true);
        await sleep(settings.churnDwellMs);
        await publish(ready, true);
        await sleep(settings.churnDwellMs);
        await stopping;
        if (stopOldPods === 'after-removal') await stopPods(old);
        old = fresh;
      }
      await sleep(300);
    } finally {
      load.interrupt();
    }
    const w = await load.done;
    const upstreamErrors = countDelta(upstreamBefore, await metricByLabel(client, adminPort!, 'sluice_upstream_errors_total', 'kind'));
    const responsesByCode = countDelta(codesBefore, await metricByLabel(client, adminPort!, 'sluice_requests_total', 'code'));
    const s = spread(latencies);
    const result: ChurnVariantResult = {
      stopOldPods,
      rounds: settings.churnRounds,
      podsPerGeneration: PODS,
      endpointUpdates: latencies.length + timeouts,
      updateTimeouts: timeouts,
      updateLatencyMs: { p50: round(s.p50), p99: round(s.p99), max: round(s.max), count: s.count },
      load: summary(w),
      upstreamErrors,
      responsesByCode,
      failedRequests: w.non2xx + w.socketErrorTotal,
    };
    ctx.log(`churn (${stopOldPods}): ${result.failedRequests} failed of ${w.requests}, update latency p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} ms`);
    return result;
  } finally {
    client.close();
    await sluice.group.stop();
    await stopPods([...pods]);
  }
}

export async function runChurn(ctx: BenchContext): Promise<ChurnResult> {
  const variants = [await runVariant(ctx, 'after-removal'), await runVariant(ctx, 'at-terminating')];
  return { variants, failedRequests: variants[0]!.failedRequests };
}

export function churnMarkdown(r: ChurnResult): string {
  const v0 = r.variants[0];
  return [
    '## Endpoint churn under load',
    '',
    `Rolling updates through EndpointSlice files (${v0?.podsPerGeneration ?? PODS} pods per generation): new endpoints ready → old ones ready:false, serving:true, terminating:true → old ones removed, ` +
      'each step held under `wrk -c64`. "after removal": old pods exit once Sluice no longer lists them (goal: 0 failed). ' +
      '"at terminating": old pods start a graceful shutdown the moment they go terminating (a kubelet without preStop delay). ' +
      'Update latency: file write → new endpoint states visible in /debug/routes.',
    '',
    table(
      ['old pods stop', 'rounds', 'endpoint updates', 'update p50 ms', 'p99 ms', 'max ms', 'requests', 'req/s', 'load p50 ms', 'load p99 ms', 'non-2xx', 'socket errors', 'failures by code (metric)', 'upstream errors by kind (metric)', 'failed'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l', 'r'],
      r.variants.map((v) => [
        v.stopOldPods === 'after-removal' ? 'after removal' : 'at terminating',
        String(v.rounds),
        `${v.endpointUpdates - v.updateTimeouts}/${v.endpointUpdates}`,
        fmt(v.updateLatencyMs.p50),
        fmt(v.updateLatencyMs.p99),
        fmt(v.updateLatencyMs.max),
        fmtInt(v.load.requests),
        fmtInt(v.load.rps),
        fmt(v.load.p50Ms),
        fmt(v.load.p99Ms),
        String(v.load.non2xx),
        String(v.load.socketErrors),
        describeFailures(v.responsesByCode),
        Object.entries(v.upstreamErrors).map(([k, n]) => `${k}×${n}`).join(', ') || '—',
        `**${v.failedRequests}**`,
      ]),
    ),
  ].join('\n');
}
