// Gives memory back to the OS after a burst of work. V8 (Node 24) keeps the heap pages a big
// parse, translation or table swap used in a pool until a memory-reducing GC, which an idle
// process never runs by itself: RSS would stay at its peak for good (a 15 MiB manifest left the
// controller 300 MiB larger). Once RSS has grown by `growthBytes` and then stopped growing for
// one check interval, one such GC runs (a few tens of milliseconds of this process's loop).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../log.js';

/** RSS moving less than this between two checks counts as settled (traffic makes it wobble). */
const SETTLED_BYTES = 4 * 1024 * 1024;

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** V8's gc() with options; exposing it at run time only defines it in new contexts. */
function memoryReducingGc(): Gc | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}

export interface ReclaimOptions {
  readonly growthBytes: number;
  readonly checkMs: number;
  readonly log: Logger;
}

/** Starts the periodic check; returns a stop function. */
export function startMemoryReclaimer(options: ReclaimOptions): () => void {
  const gc = memoryReducingGc();
  if (!gc) {
    options.log.debug('no memory-reducing GC available; RSS stays at its peak after large changes');
    return () => undefined;
  }
  let baseline = process.memoryUsage.rss();
  let previous = baseline;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    const settled = rss <= previous + SETTLED_BYTES;
    previous = rss;
    baseline = Math.min(baseline, rss);
    if (!settled || rss < baseline + options.growthBytes) return;
    const started = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    baseline = previous = process.memoryUsage.rss();
    options.log.debug({ rssBefore: rss, rssAfter: baseline, ms: Math.round(performance.now() - started) }, 'returned unused heap memory to the OS');
  }, options.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
