// `npm run bench [-- --quick | --smoke]`: installs the tools if missing, starts one origin,
// then runs the parts — proxies side by side, hot swap under load, endpoint churn under load,
// scale, the control plane beside the data plane, load balancing (lb), access log and compression cost — and writes bench/results/latest.{md,json}
// (smoke: smoke.{md,json}).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessLogMarkdown, runAccessLog, type AccessLogResult } from './accesslog.ts';
import { runChurn, churnMarkdown, type ChurnResult } from './churn.ts';
import { compressionMarkdown, runCompression, type CompressionResult } from './compression.ts';
import { controlPlaneMarkdown, runControlPlane, type ControlPlaneResult } from './controlplane.ts';
import type { BenchContext } from './lib/context.ts';
import { ensureTools, toolVersions } from './lib/install.ts';
import { lbMarkdown, runLb, type LbResult } from './lb.ts';
import { freePorts } from './lib/net.ts';
import { installCleanup, pinSelf, runCommand, stopAll } from './lib/processes.ts';
import { proxiesTable } from './lib/report.ts';
import { REPO_ROOT, startOrigin, Workspace } from './lib/servers.ts';
import { ALL_PARTS, parseSettings } from './lib/settings.ts';
import { formatLoad, loadAverage, machine } from './lib/system.ts';
import { runProxies, type ProxiesResult } from './proxies.ts';
import { runScale, scaleMarkdown, type ScaleResult } from './scale.ts';
import { runSwap, swapMarkdown, type SwapResult } from './swap.ts';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
/** Above this 1-minute load average something else is using the 2 cores: numbers are distorted. */
const BUSY_LOAD = 0.7;

/** Which Sluice was measured: the commit, "+dirty" when src/ has uncommitted changes. */
async function sluiceRevision(): Promise<string> {
  const head = await runCommand('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], 5000).catch(() => ({ output: 'unknown' }));
  const dirty = await runCommand('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], 5000).catch(() => ({ output: '' }));
  return `${head.output.trim()}${dirty.output.trim() ? '+dirty' : ''}`;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const ws = new Workspace();
  installCleanup(() => ws.remove());
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  log(`mode ${settings.mode}, load average ${formatLoad(loadAtStart)}${loadAtStart[0] > BUSY_LOAD ? ' — the machine is busy, numbers will be distorted' : ''}`);

  const tools = await ensureTools(log);
  const versions = { sluice: await sluiceRevision(), ...(await toolVersions(tools)) };
  // The orchestrator (and the probes it sends) stays off the proxy CPU.
  await pinSelf(settings.loadCpus);

  const [main, altA, altB] = await freePorts(3);
  const origin = await startOrigin(ws, tools, { main: main!, altA: altA!, altB: altB! }, settings.loadCpus);
  const ctx: BenchContext = { settings, tools, ws, origin, log };

  let proxies: ProxiesResult | undefined;
  let swap: SwapResult | undefined;
  let churn: ChurnResult | undefined;
  let scale: ScaleResult | undefined;
  let controlPlane: ControlPlaneResult | undefined;
  let lb: LbResult | undefined;
  let accessLog: AccessLogResult | undefined;
  let compression: CompressionResult | undefined;
  try {
    if (settings.parts.has('proxies')) proxies = await runProxies(ctx);
    if (settings.parts.has('swap')) swap = await runSwap(ctx);
    if (settings.parts.has('churn')) churn = await runChurn(ctx);
    if (settings.parts.has('scale')) scale = await runScale(ctx);
    if (settings.parts.has('controlplane')) controlPlane = await runControlPlane(ctx);
    if (settings.parts.has('lb')) lb = await runLb(ctx, versions.sluice);
    if (settings.parts.has('accesslog')) accessLog = await runAccessLog(ctx);
    if (settings.parts.has('compression')) compression = await runCompression(ctx);
  } finally {
    await stopAll();
    ws.remove();
  }

  const loadAtEnd = loadAverage();
  const m = machine();
  const busy = Math.max(loadAtStart[0], loadAtEnd[0]) > BUSY_LOAD;
  const md: string[] = [
    `# Sluice benchmark (${settings.mode})`,
    '',
    `${startedAt.toISOString()} · ${m.cores} × ${m.cpu}, ${m.memGiB} GiB · Sluice ${versions.sluice}, Node ${versions.node}, nginx ${versions.nginx}, HAProxy ${versions.haproxy}, wrk ${versions.wrk}`,
    '',
    `Load average (1/5/15 min) at start **${formatLoad(loadAtStart)}**, at end **${formatLoad(loadAtEnd)}**.${busy ? ' **Other jobs were running: the numbers are distorted (compare ratios within this run only).**' : ''}`,
    '',
  ];
  if (proxies) {
    md.push(
      `## Proxies side by side`,
      '',
      `\`wrk -t1 -c${settings.connections} -d${settings.durationS}s\`, keep-alive; each proxy with one worker pinned to CPU ${settings.proxyCpus}, wrk and the origin on CPU ${settings.loadCpus}; ` +
        `${settings.warmupS > 0 ? `${settings.warmupS} s warm-up, ` : ''}${settings.rounds} interleaved round(s), median. small = "ok\\n" (3 B), 16k = 16384 B.`,
      '',
      proxiesTable([...proxies.rows, ...proxies.extraRows]),
      '',
    );
  }
  if (swap) md.push(swapMarkdown(swap), '');
  if (churn) md.push(churnMarkdown(churn), '');
  if (scale) md.push(scaleMarkdown(scale), '');
  if (controlPlane) md.push(controlPlaneMarkdown(controlPlane), '');
  if (lb) md.push(lbMarkdown(lb, settings), '');
  if (accessLog) md.push(accessLogMarkdown(accessLog), '');
  if (compression) md.push(compressionMarkdown(compression), '');
  const markdown = md.join('\n');
  process.stdout.write(`\n${markdown}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  // latest.* is the newest complete quick or full run; full.* / quick.* keep the newest of each mode.
  // A run of some parts only (--only) must not replace a complete report: it goes to partial.*.
  const complete = settings.parts.size === ALL_PARTS.length;
  const bases = settings.mode === 'smoke' ? ['smoke'] : complete ? ['latest', settings.mode] : ['partial'];
  const details = { mode: settings.mode, startedAt, machine: m, versions, loadAverage: { start: loadAtStart, end: loadAtEnd }, proxies: proxies && { rows: proxies.rows, extraRows: proxies.extraRows }, swap, churn, scale, controlPlane, lb, accessLog, compression };
  for (const base of bases) {
    writeFileSync(join(RESULTS_DIR, `${base}.md`), `${markdown}\n`);
    if (proxies) writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(proxies.rows, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, `${base}-details.json`), `${JSON.stringify(details, null, 2)}\n`);
  }
  log(`wrote ${bases.map((b) => `bench/results/${b}.{md,json}, ${b}-details.json`).join('; ')}`);

  const failures = [swap && swap.failedRequests > 0 && `${swap.failedRequests} failed requests during swaps`, churn && churn.failedRequests > 0 && `${churn.failedRequests} failed requests during churn`].filter(Boolean);
  if (settings.mode === 'smoke' && failures.length > 0) {
    log(`smoke failed: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch(async (err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await stopAll();
  process.exit(1);
});
