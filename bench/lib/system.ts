// Machine facts recorded next to every result: load average (other jobs on this 2-core box
// distort numbers), per-core busy and steal time from /proc/stat, CPU model.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a ?? 0, b ?? 0, c ?? 0];
}

export function formatLoad(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

export interface CoreTimes {
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
}

/** Cumulative jiffies per core ("cpu0", "cpu1", …). */
export function coreTimes(): Map<string, CoreTimes> {
  const out = new Map<string, CoreTimes>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!.split(/\s+/).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq!;
    out.set(m[1]!, { busy, steal: steal!, total: busy + idle! + iowait! + steal! });
  }
  return out;
}

/** Busy and steal percent per core between two coreTimes() readings. */
export function coreUsage(before: Map<string, CoreTimes>, after: Map<string, CoreTimes>): Record<string, { busyPct: number; stealPct: number }> {
  const out: Record<string, { busyPct: number; stealPct: number }> = {};
  for (const [core, a] of after) {
    const b = before.get(core);
    if (!b) continue;
    const total = a.total - b.total || 1;
    out[core] = { busyPct: (100 * (a.busy - b.busy)) / total, stealPct: (100 * (a.steal - b.steal)) / total };
  }
  return out;
}

export function machine(): { cpu: string; cores: number; memGiB: number } {
  const list = cpus();
  return { cpu: list[0]?.model ?? 'unknown', cores: list.length, memGiB: Math.round(totalmem() / 2 ** 30) };
}
