// oha as the constant-rate (open-model) load generator: requests are released on a fixed schedule
// whatever the answers, and with --latency-correction each one is timed from its release, not
// from when a connection came free, so a stalled proxy shows in every request due during the
// stall instead of being hidden by a closed loop that stops sending (coordinated omission).
// Pinned to the load CPU, bounded by -z and a kill timer; results are read from oha's JSON.
//
// oha replaced vegeta here on 2026-12-07: at the same 11,000 req/s to the same nginx proxy,
// vegeta's own send lag put nginx's p99 at 6–17 ms between 10 s rounds, oha's at 0.9–1.9 ms, so
// the ratios now measure the proxies rather than the generator's share of the load CPU.
import { readFileSync } from 'node:fs';
import { boundedRun, startGroup } from './processes.ts';

export interface OhaOptions {
  readonly oha: string;
  readonly url: string;
  readonly host: string;
  /** Requests per second, the same for every proxy. */
  readonly rate: number;
  readonly durationS: number;
  /** Connections oha keeps open (wrk's connection count, so every proxy sees the same). */
  readonly connections: number;
  readonly cpus: string;
  /** Scratch file prefix for the results. */
  readonly scratch: string;
}

export interface FixedRateResult {
  readonly sent: number;
  readonly ok: number;
  /** Non-2xx answers and transport errors (timeouts included). */
  readonly failed: number;
  readonly achievedRps: number;
  /** Latency from each request's release on the schedule to its answer. */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

interface OhaJson {
  summary: { requestsPerSec: number; slowest: number | null };
  latencyPercentiles: Record<'p50' | 'p90' | 'p99' | 'p99.9', number | null>;
  statusCodeDistribution: Record<string, number>;
  errorDistribution: Record<string, number>;
}

/** oha's error text for a request cut off by -z's end. */
const DEADLINE = 'aborted due to deadline';

const ms = (seconds: number | null | undefined): number => (seconds == null ? NaN : seconds * 1000);

/** Reads `oha --output-format json` (seconds throughout). */
export function parseOhaJson(text: string): FixedRateResult {
  const j = JSON.parse(text) as OhaJson;
  let ok = 0;
  let answered = 0;
  for (const [code, n] of Object.entries(j.statusCodeDistribution)) {
    answered += n;
    if (Number(code) >= 200 && Number(code) < 300) ok += n;
  }
  // -w lets requests in flight at the deadline finish; any still cut off there are not failures.
  const errors = Object.entries(j.errorDistribution).reduce((a, [what, n]) => (what === DEADLINE ? a : a + n), 0);
  if (answered + errors === 0) throw new Error('oha recorded no request');
  const p = j.latencyPercentiles;
  return {
    sent: answered + errors,
    ok,
    failed: answered + errors - ok,
    // oha's rate counts every answer; the 2xx share of it is what was carried.
    achievedRps: answered > 0 ? (j.summary.requestsPerSec * ok) / answered : 0,
    p50Ms: ms(p.p50),
    p90Ms: ms(p.p90),
    p99Ms: ms(p.p99),
    p999Ms: ms(p['p99.9']),
    maxMs: ms(j.summary.slowest),
  };
}

/** One constant-rate run; resolves with its latency distribution. */
export async function runOha(o: OhaOptions): Promise<FixedRateResult> {
  const results = `${o.scratch}.json`;
  const args = ['-z', `${o.durationS}s`, '-q', String(Math.round(o.rate)), '-c', String(o.connections), '--latency-correction', '-w', '-t', '5s', '--no-tui', '--output-format', 'json', '-o', results, '--host', o.host, o.url];
  await boundedRun(startGroup('oha', o.oha, args, { cpus: o.cpus }), o.durationS + 20);
  return parseOhaJson(readFileSync(results, 'utf8'));
}
