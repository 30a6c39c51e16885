// Issue 13 item 5: where Sluice's memory goes, and whether it stays put under steady load. One
// fresh Sluice (one worker) and, beside it, the hand-written Node proxy (node-proxy: what Node +
// undici cost by themselves), each with lib/peers/memory-probe.ts loaded (--import), which writes
// process.memoryUsage() of every process once a second and a heap snapshot on SIGUSR2.
// Reported: RSS idle and under the fixed rate of the proxies part, split into V8 heap, external
// and array buffers per process; RSS over the soak (--soak S) sampled every few seconds, the early
// figure against the last; a heap snapshot of the worker after the load, by constructor.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { summarizeHeapSnapshot, type HeapSummary } from './lib/heap-snapshot.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts, LOOPBACK, pollUntil, sleep } from './lib/net.ts';
import { groupMembers, groupRssMiB } from './lib/processes.ts';
import { fmt, table } from './lib/report.ts';
import { peerScript, startNodePeer, startSluice, type Server } from './lib/servers.ts';
import { FIXED_RATE_SHARE } from './lib/settings.ts';
import { round } from './lib/stats.ts';
import { type FixedRateResult, runOha } from './lib/oha.ts';
import { startWrk } from './lib/wrk.ts';

const MiB = 2 ** 20;
/** RSS is sampled this often during the soak. */
const SAMPLE_S = 5;
/** The early RSS figure: at one minute, or a third of a shorter soak. */
const EARLY_S = 60;

export interface ProcessMemory {
  readonly pid: number;
  readonly role: string;
  readonly rssMiB: number;
  /** Private (anonymous) resident memory, from /proc/PID/smaps_rollup. */
  readonly anonMiB: number;
  /** File-backed resident pages (the node binary, ICU data): shared by every process mapping them. */
  readonly fileMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
}

export interface MemoryPhase {
  /** RSS summed over the group's processes: counts the file pages they share once per process. */
  readonly groupRssMiB: number;
  /**
   * What the group holds counting shared file pages once: its private memory plus the largest
   * file-backed RSS of one process (they map the same binary). Closer to a container's working set.
   */
  readonly groupPrivatePlusFileMiB: number;
  readonly processes: readonly ProcessMemory[];
}

export interface MemoryTargetResult {
  readonly label: string;
  readonly idle: MemoryPhase;
  readonly load: MemoryPhase;
  readonly loadS: number;
  readonly timeline: readonly { readonly atS: number; readonly rssMiB: number }[];
  readonly earlyRssMiB: number;
  readonly earlyAtS: number;
  readonly lateRssMiB: number;
  readonly growthPct: number;
  readonly latency: FixedRateResult;
  readonly heap?: HeapSummary;
}

export interface MemoryResult {
  readonly rate: number;
  readonly rateSource: string;
  readonly targets: readonly MemoryTargetResult[];
}

function smaps(pid: number): { anon: number; rss: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
    return { anon: kib('Anonymous') * 1024, rss: kib('Rss') * 1024 };
  } catch {
    return { anon: NaN, rss: NaN };
  }
}

function readProbes(dir: string, pgid: number): ProcessMemory[] {
  const live = new Set(groupMembers(pgid));
  const out: ProcessMemory[] = [];
  for (const f of readdirSync(dir)) {
    if (!/^\d+\.json$/.test(f)) continue;
    const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number; role: string; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
    if (!live.has(m.pid)) continue;
    const sm = smaps(m.pid);
    out.push({ pid: m.pid, role: m.role, rssMiB: round(m.rss / MiB, 1), anonMiB: round(sm.anon / MiB, 1), fileMiB: round((sm.rss - sm.anon) / MiB, 1), heapUsedMiB: round(m.heapUsed / MiB, 1), heapTotalMiB: round(m.heapTotal / MiB, 1), externalMiB: round(m.external / MiB, 1), arrayBuffersMiB: round(m.arrayBuffers / MiB, 1) });
  }
  return out.sort((a, b) => a.role.localeCompare(b.role));
}

