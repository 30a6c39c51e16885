// Item 4: scale. For 10, 1 000 and 10 000 Ingress rules (rule i: host h<i>.scale.bench, Prefix
// path /p<i>, 100 rules per Ingress, spread over 10 Services that all point at the origin):
//   - in-process, from dist/: snapshot build, translate(), CompiledTable compile, and a route
//     lookup micro-benchmark (median of several iterations);
//   - a running Sluice with that table: time to ready, RSS idle and under load, and proxied
//     latency at moderate load (wrk -c8, a Lua script walking all hosts with a prime stride so
//     every request names another host); one Sluice per size, loaded in interleaved rounds.
// Lookup cost must stay flat: the report gives the 10 000 / 10 latency ratio (goal ≤ 1.2).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './lib/context.ts';
import { NAMESPACE, ManifestDir } from './lib/manifests.ts';
import { freePorts, LOOPBACK, sleep } from './lib/net.ts';
import { groupRssMiB } from './lib/processes.ts';
import { fmt, fmtInt, table } from './lib/report.ts';
import { REPO_ROOT, startSluice, type SluiceServer } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';
import { startWrk, type WrkResult } from './lib/wrk.ts';

const RULES_PER_INGRESS = 100;
const SERVICES = 10;
/** Prime, so the walk (i += STRIDE mod n) visits every host for n = 10, 1 000, 10 000. */
const STRIDE = 7919;
const LOOKUPS = 200_000;

export interface ScaleRow {
  readonly rules: number;
  readonly snapshot_ms: number;
  readonly translate_ms: number;
  readonly compile_ms: number;
  /** In-process ListenerRouter.match() cost per lookup, hosts walked with the stride. */
  readonly lookup_ns: number;
  readonly startup_ms: number;
  readonly rss_idle_mib: number;
  readonly rss_load_mib: number;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly non2xx: number;
  readonly socket_errors: number;
}

export interface ScaleResult {
  readonly connections: number;
  readonly rounds: number;
  readonly rows: ScaleRow[];
  /** Largest / smallest size, proxied p50 and p99 latency (goal ≤ 1.2). */
  readonly latencyRatioP50: number;
  readonly latencyRatioP99: number;
  readonly lookupRatio: number;
}

const host = (i: number) => `h${i}.scale.bench`;

function objects(rules: number, originPort: number) {
  const ingressClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'sluice' }, spec: { controller: 'sluice.dev/ingress-controller' } };
  const services = [];
  const slices = [];
  for (let s = 0; s < SERVICES; s++) {
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${s}`, namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80 }] } });
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `s${s}-0`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': `s${s}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: originPort }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    });
  }
  const ingresses = [];
  for (let first = 0; first < rules; first += RULES_PER_INGRESS) {
    const list = [];
    for (let i = first; i < Math.min(rules, first + RULES_PER_INGRESS); i++) {
      list.push({ host: host(i), http: { paths: [{ path: `/p${i}`, pathType: 'Prefix', backend: { service: { name: `s${i % SERVICES}`, port: { number: 80 } } } }] } });
    }
    ingresses.push({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `scale-${first / RULES_PER_INGRESS}`, namespace: NAMESPACE }, spec: { ingressClassName: 'sluice', rules: list } });
  }
  return { IngressClass: [ingressClass], Service: services, EndpointSlice: slices, Ingress: ingresses };
}

/** Manifest files as JSON documents (JSON is YAML): one file per Ingress, one for the rest. */
function writeManifests(dir: ManifestDir, objs: ReturnType<typeof objects>): void {
  const docs = (list: readonly unknown[]) => list.map((o) => JSON.stringify(o)).join('\n---\n');
  dir.write('base.yaml', docs([...objs.IngressClass, ...objs.Service, ...objs.EndpointSlice]));
  objs.Ingress.forEach((ing, i) => dir.write(`ingress-${i}.yaml`, docs([ing])));
}

function luaScript(rules: number): string {
  return `-- Every request names another of the ${rules} hosts (prime stride walk), with its own path.
local n = ${rules}
local reqs = {}
for i = 0, n - 1 do
  reqs[i + 1] = wrk.format("GET", "/p" .. i, { ["Host"] = "h" .. i .. ".scale.bench" })
end
local idx = 0
request = function()
  idx = (idx + ${STRIDE}) % n
  return reqs[idx + 1]
end
`;
}

interface DistModules {
  snapshotOf(objects: unknown): unknown;
  translate(snapshot: unknown, options: { ingressClass: string }): { table: unknown; diagnostics: readonly unknown[] };
  CompiledTable: new (table: unknown, generation: number) => { router(key: string): { match(host: string, req: unknown): unknown } | undefined };
  listenerKey(address: string | undefined, port: number): string;
}

