// `npm run bench [-- --quick | --smoke]`: installs the tools if missing, starts one origin,
// then runs the parts — proxies side by side, hot swap under load, endpoint churn under load,
// scale, the control plane beside the data plane, load balancing (lb), access log and compression cost — and writes bench/results/latest.{md,json}
// (smoke: smoke.{md,json}).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessLogMarkdown, runAccessLog, type AccessLogResult } from './accesslog.ts';
import { featuresMarkdown, runFeatures, type FeaturesResult } from './features.ts';
import { runChurn, churnMarkdown, type ChurnResult } from './churn.ts';
import { compressionMarkdown, runCompression, type CompressionResult } from './compression.ts';
import { requestBodyMarkdown, runRequestBody, type RequestBodyResult } from './requestbody.ts';
import { controlPlaneMarkdown, runControlPlane, type ControlPlaneResult } from './controlplane.ts';
import type { BenchContext } from './lib/context.ts';
import { ensureOha, ensureTools, OHA_VERSION, toolVersions } from './lib/install.ts';
import { lbMarkdown, runLb, type LbResult } from './lb.ts';
import { h2Markdown, runH2, type H2Result } from './h2.ts';
import { freePorts } from './lib/net.ts';
import { installCleanup, pinSelf, runCommand, stopAll } from './lib/processes.ts';
import { fixedRateTable, proxiesTable } from './lib/report.ts';
import { rateLimitMarkdown, runRateLimit, type RateLimitResult } from './ratelimit.ts';
import { REPO_ROOT, startOrigin, Workspace } from './lib/servers.ts';
import { ALL_PARTS, FIXED_RATE_SHARE, parseSettings, type Part } from './lib/settings.ts';
import { memoryMarkdown, runMemory, type MemoryResult } from './memory.ts';
import { formatLoad, loadAverage, machine } from './lib/system.ts';
import { runProxies, type ProxiesResult } from './proxies.ts';
import { runScale, scaleMarkdown, type ScaleResult } from './scale.ts';
import { runStampede, stampedeMarkdown, type StampedeResult } from './stampede.ts';
import { runSwap, swapMarkdown, type SwapResult } from './swap.ts';
import { runTls, tlsMarkdown, type TlsResult } from './tls.ts';
import { runTcp, tcpMarkdown, type TcpResult } from './tcp.ts';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
/** Above this 1-minute load average something else is using the 2 cores: numbers are distorted. */
const BUSY_LOAD = 0.7;

