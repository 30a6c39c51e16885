// Interleaved wrk rounds over a few servers (A B C A B C …, after a warm-up of each), with the
// CPU each server's process group spent per request — the shape of the one-proxy-at-a-time
// parts (access log, compression). Medians per server.
import type { BenchContext } from './context.ts';
import { groupCpuSplit, usPerRequest } from './processes.ts';
import type { Server } from './servers.ts';
import { median, round } from './stats.ts';
import { startWrk, type WrkOptions, type WrkResult } from './wrk.ts';

export interface RoundTarget<L extends string> {
  readonly label: L;
  readonly server: Server;
  /** This target's own request, instead of the part's (e.g. a POST beside a GET). */
  readonly request?: RoundRequest;
}

/** What varies per part: the URL path and extra wrk options (Host, headers, a Lua script). */
export type RoundRequest = Pick<WrkOptions, 'host' | 'headers' | 'script'> & { readonly path: string };

export interface RoundRow<L extends string> {
  readonly label: L;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** CPU time of the server's processes per request (less disturbed by a busy machine than req/s). */
  readonly cpu_us_per_req: number;
  /** Of cpu_us_per_req, the kernel's (system calls: sockets, and a log file's writes). */
  readonly cpu_sys_us_per_req: number;
  readonly rounds: number;
}

/** Runs the rounds; `seen` gets every wrk result, warm-up included. Rows in `targets` order. */
export async function interleavedRounds<L extends string>(ctx: BenchContext, part: string, targets: readonly RoundTarget<L>[], request: RoundRequest, seen?: (label: L, wrk: WrkResult) => void): Promise<RoundRow<L>[]> {
  const { settings, tools } = ctx;
  const width = Math.max(...targets.map((t) => t.label.length));
  const measure = async (t: RoundTarget<L>, durationS: number) => {
    const r = t.request ?? request;
    const before = groupCpuSplit(t.server.group.pid);
    const wrk = await startWrk({ wrk: tools.wrk, url: `http://127.0.0.1:${t.server.port}${r.path}`, connections: settings.connections, durationS, cpus: settings.loadCpus, host: r.host, headers: r.headers, script: r.script }).done;
    seen?.(t.label, wrk);
    if (wrk.non2xx > 0 || wrk.socketErrorTotal > 0) ctx.log(`${part} ${t.label}: ${wrk.non2xx} non-2xx, ${wrk.socketErrorTotal} socket errors`);
    const after = groupCpuSplit(t.server.group.pid);
    return { wrk, cpuUs: usPerRequest(after.total - before.total, wrk.requests), sysUs: usPerRequest(after.sys - before.sys, wrk.requests) };
  };
  if (settings.warmupS > 0) for (const t of targets) await measure(t, settings.warmupS);
  const samples = new Map<L, { wrk: WrkResult; cpuUs: number; sysUs: number }[]>(targets.map((t) => [t.label, []]));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const t of targets) {
      const m = await measure(t, settings.durationS);
      samples.get(t.label)!.push(m);
      ctx.log(`${part} round ${r}/${settings.rounds} ${t.label.padEnd(width)} ${Math.round(m.wrk.rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${m.wrk.p50Ms.toFixed(2)} ms  p99 ${m.wrk.p99Ms.toFixed(2)} ms  ${m.cpuUs.toFixed(1)} µs/req (kernel ${m.sysUs.toFixed(1)})`);
    }
  }
  return targets.map(({ label }) => {
    const s = samples.get(label)!;
    return { label, rps: Math.round(median(s.map((x) => x.wrk.rps))), p50_ms: round(median(s.map((x) => x.wrk.p50Ms)), 3), p99_ms: round(median(s.map((x) => x.wrk.p99Ms)), 3), cpu_us_per_req: round(median(s.map((x) => x.cpuUs)), 1), cpu_sys_us_per_req: round(median(s.map((x) => x.sysUs)), 1), rounds: s.length };
  });
}
