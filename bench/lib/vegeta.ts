// vegeta as the constant-rate (open-model) load generator: requests leave on a fixed schedule
// whatever the answers, so a stall shows in every request due during it instead of being hidden
// by a closed loop that stops sending (coordinated omission). Pinned to the load CPU, bounded by
// -duration and a kill timer; results are read back from vegeta's CSV encoding.
//
// Workers are fixed at the connection count (-workers = -max-workers): by default vegeta starts
// 10 and spawns one more whenever none is free at a tick, without bound. Pinned to one CPU, a
// first hiccup then snowballs: thousands of new goroutines crowd out the ones reading answers
// (seen as answers sitting unread in vegeta's sockets, vegeta's RSS past 600 MiB, and a 2–5 s
// p50 in the first fixed-rate round of a bench run, whatever the target). More workers than
// connections cannot send sooner anyway, and a request that leaves late is still timed from
// when it was due (parseVegetaCsv), so a stalled target is measured, not hidden.
import { readFileSync, writeFileSync } from 'node:fs';
import { startGroup } from './processes.ts';

export interface VegetaOptions {
  readonly vegeta: string;
  readonly url: string;
  readonly host: string;
  /** Requests per second, the same for every proxy. */
  readonly rate: number;
  readonly durationS: number;
  /** Most connections vegeta opens (wrk's connection count, so every proxy sees the same). */
  readonly connections: number;
  readonly cpus: string;
  /** Scratch file prefix for the targets and results. */
  readonly scratch: string;
}

export interface VegetaResult {
  readonly sent: number;
  readonly ok: number;
  /** Non-2xx answers and transport errors (timeouts included). */
  readonly failed: number;
  readonly achievedRps: number;
  /**
   * Latency from the moment each request was due (start + seq / rate) to its answer: vegeta's own
   * latency plus however late it left, so a client that fell behind cannot hide a stall.
   */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** How late requests left (p99 of send time − due time): large means the generator itself lagged. */
  readonly sendLagP99Ms: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Parses `vegeta encode --to csv` output (see `vegeta encode -h` for the columns). */
export function parseVegetaCsv(text: string, rate: number): VegetaResult {
  const rows: { ts: number; code: number; latencyNs: number; seq: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(',');
    rows.push({ ts: Number(f[0]), code: Number(f[1]), latencyNs: Number(f[2]), seq: Number(f[8]) });
  }
  if (rows.length === 0) throw new Error('vegeta recorded no request');
  // The schedule's start: the earliest send time less its place in the schedule (a loop: a
  // spread of hundreds of thousands of arguments would overflow the stack).
  let t0 = Infinity;
  for (const r of rows) t0 = Math.min(t0, r.ts - (r.seq * 1e9) / rate);
  const due = new Float64Array(rows.length);
  const lag = new Float64Array(rows.length);
  let ok = 0;
  let lastEnd = 0;
  for (const [i, r] of rows.entries()) {
    const late = Math.max(0, r.ts - (t0 + (r.seq * 1e9) / rate));
    lag[i] = late / 1e6;
    due[i] = (r.latencyNs + late) / 1e6;
    if (r.code >= 200 && r.code < 300) ok++;
    lastEnd = Math.max(lastEnd, r.ts + r.latencyNs);
  }
  due.sort();
  lag.sort();
  const seconds = (lastEnd - t0) / 1e9;
  return {
    sent: rows.length,
    ok,
    failed: rows.length - ok,
    achievedRps: seconds > 0 ? ok / seconds : NaN,
    p50Ms: quantile(due, 0.5),
    p90Ms: quantile(due, 0.9),
    p99Ms: quantile(due, 0.99),
    p999Ms: quantile(due, 0.999),
    maxMs: due[due.length - 1]!,
    sendLagP99Ms: quantile(lag, 0.99),
  };
}

/** One constant-rate run; resolves with its latency distribution. */
export async function runVegeta(o: VegetaOptions): Promise<VegetaResult> {
  const targets = `${o.scratch}.targets`;
  const results = `${o.scratch}.bin`;
  writeFileSync(targets, `GET ${o.url}\nHost: ${o.host}\n\n`);
  const attack = startGroup('vegeta', o.vegeta, ['attack', '-targets', targets, '-rate', `${Math.round(o.rate)}/1s`, '-duration', `${o.durationS}s`, '-connections', String(o.connections), '-max-connections', String(o.connections), '-workers', String(o.connections), '-max-workers', String(o.connections), '-timeout', '5s', '-max-body', '0', '-http2=false', '-output', results], { cpus: o.cpus });
  const killer = setTimeout(() => void attack.stop('SIGKILL', 0), (o.durationS + 20) * 1000);
  const code = await attack.exited.finally(() => clearTimeout(killer));
  await attack.stop();
  if (code !== 0) throw new Error(`vegeta attack exited with ${code}:\n${attack.output()}`);
  const csv = `${o.scratch}.csv`;
  const encode = startGroup('vegeta-encode', o.vegeta, ['encode', '--to', 'csv', '--output', csv, results], { cpus: o.cpus });
  if ((await encode.exited) !== 0) throw new Error(`vegeta encode failed:\n${encode.output()}`);
  return parseVegetaCsv(readFileSync(csv, 'utf8'), o.rate);
}