/** Which Sluice was measured: the commit, "+dirty" when src/ has uncommitted changes. */
async function sluiceRevision(): Promise<string> {
  const head = await runCommand('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], 5000).catch(() => ({ output: 'unknown' }));
  const dirty = await runCommand('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], 5000).catch(() => ({ output: '' }));
  return `${head.output.trim()}${dirty.output.trim() ? '+dirty' : ''}`;
}

function fmtRate(x: number): string {
  return Math.round(x).toLocaleString('en-US');
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
  const oha = settings.parts.has('proxies') || settings.parts.has('memory') ? await ensureOha(log) : undefined;
  const versions = { sluice: await sluiceRevision(), ...(await toolVersions(tools)), ...(oha ? { oha: OHA_VERSION } : {}) };
  // The orchestrator (and the probes it sends) stays off the proxy CPU.
  await pinSelf(settings.loadCpus);

  const [main, altA, altB] = await freePorts(3);
  const origin = await startOrigin(ws, tools, { main: main!, altA: altA!, altB: altB! }, settings.loadCpus);
  const ctx: BenchContext = { settings, tools, ws, origin, log, ...(oha ? { oha } : {}) };

  let proxies: ProxiesResult | undefined;
  let memory: MemoryResult | undefined;
  let swap: SwapResult | undefined;
  let churn: ChurnResult | undefined;
  let scale: ScaleResult | undefined;
  let controlPlane: ControlPlaneResult | undefined;
  let lb: LbResult | undefined;
  let accessLog: AccessLogResult | undefined;
  let features: FeaturesResult | undefined;
  let rateLimit: RateLimitResult | undefined;
  let h2: H2Result | undefined;
  let tls: TlsResult | undefined;
  let tcp: TcpResult | undefined;
  let stampede: StampedeResult | undefined;
  let compression: CompressionResult | undefined;
  let requestBody: RequestBodyResult | undefined;
  // A part that fails is reported and the others still run: one broken part must not throw
  // away the minutes of measurements before it (the run then exits non-zero).
  const failedParts: string[] = [];
  const part = async <T>(name: Part, run: () => Promise<T>): Promise<T | undefined> => {
    if (!settings.parts.has(name)) return undefined;
    try {
      return await run();
    } catch (err) {
      log(`part ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      failedParts.push(name);
      return undefined;
    }
  };
  try {
    proxies = await part('proxies', () => runProxies(ctx));
    memory = await part('memory', () => runMemory(ctx, proxies?.fixedRate?.rate));
    swap = await part('swap', () => runSwap(ctx));
    churn = await part('churn', () => runChurn(ctx));
    scale = await part('scale', () => runScale(ctx));
    controlPlane = await part('controlplane', () => runControlPlane(ctx));
    lb = await part('lb', () => runLb(ctx, versions.sluice));
    accessLog = await part('accesslog', () => runAccessLog(ctx));
    features = await part('features', () => runFeatures(ctx));
    rateLimit = await part('ratelimit', () => runRateLimit(ctx));
    h2 = await part('h2', () => runH2(ctx));
    tls = await part('tls', () => runTls(ctx));
    tcp = await part('tcp', () => runTcp(ctx));
    stampede = await part('stampede', () => runStampede(ctx));
    compression = await part('compression', () => runCompression(ctx));
    requestBody = await part('requestbody', () => runRequestBody(ctx));
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
    ...(failedParts.length > 0 ? [`**Parts that failed (see the log): ${failedParts.join(', ')}.**`, ''] : []),
  ];
  if (proxies) {
    md.push(
      `## Proxies side by side`,
      '',
      `\`wrk -t1 -c${settings.connections} -d${settings.durationS}s\`, keep-alive; each proxy with one worker pinned to CPU ${settings.proxyCpus}, wrk and the origin on CPU ${settings.loadCpus}; ` +
        `${settings.warmupMaxRuns > 0 ? `warm-up runs of ${settings.warmupS} s until two agree within 5 % (a Node proxy's first for ${settings.warmupMinS} s at least, then at most ${settings.warmupMaxRuns} more; otherwise at most ${settings.warmupMaxRuns}), ` : ''}${settings.rounds} interleaved round(s), median. small = "ok\\n" (3 B), 16k = 16384 B. ` +
        `node-proxy: hand-written node:http + undici Pool.dispatch (the Node ceiling); fastify-proxy: fastify + @fastify/http-proxy; both with Sluice's X-Forwarded-*/X-Real-IP/X-Request-Id rewriting, one process on the same Node. ` +
        `Multi-worker rows run on CPUs ${settings.loadCpus},${settings.proxyCpus} (beside wrk and the origin) and are compared with nginx of as many workers; "wrk + rest" is the CPU of everything but the proxy and the origin.`,
      '',
      proxiesTable([...proxies.rows, ...proxies.extraRows]),
      '',
    );
    if (proxies.fixedRate) {
      const f = proxies.fixedRate;
      md.push(
        `### Fixed offered rate`,
        '',
        `oha ${OHA_VERSION} (open model: requests are released on schedule whatever the answers), ${fmtRate(f.rate)} req/s = ${FIXED_RATE_SHARE * 100} % of Sluice's median small-body req/s above, the same rate to every proxy, ` +
          `${settings.connections} connections, ${f.durationS} s × ${settings.fixedRateRounds} interleaved round(s), median. Latency counts from each request's release (--latency-correction), so a request that waited for a connection held up by a stall is timed from when it was due. "vs nginx" is the median over rounds of the proxy's figure ÷ nginx's in the same round; "by round" lists those ratios; "median p99 ÷ nginx's" divides the two medians.`,
        '',
        fixedRateTable(f.rows),
        '',
      );
    }
  }
  if (memory) md.push(memoryMarkdown(memory), '');
  if (swap) md.push(swapMarkdown(swap), '');
  if (churn) md.push(churnMarkdown(churn), '');
  if (scale) md.push(scaleMarkdown(scale), '');
  if (controlPlane) md.push(controlPlaneMarkdown(controlPlane), '');
  if (lb) md.push(lbMarkdown(lb, settings), '');
  if (accessLog) md.push(accessLogMarkdown(accessLog), '');
  if (features) md.push(featuresMarkdown(features), '');
  if (rateLimit) md.push(rateLimitMarkdown(rateLimit), '');
  if (h2) md.push(h2Markdown(h2), '');
  if (tls) md.push(tlsMarkdown(tls), '');
  if (tcp) md.push(tcpMarkdown(tcp), '');
  if (stampede) md.push(stampedeMarkdown(stampede), '');
  if (compression) md.push(compressionMarkdown(compression), '');
  if (requestBody) md.push(requestBodyMarkdown(requestBody), '');
  const markdown = md.join('\n');
  process.stdout.write(`\n${markdown}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  // latest.* is the newest complete quick or full run; full.* / quick.* keep the newest of each mode.
  // A run of some parts only (--only) must not replace a complete report: it goes to partial.*.
  const complete = settings.parts.size === ALL_PARTS.length && failedParts.length === 0;
  const bases = settings.mode === 'smoke' ? ['smoke'] : complete ? ['latest', settings.mode] : ['partial'];
  const details = { mode: settings.mode, startedAt, machine: m, versions, loadAverage: { start: loadAtStart, end: loadAtEnd }, proxies: proxies && { rows: proxies.rows, extraRows: proxies.extraRows, fixedRate: proxies.fixedRate }, memory, swap, churn, scale, controlPlane, lb, accessLog, features, rateLimit, h2, tls, tcp, stampede, compression, requestBody };
  for (const base of bases) {
    writeFileSync(join(RESULTS_DIR, `${base}.md`), `${markdown}\n`);
    if (proxies) writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(proxies.rows, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, `${base}-details.json`), `${JSON.stringify(details, null, 2)}\n`);
  }
  log(`wrote ${bases.map((b) => `bench/results/${b}.{md,json}, ${b}-details.json`).join('; ')}`);

  const failures = [swap && swap.failedRequests > 0 && `${swap.failedRequests} failed requests during swaps`, churn && churn.failedRequests > 0 && `${churn.failedRequests} failed requests during churn`].filter(Boolean);
  if (failedParts.length > 0) {
    log(`parts failed: ${failedParts.join(', ')}`);
    process.exitCode = 1;
  }
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
