// Where each Sluice process's memory goes, idle and under saturating load, started the way the
// bench starts it (file provider, --workers 1, pinned to the proxy CPU, the origin nginx on the
// load CPU). Not part of `npm run bench`: a tool for A/B-ing a memory change quickly.
//
//   node bench/memory-breakdown.ts [--load-s 20] [--repeat 1] [--heap] [--modules]
//        [--node-args="--max-semi-space-size=4"] [--sluice-args="--otlp-endpoint …"] [--env K=V …]
//
// Per process: RSS, private (anonymous) and file-backed resident memory (smaps_rollup), V8 heap
// used/total, external, array buffers, scavenges; --modules: modules loaded, by package;
// --heap: a heap snapshot of each process after the load, by constructor. Load: `wrk -t1 -c64`, RSS read
// 3 s before the end (as the proxies part samples it mid-run), and req/s.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_HOST } from './lib/context.ts';
import { summarizeHeapSnapshot } from './lib/heap-snapshot.ts';
import { ensureTools } from './lib/install.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts, LOOPBACK, pollUntil, sleep } from './lib/net.ts';
import { argWords, groupMembers, installCleanup, stopAll } from './lib/processes.ts';
import { peerScript, startOrigin, startSluice, Workspace } from './lib/servers.ts';
import { startWrk } from './lib/wrk.ts';

const MiB = 2 ** 20;
const { values: opts } = parseArgs({
  options: {
    'load-s': { type: 'string', default: '20' },
    repeat: { type: 'string', default: '1' },
    heap: { type: 'boolean', default: false },
    modules: { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'sluice-args': { type: 'string', default: '' },
    env: { type: 'string', multiple: true, default: [] },
  },
});

interface Reading {
  role: string;
  pid: number;
  rss: number;
  anon: number;
  file: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  scavenges: number;
  modules: Record<string, number>;
  spaces: Record<string, { size: number; used: number }>;
}

function smaps(pid: number): { anon: number; rss: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN) * 1024;
  return { anon: kib('Anonymous'), rss: kib('Rss') };
}

async function read(dir: string, pgid: number): Promise<Reading[]> {
  await sleep(1200); // the probes write once a second
  const live = new Set(groupMembers(pgid));
  const out: Reading[] = [];
  for (const f of readdirSync(dir).filter((x) => /^\d+\.json$/.test(x))) {
    const m = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    if (!live.has(m.pid)) continue;
    const sm = smaps(m.pid);
    out.push({ role: m.role, pid: m.pid, rss: sm.rss, anon: sm.anon, file: sm.rss - sm.anon, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, scavenges: m.gc.minorCount, modules: m.modules ?? {}, spaces: m.spaces ?? {} });
  }
  return out.sort((a, b) => a.role.localeCompare(b.role));
}

const mib = (b: number) => (b / MiB).toFixed(1);
function print(when: string, rs: Reading[]): void {
  console.log(`\n${when}: Σ RSS ${mib(rs.reduce((a, r) => a + r.rss, 0))} MiB, Σ private + file once ${mib(rs.reduce((a, r) => a + r.anon, 0) + Math.max(...rs.map((r) => r.file)))} MiB`);
  console.log('process     RSS  private  file  heapUsed heapTotal external arrayBuf  RSS-heapTotal-ext  scavenges  modules');
  for (const r of rs) {
    const n = Object.values(r.modules).reduce((a, x) => a + x, 0);
    console.log(`${r.role.padEnd(10)} ${mib(r.rss).padStart(6)} ${mib(r.anon).padStart(7)} ${mib(r.file).padStart(5)} ${mib(r.heapUsed).padStart(8)} ${mib(r.heapTotal).padStart(9)} ${mib(r.external).padStart(8)} ${mib(r.arrayBuffers).padStart(8)} ${mib(r.rss - r.heapTotal - r.external).padStart(18)} ${String(r.scavenges).padStart(10)}  ${n}`);
  }
  for (const r of rs) console.log(`  ${r.role} heap spaces (committed/used MiB): ${Object.entries(r.spaces).filter(([, v]) => v.size > 0).map(([k, v]) => `${k.replace(/_space$/, '')} ${mib(v.size)}/${mib(v.used)}`).join(', ')}`);
  if (opts.modules && when === 'idle') {
    for (const r of rs) {
      const top = Object.entries(r.modules).sort((a, b) => b[1] - a[1]);
      console.log(`  ${r.role} modules: ${top.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }
}

async function heap(dir: string, r: Reading): Promise<void> {
  const path = join(dir, `${r.pid}.heapsnapshot`);
  process.kill(r.pid, 'SIGUSR2');
  await pollUntil(async () => existsSync(`${path}.done`), 60_000, 200);
  const h = summarizeHeapSnapshot(path, 20);
  console.log(`\n${r.role} heap snapshot: ${h.totalMiB.toFixed(1)} MiB, ${h.nodes} nodes. By type: ${h.byType.slice(0, 8).map((g) => `${g.name} ${g.selfMiB}`).join(', ')}`);
  console.log(`  by constructor: ${h.byConstructor.map((g) => `${g.name || '(empty)'} ${g.selfMiB}`).join(', ')}`);
}

async function main(): Promise<void> {
  installCleanup();
  const tools = await ensureTools((l) => console.log(l));
  const ws = new Workspace();
  try {
    const [originPort, altA, altB] = await freePorts(3);
    const origin = await startOrigin(ws, tools, { main: originPort!, altA: altA!, altB: altB! }, '0');
    const manifests = originRouteManifests(join(ws.dir, 'manifests'), origin.port, BENCH_HOST);
    const loadS = Number(opts['load-s']);
    for (let i = 0; i < Number(opts.repeat); i++) {
      const dir = join(ws.dir, `memory-${i}`);
      mkdirSync(dir);
      const [httpPort, adminPort] = await freePorts(2);
      const sluice = await startSluice({
        manifests: manifests.path,
        httpPort: httpPort!,
        adminPort: adminPort!,
        cpus: '1',
        workers: 1,
        nodeArgs: [...argWords(opts['node-args']!), '--import', peerScript(ws, 'memory-probe')],
        extraArgs: argWords(opts['sluice-args']!),
        env: {
          ...Object.fromEntries(opts.env!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
          SLUICE_BENCH_MEMORY_DIR: dir, SLUICE_BENCH_MEMORY_ROLE: 'controller', ...(opts.modules ? { SLUICE_BENCH_MEMORY_MODULES: '1' } : {}) },
      });
      try {
        await sleep(3000);
        const idle = await read(dir, sluice.group.pid);
        print('idle', idle);
        const run = startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${httpPort}/`, connections: 64, durationS: loadS, cpus: '0', host: BENCH_HOST });
        await sleep((loadS - 4) * 1000);
        const load = await read(dir, sluice.group.pid);
        const w = await run.done;
        print(`under wrk -c64 (${Math.round(w.rps)} req/s, errors ${w.non2xx + w.socketErrorTotal})`, load);
        const after = await read(dir, sluice.group.pid);
        print('after the load', after);
        // Last: writing a snapshot leaves tens of MiB of native memory in each process (measured:
        // +70 MiB controller, +75 worker), which would be read as the load's.
        if (opts.heap) for (const r of after) await heap(dir, r);
      } finally {
        await sluice.group.stop();
      }
    }
  } finally {
    await stopAll();
    ws.remove();
  }
}

await main();