async function phase(dir: string, server: Server): Promise<MemoryPhase> {
  // The probes write once a second: wait for a fresh reading.
  await sleep(1200);
  const processes = readProbes(dir, server.group.pid);
  const privatePlusFile = processes.reduce((a, p) => a + p.anonMiB, 0) + Math.max(0, ...processes.map((p) => p.fileMiB));
  return { groupRssMiB: round(groupRssMiB(server.group.pid), 1), groupPrivatePlusFileMiB: round(privatePlusFile, 1), processes };
}

async function heapOf(dir: string, pid: number): Promise<HeapSummary | undefined> {
  const path = join(dir, `${pid}.heapsnapshot`);
  process.kill(pid, 'SIGUSR2');
  const done = await pollUntil(async () => existsSync(`${path}.done`), 60_000, 200);
  return done !== undefined ? summarizeHeapSnapshot(path) : undefined;
}

async function measureTarget(ctx: BenchContext, label: string, dir: string, server: Server, rate: number, loadS: number, snapshotRole: string): Promise<MemoryTargetResult> {
  const idle = await phase(dir, server);
  const timeline: { atS: number; rssMiB: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => timeline.push({ atS: Math.round((Date.now() - started) / 1000), rssMiB: round(groupRssMiB(server.group.pid), 1) }), SAMPLE_S * 1000);
  let load: MemoryPhase | undefined;
  const loadProbe = setTimeout(() => void phase(dir, server).then((p) => (load = p)), Math.max(1, loadS - 3) * 1000);
  const latency = await runOha({ oha: ctx.oha!, url: `http://${LOOPBACK}:${server.port}/`, host: BENCH_HOST, rate, durationS: loadS, connections: ctx.settings.connections, cpus: ctx.settings.loadCpus, scratch: join(dir, `oha-${label}`) }).finally(() => {
    clearInterval(sampler);
    clearTimeout(loadProbe);
  });
  load ??= await phase(dir, server);
  timeline.push({ atS: Math.round((Date.now() - started) / 1000), rssMiB: round(groupRssMiB(server.group.pid), 1) });
  const earlyAtS = Math.min(EARLY_S, Math.round(loadS / 3));
  const early = timeline.find((x) => x.atS >= earlyAtS) ?? timeline[0]!;
  const late = timeline[timeline.length - 1]!;
  const target = load.processes.find((p) => p.role === snapshotRole);
  const heap = target ? await heapOf(dir, target.pid) : undefined;
  ctx.log(`memory ${label}: idle ${idle.groupRssMiB} MiB, under ${rate} req/s ${load.groupRssMiB} MiB; RSS at ${early.atS} s ${early.rssMiB} → at ${late.atS} s ${late.rssMiB} MiB`);
  return { label, idle, load, loadS, timeline, earlyRssMiB: early.rssMiB, earlyAtS: early.atS, lateRssMiB: late.rssMiB, growthPct: round((100 * (late.rssMiB - early.rssMiB)) / early.rssMiB, 1), latency, ...(heap ? { heap } : {}) };
}

/** `rate`: the proxies part's fixed rate; measured here (40 % of one wrk run) when that part did not run. */
export async function runMemory(ctx: BenchContext, rate: number | undefined): Promise<MemoryResult> {
  const { ws, origin, settings } = ctx;
  const dir = join(ws.dir, 'memory');
  mkdirSync(dir, { recursive: true });
  const manifests = originRouteManifests(join(ws.dir, 'memory-manifests'), origin.port, BENCH_HOST);
  const [httpPort, adminPort, nodePort] = await freePorts(3);
  const nodeArgs = ['--import', peerScript(ws, 'memory-probe')];
  const env = { SLUICE_BENCH_MEMORY_DIR: dir };
  const sluice = await startSluice({ manifests: manifests.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, nodeArgs, env: { ...env, SLUICE_BENCH_MEMORY_ROLE: 'controller' } });
  const results: MemoryTargetResult[] = [];
  let rateSource = 'the proxies part';
  try {
    if (rate === undefined) {
      // Capacity from a run of its own, after the idle reading (which must see a Sluice that never had load).
      const idle = await phase(dir, sluice);
      const w = await startWrk({ wrk: ctx.tools.wrk, url: `http://${LOOPBACK}:${httpPort}/`, connections: settings.connections, durationS: Math.max(2, settings.warmupS + 2), cpus: settings.loadCpus, host: BENCH_HOST }).done;
      rate = Math.max(100, Math.round(FIXED_RATE_SHARE * w.rps));
      rateSource = `${FIXED_RATE_SHARE * 100} % of one wrk run here`;
      const r = await measureTarget(ctx, 'sluice', dir, sluice, rate, settings.soakS, 'worker');
      results.push({ ...r, idle });
    } else {
      results.push(await measureTarget(ctx, 'sluice', dir, sluice, rate, settings.soakS, 'worker'));
    }
  } finally {
    await sluice.group.stop();
  }
  const peer = await startNodePeer(ws, 'node-proxy', nodePort!, origin.port, settings.proxyCpus, { nodeArgs, env: { ...env, SLUICE_BENCH_MEMORY_ROLE: 'process' } });
  try {
    results.push(await measureTarget(ctx, 'node-proxy', dir, peer, rate, Math.min(settings.soakS, 20), 'process'));
  } finally {
    await peer.group.stop();
  }
  return { rate, rateSource, targets: results };
}

