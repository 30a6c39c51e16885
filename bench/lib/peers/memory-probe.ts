// Loaded with `node --import` into a measured Node process (Sluice's controller and, through
// cluster's inherited execArgv, its workers; the Node peers): once a second it writes
// process.memoryUsage() to $SLUICE_BENCH_MEMORY_DIR/<pid>.json, and on SIGUSR2 it writes a heap
// snapshot to <pid>.heapsnapshot (then <pid>.heapsnapshot.done). A timer a second costs nothing
// measurable next to thousands of requests a second. With SLUICE_BENCH_MEMORY_MODULES=1 it also
// counts the modules the process loaded, by package (a load hook: what each process imports).
import { renameSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const dir = process.env.SLUICE_BENCH_MEMORY_DIR;
if (dir) {
  const role = process.env.SLUICE_WORKER === '1' ? 'worker' : process.env.SLUICE_BENCH_MEMORY_ROLE ?? 'process';
  const file = join(dir, `${process.pid}.json`);
  // Garbage collections so far: how often the young generation is scavenged is what a smaller semi-space trades for memory.
  const gc = { count: 0, ms: 0, minorCount: 0, minorMs: 0 };
  // Loaded modules by package ("node_modules/<pkg>", "dist/<dir>", "node:"), when asked for.
  const modules: Record<string, number> = {};
  if (process.env.SLUICE_BENCH_MEMORY_MODULES === '1') {
    registerHooks({
      load(url, context, nextLoad) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? /\/dist\/([^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node:' : 'other');
        modules[pkg] = (modules[pkg] ?? 0) + 1;
        return nextLoad(url, context);
      },
    });
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      // NODE_PERFORMANCE_GC_MINOR = 1 (a scavenge)
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === 1) {
        gc.minorCount++;
        gc.minorMs += e.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const write = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, role, at: Date.now(), ...process.memoryUsage(), gc, modules, spaces: Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, { size: x.space_size, used: x.space_used_size }])) }));
    renameSync(`${file}.tmp`, file);
  };
  write();
  setInterval(write, 1000).unref();
  process.on('SIGUSR2', () => {
    const path = join(dir, `${process.pid}.heapsnapshot`);
    writeHeapSnapshot(path);
    writeFileSync(`${path}.done`, '');
  });
}
