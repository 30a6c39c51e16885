// wrk as the load generator: pinned to the load CPU, one thread, bounded by -d and by a kill
// timer, its text output parsed into numbers. A run can be ended early with interrupt():
// wrk stops on SIGINT and still prints its statistics.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedRun, startGroup } from './processes.ts';

export interface WrkOptions {
  readonly wrk: string;
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly cpus: string;
  /** Host header; absent = wrk's default (the URL's authority). */
  readonly host?: string;
  /** More request headers ("Accept-Encoding: gzip"). */
  readonly headers?: readonly string[];
  /** Lua script (e.g. choosing Host headers per request). */
  readonly script?: string;
  /** Also report p99.9 and the slowest request (from a Lua done() of wrk's; not with `script`). */
  readonly tail?: boolean;
}

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** With `tail`. */
  readonly p999Ms?: number;
  readonly maxMs?: number;
  /** wrk's "Non-2xx or 3xx responses" (it counts status ≥ 400). */
  readonly non2xx: number;
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  readonly socketErrorTotal: number;
}

export interface WrkRun {
  readonly pid: number;
  readonly done: Promise<WrkResult>;
  /** Ends the run now (SIGINT); `done` still resolves with the statistics so far. */
  interrupt(): void;
}

// wrk's --latency prints p50 to p99 only; its latency object has every percentile (µs).
const TAIL_SCRIPT = `done = function(summary, latency, requests)
  io.write(string.format("tail p99.9 %d us max %d us\\n", latency:percentile(99.9), latency.max))
end
`;

let tailScript: string | undefined;
/** The done() script's file, written once per bench process. */
function tailScriptPath(): string {
  if (tailScript === undefined) {
    tailScript = join(tmpdir(), `sluice-bench-wrk-tail-${process.pid}.lua`);
    writeFileSync(tailScript, TAIL_SCRIPT);
  }
  return tailScript;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`cannot parse wrk duration "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(out: string): WrkResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return toMs(m[1]!);
  };
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  if (!total) throw new Error(`wrk output has no request count:\n${out}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) } : { connect: 0, read: 0, write: 0, timeout: 0 };
  const requests = Number(total[1]);
  const seconds = toMs(`${total[2]}${total[3]}`) / 1000;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  return {
    requests,
    seconds,
    rps: rps ? Number(rps[1]) : requests / seconds,
    p50Ms: pct('50'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    ...tail(out),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors,
    socketErrorTotal: socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
  };
}

function tail(out: string): { p999Ms?: number; maxMs?: number } {
  const m = /^tail p99\.9 (\d+) us max (\d+) us$/m.exec(out);
  return m ? { p999Ms: Number(m[1]) / 1000, maxMs: Number(m[2]) / 1000 } : {};
}

export function startWrk(o: WrkOptions): WrkRun {
  const args = ['-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--latency', '--timeout', '5s'];
  if (o.host) args.push('-H', `Host: ${o.host}`);
  for (const h of o.headers ?? []) args.push('-H', h);
  if (o.script && o.tail) throw new Error('wrk: tail and script cannot be combined');
  if (o.script) args.push('-s', o.script);
  if (o.tail) args.push('-s', tailScriptPath());
  args.push(o.url);
  const g = startGroup('wrk', o.wrk, args, { cpus: o.cpus });
  // Hard bound: wrk never outlives its duration by more than 15 s.
  const done = boundedRun(g, o.durationS + 15).then(parseWrk);
  return {
    pid: g.pid,
    done,
    interrupt: () => {
      try {
        process.kill(g.pid, 'SIGINT');
      } catch {
        // already finished
      }
    },
  };
}