export function memoryMarkdown(r: MemoryResult): string {
  const procRows = r.targets.flatMap((t) =>
    (['idle', 'load'] as const).flatMap((when) => {
      const p = t[when];
      return [
        [t.label, when === 'idle' ? 'idle' : `${r.rate.toLocaleString('en-US')} req/s`, 'group', fmt(p.groupRssMiB, 1), `${fmt(p.groupPrivatePlusFileMiB, 1)} (Σ private + file once)`, '', '', '', '', '', ''],
        ...p.processes.map((x) => [t.label, when === 'idle' ? 'idle' : `${r.rate.toLocaleString('en-US')} req/s`, x.role, fmt(x.rssMiB, 1), fmt(x.anonMiB, 1), fmt(x.fileMiB, 1), fmt(x.heapUsedMiB, 1), fmt(x.heapTotalMiB, 1), fmt(x.externalMiB, 1), fmt(x.arrayBuffersMiB, 1), fmt(x.rssMiB - x.heapTotalMiB - x.externalMiB, 1)]),
      ];
    }),
  );
  const out = [
    `## Memory`,
    '',
    `One worker, fixed rate ${r.rate.toLocaleString('en-US')} req/s (${r.rateSource}) from oha, small body. process.memoryUsage() of each process (RSS − heap total − external ≈ code, stacks, malloc arenas, libuv and the rest of native memory); private and file-backed resident memory from /proc/PID/smaps_rollup. The group's RSS counts the node binary's pages once per process; "Σ private + file once" counts them once.`,
    '',
    table(['proxy', 'when', 'process', 'RSS MiB', 'private MiB', 'file MiB', 'heap used', 'heap total', 'external', 'array buffers', 'RSS − heap − external'], ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], procRows),
    '',
    table(
      ['proxy', 'load s', 'RSS early MiB', 'RSS at the end MiB', 'growth', 'p99 ms', 'p99.9 ms', 'failed'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      r.targets.map((t) => [t.label, String(t.loadS), `${fmt(t.earlyRssMiB, 1)} (at ${t.earlyAtS} s)`, fmt(t.lateRssMiB, 1), `${fmt(t.growthPct, 1)} %`, fmt(t.latency.p99Ms), fmt(t.latency.p999Ms), String(t.latency.failed)]),
    ),
  ];
  for (const t of r.targets) {
    if (!t.heap) continue;
    out.push('', `Heap snapshot of ${t.label}'s ${t.label === 'sluice' ? 'worker' : 'process'} after the load: ${fmt(t.heap.totalMiB, 1)} MiB in ${t.heap.nodes.toLocaleString('en-US')} nodes. By type: ${t.heap.byType.slice(0, 8).map((g) => `${g.name} ${fmt(g.selfMiB, 1)}`).join(', ')} MiB. Largest constructors (self size):`, '');
    out.push(table(['constructor', 'count', 'self MiB'], ['l', 'r', 'r'], t.heap.byConstructor.map((g) => [g.name.replace(/\|/g, '\\|') || '(empty)', g.count.toLocaleString('en-US'), fmt(g.selfMiB, 2)])));
  }
  return out.join('\n');
}
