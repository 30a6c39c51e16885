// Loaded with `node --import` into a measured Node process (Sluice's controller and, through
// cluster's inherited execArgv, its workers; the Node peers): once a second it writes
// process.memoryUsage() to $SLUICE_BENCH_MEMORY_DIR/<pid>.json, and on SIGUSR2 it writes a heap
// snapshot to <pid>.heapsnapshot (then <pid>.heapsnapshot.done). A timer a second costs nothing
// measurable next to thousands of requests a second.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

const dir = process.env.SLUICE_BENCH_MEMORY_DIR;
if (dir) {
  const role = process.env.SLUICE_WORKER === '1' ? 'worker' : process.env.SLUICE_BENCH_MEMORY_ROLE ?? 'process';
  const file = join(dir, `${process.pid}.json`);
  // Garbage collections so far: how often the young generation is scavenged is what a smaller semi-space trades for memory.
  const gc = { count: 0, ms: 0, minorCount: 0, minorMs: 0 };
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
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, role, at: Date.now(), ...process.memoryUsage(), gc }));
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
