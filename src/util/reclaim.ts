// Gives memory back to the OS after a burst of control-plane work. V8 (Node 24) keeps the heap
// pages a big parse or translation used in a pool until a memory-reducing GC, which an idle
// process never runs by itself: RSS would stay at its peak for good (a 15 MiB manifest left the
// controller 300 MiB larger, also after the file was removed). Once RSS has settled, one such GC
// runs when RSS grew by `growthBytes` since the last one, or when work happened (noteWork) while
// RSS is still that far above where it started — the work may have freed the large part. It
// stops this process for tens to hundreds of milliseconds, so it is for the controller only,
// and never again before 10 × the previous one's duration has passed (at most ~10 % CPU).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../log.js';

/** RSS moving less than this between two checks counts as settled. */
const SETTLED_BYTES = 4 * 1024 * 1024;
const COOLDOWN_FACTOR = 10;

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** V8's gc() with options; exposing it at run time defines it in new contexts only. */
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

export interface MemoryReclaimer {
  /** Control-plane work happened (e.g. a table was published). */
  noteWork(): void;
  stop(): void;
}

export function startMemoryReclaimer(options: ReclaimOptions): MemoryReclaimer {
  const gc = memoryReducingGc();
  if (!gc) {
    options.log.debug('no memory-reducing GC available; RSS stays at its peak after large changes');
    return { noteWork: () => undefined, stop: () => undefined };
  }
  const start = process.memoryUsage.rss();
  let baseline = start;
  let previous = start;
  let worked = false;
  let notBefore = 0;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    const settled = rss <= previous + SETTLED_BYTES;
    previous = rss;
    baseline = Math.min(baseline, rss);
    if (!settled || performance.now() < notBefore) return;
    const grew = rss >= baseline + options.growthBytes;
    const mayHaveFreed = worked && baseline >= start + options.growthBytes;
    if (!grew && !mayHaveFreed) return;
    const began = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const ms = performance.now() - began;
    notBefore = performance.now() + COOLDOWN_FACTOR * ms;
    worked = false;
    baseline = previous = process.memoryUsage.rss();
    options.log.debug({ rssBefore: rss, rssAfter: baseline, ms: Math.round(ms) }, 'returned unused heap memory to the OS');
  }, options.checkMs);
  timer.unref();
  return {
    noteWork: () => void (worked = true),
    stop: () => clearInterval(timer),
  };
}
