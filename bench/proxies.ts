// Item 1: Sluice beside nginx, HAProxy, the two Node peers (a hand-written node:http + undici
// proxy, "the Node ceiling", and fastify + @fastify/http-proxy) and the origin itself, one worker
// each, for a tiny and a 16 KiB body. Each proxy warms up until its req/s settles, then the rounds
// are interleaved (A B C … A B C …) so slow drift of the machine hits every proxy alike; the medians
// are reported, with the coefficient of variation of req/s across rounds. Then a fixed-rate phase:
// the same constant offered rate (FIXED_RATE_SHARE of Sluice's capacity) to every proxy, from an
// open-model generator (oha), for the latency a user sees below saturation.
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { groupCpuSplit, groupCpuTicks, groupRssMiB, usPerRequest } from './lib/processes.ts';
import { startHaproxy, startNginxProxy, startNodePeer, startSluice, type Server } from './lib/servers.ts';
import { FIXED_RATE_SHARE, SETTLE_PCT } from './lib/settings.ts';
import { coefficientOfVariation, median, round } from './lib/stats.ts';
import { coreTimes, coreUsage, type CoreTimes } from './lib/system.ts';
import { type FixedRateResult, runOha } from './lib/oha.ts';
import { startWrk, type WrkResult } from './lib/wrk.ts';

export type ProxyName = 'sluice' | 'nginx' | 'haproxy' | 'node-proxy' | 'fastify-proxy' | 'origin';
export type BodyName = 'small' | '16k';
const BODY_PATH: Record<BodyName, string> = { small: '/', '16k': '/16k' };

interface Target {
  /** Row label: the proxy, or "sluice-w2" / "nginx-w2" for the multi-worker extras. */
  readonly label: string;
  readonly proxy: ProxyName;
  readonly workers: number;
  readonly cpus: string;
  readonly server: Server;
}

export interface RunSample {
  readonly wrk: WrkResult;
  readonly cpuUsPerReq: number;
  /** Of cpuUsPerReq, the kernel's (system calls and the loopback TCP stack under them). */
  readonly sysUsPerReq: number;
  readonly rssMiB: number;
  readonly upstreamConns: number;
  readonly core0BusyPct: number;
  readonly core1BusyPct: number;
  readonly stealPct: number;
  /** CPU of everything but the proxy and the origin (wrk, this orchestrator, other jobs), percent of one core. */
  readonly restCpuPct: number;
}

export interface ProxyRow {
  readonly proxy: ProxyName;
  readonly body: BodyName;
  readonly connections: number;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly ratio_vs_nginx: number;
  readonly cpu_us_per_req: number;
  /** Of cpu_us_per_req, the kernel's: what every proxy pays for the same socket calls; the rest is its own code. */
  readonly cpu_sys_us_per_req: number;
  readonly rss_mib: number;
  readonly upstream_conns: number;
  readonly non2xx: number;
  readonly socket_errors: number;
  readonly rounds: number;
  /** (max − min) / median of req/s over the rounds, percent. */
  readonly rps_spread_pct: number;
  /** Coefficient of variation of req/s over the rounds, percent (NaN with one round). */
  readonly rps_cv_pct: number;
  /** req/s of each warm-up run, in order (the last two agreed within SETTLE_PCT, or the cap was hit). */
  readonly warmup_rps: readonly number[];
  readonly core0_busy_pct: number;
  readonly core1_busy_pct: number;
  /** Highest steal time of either core over the rounds (VM noise), percent. */
  readonly steal_pct: number;
  /** Median CPU of wrk + orchestrator + other jobs during the rounds, percent of one core. */
  readonly rest_cpu_pct: number;
  readonly workers: number;
  readonly cpus: string;
  readonly label: string;
}

