// Item 1: Sluice beside nginx and haproxy (one worker each, on the proxy CPU) and the origin
// itself, for a tiny and a 16 KiB body. Interleaved rounds (A B C D A B C D …) so slow drift
// of the machine hits every proxy alike; the medians are reported.
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, serviceYaml } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { groupCpuTicks, groupRssMiB, CLOCK_TICKS_PER_SECOND } from './lib/processes.ts';
import { startHaproxy, startNginxProxy, startSluice, type Server } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';
import { coreTimes, coreUsage } from './lib/system.ts';
import { startWrk, type WrkResult } from './lib/wrk.ts';

export type ProxyName = 'sluice' | 'nginx' | 'haproxy' | 'origin';
export type BodyName = 'small' | '16k';
const BODY_PATH: Record<BodyName, string> = { small: '/', '16k': '/16k' };

interface Target {
  /** Row label: the proxy, or "sluice-w2" for the multi-worker extra. */
  readonly label: string;
  readonly proxy: ProxyName;
  readonly workers: number;
  readonly cpus: string;
  readonly server: Server;
}

export interface RunSample {
  readonly wrk: WrkResult;
  readonly cpuUsPerReq: number;
  readonly rssMiB: number;
  readonly upstreamConns: number;
  readonly core0BusyPct: number;
  readonly core1BusyPct: number;
  readonly stealPct: number;
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
  readonly rss_mib: number;
  readonly upstream_conns: number;
  readonly non2xx: number;
  readonly socket_errors: number;
  readonly rounds: number;
  /** (max − min) / median of req/s over the rounds, percent. */
  readonly rps_spread_pct: number;
  readonly core0_busy_pct: number;
  readonly core1_busy_pct: number;
  /** Highest steal time of either core over the rounds (VM noise), percent. */
  readonly steal_pct: number;
  readonly workers: number;
  readonly cpus: string;
  readonly label: string;
}