async function loadDist(): Promise<DistModules> {
  const load = (p: string) => import(pathToFileURL(join(REPO_ROOT, 'dist', p)).href) as Promise<Record<string, unknown>>;
  const [snapshot, translate, compiled] = await Promise.all([load('store/snapshot.js'), load('translate/translate.js'), load('dataplane/compiled.js')]);
  return { snapshotOf: snapshot.snapshotOf, translate: translate.translate, CompiledTable: compiled.CompiledTable, listenerKey: compiled.listenerKey } as DistModules;
}

function timeMs<T>(fn: () => T): [number, T] {
  const t0 = performance.now();
  const v = fn();
  return [performance.now() - t0, v];
}

function inProcess(dist: DistModules, rules: number, originPort: number, iterations: number) {
  const objs = objects(rules, originPort);
  const snap: number[] = [];
  const tr: number[] = [];
  const comp: number[] = [];
  let compiled: InstanceType<DistModules['CompiledTable']> | undefined;
  for (let it = 0; it < iterations; it++) {
    const [s, snapshot] = timeMs(() => dist.snapshotOf(objs));
    const [t, result] = timeMs(() => dist.translate(snapshot, { ingressClass: 'sluice' }));
    if (it === 0 && result.diagnostics.length > 0) throw new Error(`scale ${rules}: translate reported ${result.diagnostics.length} diagnostics, e.g. ${JSON.stringify(result.diagnostics[0])}`);
    const [c, table] = timeMs(() => new dist.CompiledTable(result.table, it + 1));
    snap.push(s);
    tr.push(t);
    comp.push(c);
    compiled = table;
  }
  return { objs, snapshotMs: median(snap), translateMs: median(tr), compileMs: median(comp), lookupNs: lookupCost(dist, compiled!, rules) };
}

/** ns per router lookup, walking hosts like the wrk script does; NaN if the router API moved. */
function lookupCost(dist: DistModules, compiled: InstanceType<DistModules['CompiledTable']>, rules: number): number {
  try {
    const router = compiled.router(dist.listenerKey(undefined, 80));
    if (!router) return NaN;
    const reqs = Array.from({ length: rules }, (_, i) => ({ host: host(i), facts: { method: 'GET', path: `/p${i}`, query: '', headers: {} } }));
    let idx = 0;
    const walk = (n: number) => {
      for (let k = 0; k < n; k++) {
        idx = (idx + STRIDE) % rules;
        const r = reqs[idx]!;
        if (!router.match(r.host, r.facts)) throw new Error(`no route for ${r.host}`);
      }
    };
    walk(LOOKUPS / 4); // warm up the JIT
    const t0 = process.hrtime.bigint();
    walk(LOOKUPS);
    return Number(process.hrtime.bigint() - t0) / LOOKUPS;
  } catch {
    return NaN;
  }
}

interface SizeUnderTest {
  readonly rules: number;
  readonly inProcess: ReturnType<typeof inProcess>;
  readonly sluice: SluiceServer;
  readonly startupMs: number;
  readonly rssIdleMiB: number;
  readonly script: string;
  readonly runs: { wrk: WrkResult; rssMiB: number }[];
}

/** Starts a Sluice holding `rules` rules; measures the in-process costs on the way. */
async function prepareSize(ctx: BenchContext, dist: DistModules, rules: number): Promise<SizeUnderTest> {
  const { settings, ws, origin } = ctx;
  const iterations = rules >= 10_000 ? settings.translateIterations : settings.translateIterations * 3;
  const ip = inProcess(dist, rules, origin.port, iterations);
  const dir = new ManifestDir(join(ws.dir, `scale-${rules}`));
  writeManifests(dir, ip.objs);
  const [httpPort, adminPort] = await freePorts(2);
  const t0 = performance.now();
  const sluice = await startSluice({ manifests: dir.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, readyTimeoutMs: 180_000, name: `sluice-scale-${rules}` });
  const startupMs = performance.now() - t0;
  await sleep(500);
  return { rules, inProcess: ip, sluice, startupMs, rssIdleMiB: groupRssMiB(sluice.group.pid), script: ws.file(`scale-${rules}.lua`, luaScript(rules)), runs: [] };
}