export interface FixedRateRow {
  readonly label: string;
  readonly proxy: ProxyName;
  readonly rate: number;
  readonly rounds: number;
  readonly achieved_rps: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly max_ms: number;
  /** Median over rounds of this proxy's p99 ÷ nginx's p99 in the same round (and likewise p99.9). */
  readonly p99_vs_nginx: number;
  readonly p999_vs_nginx: number;
  /** Each round's p99 ÷ nginx's p99 of that round, in round order. */
  readonly p99_vs_nginx_by_round: readonly number[];
  /** This proxy's median p99 ÷ nginx's median p99: the two summaries disagree when the rounds do. */
  readonly p99_medians_vs_nginx: number;
  readonly cpu_us_per_req: number;
  readonly rss_mib: number;
  readonly failed: number;
}

/** CPU ticks of the proxy's and the origin's groups, and of both cores, at one moment. */
interface CpuMark {
  readonly proxy: number;
  readonly proxySys: number;
  readonly origin: number;
  readonly cores: Map<string, CoreTimes>;
}

function markCpu(ctx: BenchContext, t: Target): CpuMark {
  const proxy = groupCpuSplit(t.server.group.pid);
  return { proxy: proxy.total, proxySys: proxy.sys, origin: t.proxy === 'origin' ? 0 : groupCpuTicks(ctx.origin.group.pid), cores: coreTimes() };
}

function cpuSince(ctx: BenchContext, t: Target, m: CpuMark, requests: number) {
  const now = markCpu(ctx, t);
  const cores = coreUsage(m.cores, now.cores);
  const proxyTicks = now.proxy - m.proxy;
  let busy = 0;
  let total = 0;
  for (const [core, a] of now.cores) {
    const b = m.cores.get(core)!;
    busy += a.busy - b.busy;
    total += a.total - b.total;
  }
  const perCore = total / Math.max(1, now.cores.size);
  return {
    cpuUsPerReq: usPerRequest(proxyTicks, requests),
    sysUsPerReq: usPerRequest(now.proxySys - m.proxySys, requests),
    core0BusyPct: cores.cpu0?.busyPct ?? NaN,
    core1BusyPct: cores.cpu1?.busyPct ?? NaN,
    stealPct: Math.max(cores.cpu0?.stealPct ?? 0, cores.cpu1?.stealPct ?? 0),
    restCpuPct: perCore > 0 ? (100 * (busy - proxyTicks - (now.origin - m.origin))) / perCore : NaN,
  };
}

