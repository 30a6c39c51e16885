// V8 compiles optimized code (TurboFan, Turboshaft) and does concurrent GC work on a pool of
// helper threads, four by default, that node names "V8Worker" (node 22 and later). In a data-plane
// worker they have no core of their own: when V8 re-optimizes the hot functions in a burst (after
// an idle spell, at the start of load) the scheduler shares the serving thread's core five ways,
// and the serving thread barely runs for 60–90 ms. Giving the helpers a higher nice value lets
// them run whenever the serving thread waits, but not ahead of it (bench/README.md, "A stall at
// the start of a round after idle").
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The thread name node gives V8's helper threads (at most 15 characters, as the kernel keeps it). */
export const HELPER_THREAD_NAME = 'V8Worker';
/** The highest nice value (the lowest priority) Linux has. */
export const MAX_NICE = 19;

/** The calls into the operating system, so tests can tell what was asked of it. */
export interface ThreadControl {
  /** Thread ids of this process; [] where threads cannot be listed (no /proc). */
  threads(): string[];
  name(tid: string): string;
  nice(tid: string): number;
  setNice(tid: string, nice: number): void;
}

export const linuxThreads: ThreadControl = {
  threads: () => {
    try {
      return readdirSync('/proc/self/task');
    } catch {
      return [];
    }
  },
  name: (tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
  // On Linux a thread id is a valid target of getpriority/setpriority and affects that thread alone.
  nice: (tid) => getPriority(Number(tid)),
  setNice: (tid, nice) => setPriority(Number(tid), nice),
};

export interface Renice {
  /** Thread ids whose nice value was raised. */
  readonly lowered: readonly string[];
  /** Threads that could not be reniced, and why (they keep running as before). */
  readonly failed: readonly { readonly tid: string; readonly error: string }[];
}

/**
 * Raises the nice value of this process's V8 helper threads by `increment` (capped at 19). The
 * serving thread and libuv's threads keep theirs. Raising one's own nice value needs no privilege;
 * a thread that vanished or refused is reported, not fatal.
 */
export function lowerHelperThreadPriority(increment: number, os: ThreadControl = linuxThreads): Renice {
  const lowered: string[] = [];
  const failed: { tid: string; error: string }[] = [];
  if (increment <= 0) return { lowered, failed };
  for (const tid of os.threads()) {
    try {
      if (os.name(tid) !== HELPER_THREAD_NAME) continue;
      const nice = os.nice(tid);
      const target = Math.min(MAX_NICE, nice + increment);
      if (target === nice) continue;
      os.setNice(tid, target);
      lowered.push(tid);
    } catch (err) {
      failed.push({ tid, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { lowered, failed };
}