async function measure(ctx: BenchContext, t: Target, body: BodyName, durationS: number): Promise<RunSample> {
  const { settings, tools, origin } = ctx;
  const pgid = t.server.group.pid;
  const ticks0 = groupCpuTicks(pgid);
  const cores0 = coreTimes();
  const accepts0 = await origin.accepts();
  let rssMiB = 0;
  const sampler = setTimeout(() => (rssMiB = groupRssMiB(pgid)), durationS * 500);
  const run = startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${t.server.port}${BODY_PATH[body]}`, connections: settings.connections, durationS, cpus: settings.loadCpus, host: BENCH_HOST });
  const wrk = await run.done.finally(() => clearTimeout(sampler));
  const ticks = groupCpuTicks(pgid) - ticks0;
  const cores = coreUsage(cores0, coreTimes());
  // The origin's accept counter also counts this status request and, for the origin row, wrk's own connections.
  const upstreamConns = (await origin.accepts()) - accepts0 - 1;
  return {
    wrk,
    cpuUsPerReq: wrk.requests > 0 ? (ticks * (1e6 / CLOCK_TICKS_PER_SECOND)) / wrk.requests : NaN,
    rssMiB,
    upstreamConns,
    core0BusyPct: cores.cpu0?.busyPct ?? NaN,
    core1BusyPct: cores.cpu1?.busyPct ?? NaN,
    stealPct: Math.max(cores.cpu0?.stealPct ?? 0, cores.cpu1?.stealPct ?? 0),
  };
}

async function startTargets(ctx: BenchContext): Promise<Target[]> {
  const { ws, tools, origin, settings } = ctx;
  const [nginxPort, haproxyPort, ...sluicePorts] = await freePorts(2 + 2 * (1 + settings.extraWorkers.length));
  const manifests = new ManifestDir(join(ws.dir, 'proxies-manifests'));
  manifests.write('class.yaml', INGRESS_CLASS);
  manifests.write('origin.yaml', serviceYaml('origin', [{ port: origin.port }]));
  manifests.write('ingress.yaml', ingressYaml('bench', [{ host: BENCH_HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'origin' }] }]));
  const p = settings.proxyCpus;
  const targets: Target[] = [
    { label: 'origin', proxy: 'origin', workers: 1, cpus: settings.loadCpus, server: origin },
    { label: 'nginx', proxy: 'nginx', workers: 1, cpus: p, server: await startNginxProxy(ws, tools, nginxPort!, origin.port, p) },
    { label: 'haproxy', proxy: 'haproxy', workers: 1, cpus: p, server: await startHaproxy(ws, tools, haproxyPort!, origin.port, p) },
  ];
  const sluice = await startSluice({ manifests: manifests.path, httpPort: sluicePorts[0]!, adminPort: sluicePorts[1]!, cpus: p, workers: 1 });
  targets.push({ label: 'sluice', proxy: 'sluice', workers: 1, cpus: p, server: sluice });
  for (const [i, workers] of settings.extraWorkers.entries()) {
    // More workers than the one proxy CPU: they spread over every CPU, sharing core 0 with wrk.
    const cpus = `${settings.loadCpus},${settings.proxyCpus}`;
    const server = await startSluice({ manifests: manifests.path, httpPort: sluicePorts[2 + 2 * i]!, adminPort: sluicePorts[3 + 2 * i]!, cpus, workers, name: `sluice-w${workers}` });
    targets.push({ label: `sluice-w${workers}`, proxy: 'sluice', workers, cpus, server });
  }
  return targets;
}

export interface ProxiesResult {
  readonly rows: ProxyRow[];
  /** Rows of the multi-worker extras (not part of latest.json's one-worker comparison). */
  readonly extraRows: ProxyRow[];
  readonly samples: Record<string, RunSample[]>;
}

export async function runProxies(ctx: BenchContext): Promise<ProxiesResult> {
  const { settings } = ctx;
  const targets = await startTargets(ctx);
  const samples: Record<string, RunSample[]> = {};
  try {
    for (const body of ['small', '16k'] as const) {
      if (settings.warmupS > 0) {
        for (const t of targets) {
          ctx.log(`warm-up ${t.label} ${body} ${settings.warmupS}s`);
          await measure(ctx, t, body, settings.warmupS);
        }
      }
      for (let r = 1; r <= settings.rounds; r++) {
        for (const t of targets) {
          const s = await measure(ctx, t, body, settings.durationS);
          (samples[`${t.label}/${body}`] ??= []).push(s);
          ctx.log(`round ${r}/${settings.rounds} ${t.label.padEnd(9)} ${body.padEnd(5)} ${Math.round(s.wrk.rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${s.wrk.p50Ms.toFixed(2)} ms  p99 ${s.wrk.p99Ms.toFixed(2)} ms  ${s.cpuUsPerReq.toFixed(1)} µs/req  errors ${s.wrk.non2xx + s.wrk.socketErrorTotal}`);
        }
      }
    }
  } finally {
    for (const t of targets) if (t.proxy !== 'origin') await t.server.group.stop();
  }
  const all = targets.flatMap((t) => (['small', '16k'] as const).map((body) => summarize(t, body, samples[`${t.label}/${body}`] ?? [], settings.connections)));
  const withRatios = all.map((row) => {
    const nginx = all.find((x) => x.proxy === 'nginx' && x.body === row.body);
    return { ...row, ratio_vs_nginx: nginx ? round(row.rps / nginx.rps, 3) : NaN };
  });
  return { rows: withRatios.filter((r) => r.workers === 1), extraRows: withRatios.filter((r) => r.workers !== 1), samples };
}

function summarize(t: Target, body: BodyName, s: readonly RunSample[], connections: number): ProxyRow {
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
    rss_mib: round(Math.max(...s.map((x) => x.rssMiB)), 1),
    upstream_conns: Math.round(median(s.map((x) => x.upstreamConns))),
    non2xx: s.reduce((a, x) => a + x.wrk.non2xx, 0),
    socket_errors: s.reduce((a, x) => a + x.wrk.socketErrorTotal, 0),
    rounds: s.length,
    rps_spread_pct: round((100 * (Math.max(...rps) - Math.min(...rps))) / m, 1),
    core0_busy_pct: Math.round(median(s.map((x) => x.core0BusyPct))),
    core1_busy_pct: Math.round(median(s.map((x) => x.core1BusyPct))),
    steal_pct: round(Math.max(...s.map((x) => x.stealPct)), 1),
    workers: t.workers,
    cpus: t.cpus,
    label: t.label,
  };
}
