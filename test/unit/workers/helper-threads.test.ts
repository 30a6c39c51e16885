import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { HELPER_THREAD_NAME, linuxThreads, lowerHelperThreadPriority, type ThreadControl } from '../../../src/workers/helper-threads.js';

/** A process's threads as a table; setNice records what was asked. */
function fakeThreads(threads: Record<string, { name: string; nice: number; refuse?: string }>): ThreadControl & { set: Record<string, number> } {
  const set: Record<string, number> = {};
  return {
    set,
    threads: () => Object.keys(threads),
    name: (tid) => {
      const t = threads[tid];
      if (!t) throw new Error(`ENOENT: no thread ${tid}`);
      return t.name;
    },
    nice: (tid) => threads[tid]!.nice,
    setNice: (tid, nice) => {
      if (threads[tid]!.refuse) throw new Error(threads[tid]!.refuse);
      set[tid] = nice;
    },
  };
}

describe('lowerHelperThreadPriority', () => {
  it('raises the nice value of V8 helper threads only, relative to each one\'s own and capped at 19', () => {
    const os = fakeThreads({
      '100': { name: 'MainThread', nice: 0 },
      '101': { name: 'DelayedTaskSche', nice: 0 },
      '102': { name: 'V8Worker', nice: 0 },
      '103': { name: 'V8Worker', nice: 5 },
      '104': { name: 'V8Worker', nice: 15 },
      '105': { name: 'libuv-worker', nice: 0 },
      '106': { name: 'V8Worker', nice: 19 },
    });
    const r = lowerHelperThreadPriority(10, os);
    expect(os.set).toEqual({ '102': 10, '103': 15, '104': 19 });
    expect(r).toEqual({ lowered: ['102', '103', '104'], failed: [] });
  });

  it('leaves every thread alone with 0', () => {
    const os = fakeThreads({ '1': { name: 'V8Worker', nice: 0 } });
    expect(lowerHelperThreadPriority(0, os)).toEqual({ lowered: [], failed: [] });
    expect(os.set).toEqual({});
  });

  it('reports a thread that vanished or refused, and renices the others', () => {
    const os = fakeThreads({ '1': { name: 'V8Worker', nice: 0, refuse: 'EACCES: permission denied' }, '2': { name: 'V8Worker', nice: 0 } });
    const vanishing: ThreadControl = { ...os, threads: () => ['9', ...os.threads()] };
    const r = lowerHelperThreadPriority(10, vanishing);
    expect(r.lowered).toEqual(['2']);
    expect(r.failed).toEqual([
      { tid: '9', error: 'ENOENT: no thread 9' },
      { tid: '1', error: 'EACCES: permission denied' },
    ]);
  });
});

// The kernel side, read only (test/e2e/workers.test.ts checks a real worker's reniced threads).
describe.each(process.platform === 'linux' ? ['linux'] : [])('on %s', () => {
  it('lists this process\'s threads by name and reads their nice values from the kernel', () => {
    const tids = linuxThreads.threads();
    expect(tids).toEqual(readdirSync('/proc/self/task'));
    expect(tids).toContain(String(process.pid));
    expect(linuxThreads.name(String(process.pid))).toBe(readFileSync('/proc/self/comm', 'utf8').trim());
    // node ≥ 22 names V8's platform threads; this project's node is 24.
    expect(tids.filter((t) => linuxThreads.name(t) === HELPER_THREAD_NAME).length).toBeGreaterThan(0);
    expect(linuxThreads.nice(String(process.pid))).toBe(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16]));
  });
});
