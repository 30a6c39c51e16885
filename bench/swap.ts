// Item 2: hot swap under load. wrk keeps 64 connections busy on one route while the Ingress
// file is rewritten N times, each edit moving the Exact route /probe between two backends that
// answer "a" and "b". A swap's latency runs from the file write to the first probe answered by
// the new backend (probes go back to back on one keep-alive connection, so the figure is an
// upper bound by about one probe round trip). Every non-2xx or socket error counts as failed.
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, serviceYaml } from './lib/manifests.ts';
import { freePorts, HttpClient, LOOPBACK, pollUntil, sleep } from './lib/net.ts';
import { fmt, fmtInt, table } from './lib/report.ts';
import { startSluice } from './lib/servers.ts';
import { countDelta, describeFailures, metricByLabel, metricSum } from './lib/sluice-admin.ts';
import { round, spread, type Spread } from './lib/stats.ts';
import { startWrk, type WrkResult } from './lib/wrk.ts';

export interface LoadSummary {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

export interface SwapResult {
  readonly swaps: number;
  readonly writeMode: string;
  /** Swaps whose new route was not seen within the timeout. */
  readonly timedOut: number;
  readonly latencyMs: Spread;
  readonly probes: number;
  readonly probeErrors: number;
  readonly load: LoadSummary;
  /** The same load on the same instance just before, without edits: what the swaps cost. */
  readonly loadWithoutSwaps: LoadSummary;
  /** wrk non-2xx + wrk socket errors + failed probes. Must be 0. */
  readonly failedRequests: number;
  /** sluice_requests_total during the run, by status code. */
  readonly responsesByCode: Record<string, number>;
  /** sluice_table_swaps_total during the run (from /metrics). */
  readonly tableSwaps: number;
}

const SWAP_TIMEOUT_MS = 10_000;

function swapIngress(variant: 'a' | 'b'): string {
  return ingressYaml('bench', [
    {
      host: BENCH_HOST,
      paths: [
        { path: '/', pathType: 'Prefix', service: 'origin' },
        { path: '/probe', pathType: 'Exact', service: `alt-${variant}` },
      ],
    },
  ]);
}

export async function runSwap(ctx: BenchContext): Promise<SwapResult> {
  const { settings, ws, origin, tools } = ctx;
  const [httpPort, adminPort] = await freePorts(2);
  const dir = new ManifestDir(join(ws.dir, 'swap-manifests'), settings.writeMode);
  dir.write('class.yaml', INGRESS_CLASS);
  dir.write('services.yaml', [serviceYaml('origin', [{ port: origin.port }]), serviceYaml('alt-a', [{ port: origin.altA }]), serviceYaml('alt-b', [{ port: origin.altB }])].join('\n---\n'));
  dir.write('ingress.yaml', swapIngress('a'));
  const sluice = await startSluice({ manifests: dir.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, name: 'sluice-swap' });
  const client = new HttpClient();
  try {
    let probes = 0;
    let probeErrors = 0;
    const probeIs = async (expected: string) => {
      probes++;
      try {
        const r = await client.get(httpPort!, BENCH_HOST, '/probe');
        if (r.status < 200 || r.status > 299) probeErrors++;
        return r.body === `${expected}\n`;
      } catch {
        probeErrors++;
        return false;
      }
    };
    if ((await pollUntil(() => probeIs('a'), 10_000, 10)) === undefined) throw new Error('swap: /probe never answered by backend a');
    probes = 0;
    probeErrors = 0;
    const swapsBefore = await metricSum(client, adminPort!, 'sluice_table_swaps_total');
    const codesBefore = await metricByLabel(client, adminPort!, 'sluice_requests_total', 'code');

    const wrkOptions = { wrk: tools.wrk, url: `http://${LOOPBACK}:${httpPort}/`, connections: settings.connections, cpus: settings.loadCpus, host: BENCH_HOST };
    if (settings.warmupS > 0) await startWrk({ ...wrkOptions, durationS: settings.warmupS }).done;
    const quiet = await startWrk({ ...wrkOptions, durationS: settings.durationS }).done;
    ctx.log(`swap: ${settings.swaps} route edits under wrk -c${settings.connections}`);
    const load = startWrk({ ...wrkOptions, durationS: settings.swaps * 2 + 20 });
    const latencies: number[] = [];
    let timedOut = 0;
    try {
      await sleep(1000);
      for (let i = 1; i <= settings.swaps; i++) {
        const variant = i % 2 === 1 ? 'b' : 'a';
        dir.write('ingress.yaml', swapIngress(variant));
        const ms = await pollUntil(() => probeIs(variant), SWAP_TIMEOUT_MS);
        if (ms === undefined) timedOut++;
        else latencies.push(ms);
      }
      await sleep(500);
    } finally {
      load.interrupt();
    }
    const w = await load.done;
    const tableSwaps = (await metricSum(client, adminPort!, 'sluice_table_swaps_total')) - swapsBefore;
    const responsesByCode = countDelta(codesBefore, await metricByLabel(client, adminPort!, 'sluice_requests_total', 'code'));
    const result: SwapResult = {
      swaps: settings.swaps,
      writeMode: settings.writeMode,
      timedOut,
      latencyMs: mapSpread(spread(latencies)),
      probes,
      probeErrors,
      load: summary(w),
      loadWithoutSwaps: summary(quiet),
      failedRequests: w.non2xx + w.socketErrorTotal + probeErrors,
      responsesByCode,
      tableSwaps,
    };
    ctx.log(`swap: ${result.failedRequests} failed of ${w.requests + probes}, latency p50 ${fmt(result.latencyMs.p50)} p99 ${fmt(result.latencyMs.p99)} max ${fmt(result.latencyMs.max)} ms`);
    return result;
  } finally {
    client.close();
    await sluice.group.stop();
  }
}

export function summary(w: WrkResult): LoadSummary {
  return { requests: w.requests, rps: Math.round(w.rps), p50Ms: w.p50Ms, p99Ms: w.p99Ms, non2xx: w.non2xx, socketErrors: w.socketErrorTotal };
}

function mapSpread(s: Spread): Spread {
  return { p50: round(s.p50), p99: round(s.p99), max: round(s.max), count: s.count };
}

export function swapMarkdown(r: SwapResult): string {
  return [
    '## Hot swap under load',
    '',
    `${r.swaps} Ingress edits through the file provider (file written ${r.writeMode === 'rename' ? 'by atomic rename' : 'in place'}; the Exact route /probe alternates between two backends) while \`wrk -c64\` loads another route of the same host. ` +
      'Latency: file write → first probe answered by the new backend (file watch + debounce + translate + swap).',
    '',
    table(
      ['swaps', 'seen', 'latency p50 ms', 'p99 ms', 'max ms', 'table swaps (metric)', 'requests', 'req/s under swaps (without)', 'load p50 ms (without)', 'load p99 ms (without)', 'non-2xx', 'socket errors', 'probe errors', 'failures by code (metric)', 'failed'],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
      [[String(r.swaps), String(r.swaps - r.timedOut), fmt(r.latencyMs.p50), fmt(r.latencyMs.p99), fmt(r.latencyMs.max), String(r.tableSwaps), fmtInt(r.load.requests + r.probes), `${fmtInt(r.load.rps)} (${fmtInt(r.loadWithoutSwaps.rps)})`, `${fmt(r.load.p50Ms)} (${fmt(r.loadWithoutSwaps.p50Ms)})`, `${fmt(r.load.p99Ms)} (${fmt(r.loadWithoutSwaps.p99Ms)})`, String(r.load.non2xx), String(r.load.socketErrors), String(r.probeErrors), describeFailures(r.responsesByCode), `**${r.failedRequests}**`]],
    ),
  ].join('\n');
}
