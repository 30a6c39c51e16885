// Every server and load generator the bench starts runs in its own process group (detached),
// so it can be stopped — with its workers — by signalling the group, and measured by summing
// /proc over the group's members. Nothing else on the machine is ever signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A command-line option string ("--a 1 --b") split into its words, empty words dropped. */
export function argWords(text: string): string[] {
  return text.split(' ').filter((x) => x !== '');
}

export interface Group {
  readonly name: string;
  /** PID of the group leader, which is also the process-group id. */
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The last 64 KiB of stdout+stderr. */
  output(): string;
  /** SIGTERM (or `signal`) to the group, SIGKILL after `graceMs`; resolves when the leader is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;
const running = new Set<Group>();

export interface StartOptions {
  /** taskset CPU list, e.g. "1" or "0-1". */
  readonly cpus?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function startGroup(name: string, command: string, args: readonly string[], options: StartOptions = {}): Group {
  const [cmd, argv] = options.cpus ? ['taskset', ['-c', options.cpus, command, ...args]] : [command, [...args]];
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: options.env ?? process.env });
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${command})`);
  const pid = child.pid;
  let out = '';
  const collect = (c: Buffer) => {
    out += c.toString();
    if (out.length > OUTPUT_LIMIT * 2) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? (sig ? -1 : null)));
    child.once('error', () => resolve(-1));
  });
  const group: Group = {
    name,
    pid,
    child,
    exited,
    output: () => out.slice(-OUTPUT_LIMIT),
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(pid, signal);
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Workers that outlived their leader (nginx, cluster children) still carry the group id.
      if (groupMembers(pid).length > 0) signalGroup(pid, 'SIGKILL');
      running.delete(group);
    },
  };
  running.add(group);
  void exited.then(() => {
    if (groupMembers(pid).length === 0) running.delete(group);
  });
  return group;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * A load generator's run to its end: its output once it exits 0, an error with the output on any
 * other exit. It is SIGKILLed if it outlives boundS (its duration plus a grace).
 */
export async function boundedRun(g: Group, boundS: number): Promise<string> {
  const killer = setTimeout(() => void g.stop('SIGKILL', 0), boundS * 1000);
  const code = await g.exited.finally(() => clearTimeout(killer));
  await g.stop();
  if (code !== 0) throw new Error(`${g.name} exited with ${code}:\n${g.output()}`);
  return g.output();
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((g) => g.stop('SIGTERM', 3000)));
}

let cleanupInstalled = false;

/** On exit, Ctrl-C or SIGTERM, every group this process started is stopped. */
export function installCleanup(onSignal?: () => void): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const g of running) signalGroup(g.pid, 'SIGKILL');
  });
  const bail = (sig: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${sig}, stopping every started process\n`);
    onSignal?.();
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => bail('SIGINT'));
  process.once('SIGTERM', () => bail('SIGTERM'));
  process.once('SIGHUP', () => bail('SIGHUP'));
}

interface ProcStat {
  readonly pid: number;
  readonly pgrp: number;
  readonly cpuTicks: number;
  /** The part of cpuTicks spent in the kernel (stime): system calls, the loopback TCP stack under them. */
  readonly sysTicks: number;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), pgrp: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]), sysTicks: Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(name);
    if (st) out.push(st);
  }
  return out;
}

export function groupMembers(pgid: number): number[] {
  return allStats().filter((s) => s.pgrp === pgid).map((s) => s.pid);
}

/** USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux architecture we run on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU ticks spread over requests, in µs per request (NaN when there were none). */
export function usPerRequest(ticks: number, requests: number): number {
  return requests > 0 ? (ticks * (1e6 / CLOCK_TICKS_PER_SECOND)) / requests : NaN;
}

/** utime+stime of every live process in the group (all threads), in clock ticks. */
export function groupCpuTicks(pgid: number): number {
  return groupCpuSplit(pgid).total;
}

/** The group's CPU ticks (utime+stime) and, of them, the kernel's (stime). */
export function groupCpuSplit(pgid: number): { total: number; sys: number } {
  let total = 0;
  let sys = 0;
  for (const s of allStats()) {
    if (s.pgrp !== pgid) continue;
    total += s.cpuTicks;
    sys += s.sysTicks;
  }
  return { total, sys };
}

/** Resident set size of the group, summed over its processes, in MiB. */
export function groupRssMiB(pgid: number): number {
  let kib = 0;
  for (const pid of groupMembers(pgid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // exited between listing and reading
    }
  }
  return kib / 1024;
}

/** Runs a short command to completion (no group management: it is bounded by `timeoutMs`). */
export function runCommand(command: string, args: readonly string[], timeoutMs = 600_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Moves this process (all its threads) to the given CPUs; children inherit it. */
export async function pinSelf(cpus: string): Promise<void> {
  const r = await runCommand('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], 5000);
  if (r.code !== 0) throw new Error(`taskset failed: ${r.output}`);
}