async function load(ctx: BenchContext, size: SizeUnderTest, durationS: number): Promise<{ wrk: WrkResult; rssMiB: number }> {
  const { settings, tools } = ctx;
  let rssMiB = 0;
  const sampler = setTimeout(() => (rssMiB = groupRssMiB(size.sluice.group.pid)), durationS * 500);
  const wrk = await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${size.sluice.port}/`, connections: settings.scaleConnections, cpus: settings.loadCpus, script: size.script, durationS }).done.finally(() => clearTimeout(sampler));
  return { wrk, rssMiB };
}

function toRow(size: SizeUnderTest): ScaleRow {
  const ip = size.inProcess;
  const runs = size.runs;
  return {
    rules: size.rules,
    snapshot_ms: round(ip.snapshotMs, 2),
    translate_ms: round(ip.translateMs, 2),
    compile_ms: round(ip.compileMs, 2),
    lookup_ns: round(ip.lookupNs, 0),
    startup_ms: Math.round(size.startupMs),
    rss_idle_mib: round(size.rssIdleMiB, 1),
    rss_load_mib: round(Math.max(...runs.map((r) => r.rssMiB)), 1),
    rps: Math.round(median(runs.map((r) => r.wrk.rps))),
    p50_ms: round(median(runs.map((r) => r.wrk.p50Ms)), 3),
    p99_ms: round(median(runs.map((r) => r.wrk.p99Ms)), 3),
    non2xx: runs.reduce((a, r) => a + r.wrk.non2xx, 0),
    socket_errors: runs.reduce((a, r) => a + r.wrk.socketErrorTotal, 0),
  };
}

export async function runScale(ctx: BenchContext): Promise<ScaleResult> {
  const { settings } = ctx;
  const dist = await loadDist();
  const sizes: SizeUnderTest[] = [];
  try {
    // All sizes run side by side, loaded in interleaved rounds like the proxies: drift of the
    // machine then hits every size alike, which matters for a ratio.
    for (const rules of settings.scaleSizes) {
      const size = await prepareSize(ctx, dist, rules);
      sizes.push(size);
      ctx.log(`scale ${rules}: translate ${fmt(size.inProcess.translateMs)} ms, compile ${fmt(size.inProcess.compileMs)} ms, lookup ${Math.round(size.inProcess.lookupNs)} ns, ready in ${Math.round(size.startupMs)} ms, RSS ${size.rssIdleMiB.toFixed(1)} MiB`);
    }
    if (settings.warmupS > 0) for (const size of sizes) await load(ctx, size, settings.warmupS);
    for (let r = 1; r <= settings.rounds; r++) {
      for (const size of sizes) {
        const run = await load(ctx, size, settings.scaleDurationS);
        size.runs.push(run);
        ctx.log(`scale round ${r}/${settings.rounds} ${fmtInt(size.rules).padStart(6)} rules: ${fmtInt(run.wrk.rps)} req/s p50 ${fmt(run.wrk.p50Ms)} p99 ${fmt(run.wrk.p99Ms)} ms, errors ${run.wrk.non2xx + run.wrk.socketErrorTotal}`);
      }
    }
  } finally {
    for (const size of sizes) await size.sluice.group.stop();
  }
  const rows = sizes.map(toRow);
  const small = rows[0]!;
  const large = rows[rows.length - 1]!;
  return {
    connections: settings.scaleConnections,
    rounds: settings.rounds,
    rows,
    latencyRatioP50: round(large.p50_ms / small.p50_ms, 3),
    latencyRatioP99: round(large.p99_ms / small.p99_ms, 3),
    lookupRatio: round(large.lookup_ns / small.lookup_ns, 3),
  };
}

export function scaleMarkdown(r: ScaleResult): string {
  const first = r.rows[0];
  const last = r.rows[r.rows.length - 1];
  return [
    '## Scale',
    '',
    `Rule i: host h<i>.scale.bench, Prefix /p<i>; 100 rules per Ingress, 10 Services. snapshot/translate/compile/lookup: in-process from dist/, median. ` +
      `Latency: a running Sluice per size (one worker), \`wrk -t1 -c${r.connections}\` (moderate load), every request to another host; ${r.rounds} interleaved round(s), median.`,
    '',
    table(
      ['rules', 'snapshot ms', 'translate ms', 'compile ms', 'lookup ns', 'ready after ms', 'RSS idle MiB', 'RSS load MiB', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      r.rows.map((x) => [fmtInt(x.rules), fmt(x.snapshot_ms), fmt(x.translate_ms), fmt(x.compile_ms), fmtInt(x.lookup_ns), fmtInt(x.startup_ms), fmt(x.rss_idle_mib, 1), fmt(x.rss_load_mib, 1), fmtInt(x.rps), fmt(x.p50_ms), fmt(x.p99_ms), String(x.non2xx + x.socket_errors)]),
    ),
    '',
    `${fmtInt(last?.rules ?? NaN)} / ${fmtInt(first?.rules ?? NaN)} rules: proxied p50 latency ratio **${fmt(r.latencyRatioP50)}** (goal ≤ 1.2), p99 ratio ${fmt(r.latencyRatioP99)}, in-process lookup ratio ${fmt(r.lookupRatio)}.`,
  ].join('\n');
}
