// Loaded with `node --import` into a measured Node process (Sluice's controller and, through
// cluster's inherited execArgv, its workers; the Node peers): once a second it writes
// process.memoryUsage() to $SLUICE_BENCH_MEMORY_DIR/<pid>.json, and on SIGUSR2 it writes a heap
// snapshot to <pid>.heapsnapshot (then <pid>.heapsnapshot.done). A timer a second costs nothing
// measurable next to thousands of requests a second.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const dir = process.env.SLUICE_BENCH_MEMORY_DIR;
if (dir) {
  const role = process.env.SLUICE_WORKER === '1' ? 'worker' : process.env.SLUICE_BENCH_MEMORY_ROLE ?? 'process';
  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, role, at: Date.now(), ...process.memoryUsage() }));
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