async function measure(ctx: BenchContext, t: Target, body: BodyName, durationS: number): Promise<RunSample> {
  const { settings, tools, origin } = ctx;
  const mark = markCpu(ctx, t);
  const accepts0 = await origin.accepts();
  let rssMiB = 0;
  const sampler = setTimeout(() => (rssMiB = groupRssMiB(t.server.group.pid)), durationS * 500);
  const run = startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${t.server.port}${BODY_PATH[body]}`, connections: settings.connections, durationS, cpus: settings.loadCpus, host: BENCH_HOST });
  const wrk = await run.done.finally(() => clearTimeout(sampler));
  const cpu = cpuSince(ctx, t, mark, wrk.requests);
  // The origin's accept counter also counts this status request and, for the origin row, wrk's own connections.
  const upstreamConns = (await origin.accepts()) - accepts0 - 1;
  return { wrk, rssMiB, upstreamConns, ...cpu };
}

const JIT_PROXIES: ReadonlySet<ProxyName> = new Set(['sluice', 'node-proxy', 'fastify-proxy']);

/**
 * Warm-up runs until two in a row agree within SETTLE_PCT (or warmupMaxRuns); the first body's
 * warm-up (a fresh process) runs for warmupMinS at least, then until settled. Their req/s.
 */
async function warmUp(ctx: BenchContext, t: Target, body: BodyName, fresh: boolean): Promise<number[]> {
  const { warmupS, warmupMaxRuns, warmupMinS } = ctx.settings;
  const minRuns = fresh && warmupS > 0 ? Math.ceil(warmupMinS / warmupS) : 0;
  const maxRuns = minRuns + warmupMaxRuns;
  const seen: number[] = [];
  for (let i = 0; i < maxRuns; i++) {
    seen.push(Math.round((await measure(ctx, t, body, warmupS)).wrk.rps));
    const [prev, last] = seen.slice(-2);
    if (seen.length >= Math.max(2, minRuns) && Math.abs(last! - prev!) <= (SETTLE_PCT / 100) * prev!) break;
  }
  ctx.log(`warm-up ${t.label} ${body}: ${seen.map((x) => x.toLocaleString('en-US')).join(' → ')} req/s${seen.length === maxRuns ? ' (cap reached)' : ''}`);
  return seen;
}

export interface ProxyTargets {
  readonly targets: Target[];
  stop(): Promise<void>;
}

/** Starts every proxy of the comparison (and the multi-worker extras) in front of the origin. */
export async function startTargets(ctx: BenchContext): Promise<ProxyTargets> {
  const { ws, tools, origin, settings } = ctx;
  const extras = settings.extraWorkers;
  const [nginxPort, haproxyPort, nodePort, fastifyPort, ...more] = await freePorts(6 + 3 * extras.length);
  const manifests = originRouteManifests(join(ws.dir, 'proxies-manifests'), origin.port, BENCH_HOST);
  const p = settings.proxyCpus;
  const targets: Target[] = [{ label: 'origin', proxy: 'origin', workers: 1, cpus: settings.loadCpus, server: origin }];
  const stop = async () => {
    for (const t of targets) if (t.proxy !== 'origin') await t.server.group.stop();
  };
  try {
    targets.push(
      { label: 'nginx', proxy: 'nginx', workers: 1, cpus: p, server: await startNginxProxy(ws, tools, nginxPort!, origin.port, p) },
      { label: 'haproxy', proxy: 'haproxy', workers: 1, cpus: p, server: await startHaproxy(ws, tools, haproxyPort!, origin.port, p) },
      { label: 'node-proxy', proxy: 'node-proxy', workers: 1, cpus: p, server: await startNodePeer(ws, 'node-proxy', nodePort!, origin.port, p) },
      { label: 'fastify-proxy', proxy: 'fastify-proxy', workers: 1, cpus: p, server: await startNodePeer(ws, 'fastify-proxy', fastifyPort!, origin.port, p) },
    );
    const [httpPort, adminPort] = more;
    targets.push({ label: 'sluice', proxy: 'sluice', workers: 1, cpus: p, server: await startSluice({ manifests: manifests.path, httpPort: httpPort!, adminPort: adminPort!, cpus: p, workers: 1 }) });
    for (const [i, workers] of extras.entries()) {
      // More workers than the one proxy CPU: they spread over every CPU, sharing core 0 with wrk.
      const cpus = `${settings.loadCpus},${settings.proxyCpus}`;
      const [nPort, sPort, aPort] = more.slice(2 + 3 * i);
      targets.push({ label: `nginx-w${workers}`, proxy: 'nginx', workers, cpus, server: await startNginxProxy(ws, tools, nPort!, origin.port, cpus, { workers }) });
      const server = await startSluice({ manifests: manifests.path, httpPort: sPort!, adminPort: aPort!, cpus, workers, name: `sluice-w${workers}` });
      targets.push({ label: `sluice-w${workers}`, proxy: 'sluice', workers, cpus, server });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { targets, stop };
}

export interface ProxiesResult {
  readonly rows: ProxyRow[];
  /** Rows of the multi-worker extras (not part of latest.json's one-worker comparison). */
  readonly extraRows: ProxyRow[];
  /** The constant-rate phase (small body, one-worker proxies), when it ran. */
  readonly fixedRate?: { readonly rate: number; readonly durationS: number; readonly rows: FixedRateRow[] };
  readonly samples: Record<string, RunSample[]>;
}

export async function runProxies(ctx: BenchContext): Promise<ProxiesResult> {
  const { settings } = ctx;
  const { targets, stop } = await startTargets(ctx);
  const samples: Record<string, RunSample[]> = {};
  const warmups: Record<string, number[]> = {};
  let fixedRate: ProxiesResult['fixedRate'];
  try {
    for (const body of ['small', '16k'] as const) {
      // A JIT needs the long first warm-up; nginx, HAProxy and the origin compile nothing at run time.
      for (const t of targets) warmups[`${t.label}/${body}`] = await warmUp(ctx, t, body, body === 'small' && JIT_PROXIES.has(t.proxy));
      for (let r = 1; r <= settings.rounds; r++) {
        for (const t of targets) {
          const s = await measure(ctx, t, body, settings.durationS);
          (samples[`${t.label}/${body}`] ??= []).push(s);
          ctx.log(`round ${r}/${settings.rounds} ${t.label.padEnd(13)} ${body.padEnd(5)} ${Math.round(s.wrk.rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${s.wrk.p50Ms.toFixed(2)} ms  p99 ${s.wrk.p99Ms.toFixed(2)} ms  ${s.cpuUsPerReq.toFixed(1)} µs/req (kernel ${s.sysUsPerReq.toFixed(1)})  errors ${s.wrk.non2xx + s.wrk.socketErrorTotal}`);
        }
      }
      if (body === 'small' && ctx.oha) {
        const sluiceRps = median((samples['sluice/small'] ?? []).map((s) => s.wrk.rps));
        fixedRate = await runFixedRate(ctx, targets.filter((t) => t.workers === 1), Math.max(100, Math.round(FIXED_RATE_SHARE * sluiceRps)));
      }
    }
  } finally {
    await stop();
  }
  const all = targets.flatMap((t) => (['small', '16k'] as const).map((body) => summarize(t, body, samples[`${t.label}/${body}`] ?? [], warmups[`${t.label}/${body}`] ?? [], settings.connections)));
  const withRatios = all.map((row) => {
    // Each row against nginx with as many workers (nginx-wN for the N-worker extras).
    const nginx = all.find((x) => x.proxy === 'nginx' && x.workers === row.workers && x.body === row.body) ?? all.find((x) => x.label === 'nginx' && x.body === row.body);
    return { ...row, ratio_vs_nginx: nginx ? round(row.rps / nginx.rps, 3) : NaN };
  });
  return { rows: withRatios.filter((r) => r.workers === 1), extraRows: withRatios.filter((r) => r.workers !== 1), ...(fixedRate ? { fixedRate } : {}), samples };
}

/** The same offered rate to every target, interleaved rounds, median per column. */
async function runFixedRate(ctx: BenchContext, targets: readonly Target[], rate: number): Promise<NonNullable<ProxiesResult['fixedRate']>> {
  const { settings } = ctx;
  const durationS = settings.fixedRateS;
  const runs: Record<string, { v: FixedRateResult; cpuUsPerReq: number; rssMiB: number }[]> = {};
  ctx.log(`fixed rate: ${rate.toLocaleString('en-US')} req/s (${FIXED_RATE_SHARE * 100} % of Sluice's median) to every proxy, ${durationS} s each`);
  const run = (t: Target, scratch: string) => runOha({ oha: ctx.oha!, url: `http://${LOOPBACK}:${t.server.port}/`, host: BENCH_HOST, rate, durationS, connections: settings.connections, cpus: settings.loadCpus, scratch: join(ctx.ws.dir, scratch) });
  // oha's requests carry more headers than wrk's (user-agent, accept), a new shape of headers
  // object: code a Node proxy optimized under wrk deoptimizes on it and is compiled again, which
  // put 20-40 ms into the first fixed-rate second (--trace-deopt, 2026-12-07). One unrecorded run
  // each first, as the saturation rounds get a warm-up.
  for (const t of targets.filter((x) => JIT_PROXIES.has(x.proxy))) await run(t, `oha-warm-${t.label}`);
  for (let r = 1; r <= settings.fixedRateRounds; r++) {
    for (const t of targets) {
      const mark = markCpu(ctx, t);
      let rssMiB = 0;
      const sampler = setTimeout(() => (rssMiB = groupRssMiB(t.server.group.pid)), durationS * 500);
      const v = await run(t, `oha-${t.label}`).finally(() => clearTimeout(sampler));
      const { cpuUsPerReq } = cpuSince(ctx, t, mark, v.sent);
      (runs[t.label] ??= []).push({ v, cpuUsPerReq, rssMiB });
      ctx.log(`fixed-rate ${r}/${settings.fixedRateRounds} ${t.label.padEnd(13)} p50 ${v.p50Ms.toFixed(2)} ms  p99 ${v.p99Ms.toFixed(2)} ms  p99.9 ${v.p999Ms.toFixed(2)} ms  ${cpuUsPerReq.toFixed(1)} µs/req  failed ${v.failed}`);
    }
  }
  const med = (label: string, f: (x: { v: FixedRateResult; cpuUsPerReq: number; rssMiB: number }) => number) => median((runs[label] ?? []).map(f));
  // Paired within each round: a slow spell of the machine lifts nginx's tail too.
  const byRound = (label: string, f: (v: FixedRateResult) => number) => (runs[label] ?? []).map((x, i) => (runs['nginx']?.[i] ? round(f(x.v) / f(runs['nginx'][i]!.v), 2) : NaN));
  const rows = targets.map((t): FixedRateRow => {
    const p99ByRound = byRound(t.label, (v) => v.p99Ms);
    return {
      label: t.label,
      proxy: t.proxy,
      rate,
      rounds: runs[t.label]?.length ?? 0,
      achieved_rps: Math.round(med(t.label, (x) => x.v.achievedRps)),
      p50_ms: round(med(t.label, (x) => x.v.p50Ms), 3),
      p90_ms: round(med(t.label, (x) => x.v.p90Ms), 3),
      p99_ms: round(med(t.label, (x) => x.v.p99Ms), 3),
      p999_ms: round(med(t.label, (x) => x.v.p999Ms), 3),
      max_ms: round(Math.max(...(runs[t.label] ?? []).map((x) => x.v.maxMs)), 3),
      p99_vs_nginx: round(median(p99ByRound), 2),
      p999_vs_nginx: round(median(byRound(t.label, (v) => v.p999Ms)), 2),
      p99_vs_nginx_by_round: p99ByRound,
      p99_medians_vs_nginx: NaN,
      cpu_us_per_req: round(med(t.label, (x) => x.cpuUsPerReq), 1),
      rss_mib: round(Math.max(...(runs[t.label] ?? []).map((x) => x.rssMiB)), 1),
      failed: (runs[t.label] ?? []).reduce((a, x) => a + x.v.failed, 0),
    };
  });
  const nginx = rows.find((x) => x.label === 'nginx');
  return { rate, durationS, rows: rows.map((x) => ({ ...x, p99_medians_vs_nginx: nginx ? round(x.p99_ms / nginx.p99_ms, 2) : NaN })) };
}

function summarize(t: Target, body: BodyName, s: readonly RunSample[], warmup: readonly number[], connections: number): ProxyRow {
  const rps = s.map((x) => x.wrk.rps);
  const m = median(rps);
  return {
    proxy: t.proxy,
    body,
    connections,
    rps: Math.round(m),
    p50_ms: round(median(s.map((x) => x.wrk.p50Ms)), 3),
    p99_ms: round(median(s.map((x) => x.wrk.p99Ms)), 3),
    ratio_vs_nginx: NaN,
    cpu_us_per_req: round(median(s.map((x) => x.cpuUsPerReq)), 1),
    cpu_sys_us_per_req: round(median(s.map((x) => x.sysUsPerReq)), 1),
    rss_mib: round(Math.max(...s.map((x) => x.rssMiB)), 1),
    upstream_conns: Math.round(median(s.map((x) => x.upstreamConns))),
    non2xx: s.reduce((a, x) => a + x.wrk.non2xx, 0),
    socket_errors: s.reduce((a, x) => a + x.wrk.socketErrorTotal, 0),
    rounds: s.length,
    rps_spread_pct: round((100 * (Math.max(...rps) - Math.min(...rps))) / m, 1),
    rps_cv_pct: round(coefficientOfVariation(rps), 1),
    warmup_rps: warmup,
    core0_busy_pct: Math.round(median(s.map((x) => x.core0BusyPct))),
    core1_busy_pct: Math.round(median(s.map((x) => x.core1BusyPct))),
    steal_pct: round(Math.max(...s.map((x) => x.stealPct)), 1),
    rest_cpu_pct: Math.round(median(s.map((x) => x.restCpuPct))),
    workers: t.workers,
    cpus: t.cpus,
    label: t.label,
  };
}
