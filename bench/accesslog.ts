// The cost of the access log: the same one-worker Sluice (pinned to the proxy CPU) with
// --access-log off and with --access-log to a file, small body, interleaved rounds, median
// req/s; the goal is on ≥ 0.85 × off. Every request must be in the file (lines counted).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts } from './lib/net.ts';
import { interleavedRounds, type RoundRow } from './lib/rounds.ts';
import { startSluice, type SluiceServer } from './lib/servers.ts';
import { round } from './lib/stats.ts';

export type AccessLogRow = RoundRow<'off' | 'file'>;

export interface AccessLogResult {
  readonly rows: readonly AccessLogRow[];
  /** req/s with the access log on ÷ off. */
  readonly ratio: number;
  /** CPU µs per request, off ÷ on (1: the log costs nothing). */
  readonly cpuRatio: number;
  /** Lines in the file ÷ requests wrk counted for that Sluice (1: none lost). */
  readonly linesPerRequest: number;
  readonly fileMiB: number;
}

export async function runAccessLog(ctx: BenchContext): Promise<AccessLogResult> {
  const { settings, ws, origin } = ctx;
  const manifests = originRouteManifests(join(ws.dir, 'accesslog-manifests'), origin.port, BENCH_HOST);
  const logFile = join(ws.dir, 'access.log');
  const ports = await freePorts(4);
  const p = settings.proxyCpus;
  const targets: { label: AccessLogRow['label']; server: SluiceServer }[] = [
    { label: 'off', server: await startSluice({ manifests: manifests.path, httpPort: ports[0]!, adminPort: ports[1]!, cpus: p, workers: 1, name: 'sluice-log-off' }) },
    { label: 'file', server: await startSluice({ manifests: manifests.path, httpPort: ports[2]!, adminPort: ports[3]!, cpus: p, workers: 1, name: 'sluice-log-file', extraArgs: ['--access-log', logFile] }) },
  ];
  let fileRequests = 0;
  let rows: AccessLogRow[];
  try {
    rows = await interleavedRounds(ctx, 'accesslog', targets, { path: '/', host: BENCH_HOST }, (label, wrk) => {
      if (label === 'file') fileRequests += wrk.requests;
    });
  } finally {
    // Stopping flushes what the sink still holds.
    for (const t of targets) await t.server.group.stop();
  }
  // wrk's requests are complete responses; the file also holds any it cut at the end of a run.
  const lines = readFileSync(logFile, 'utf8').split('\n').length - 1;
  return {
    rows,
    ratio: round(rows[1]!.rps / rows[0]!.rps, 3),
    cpuRatio: round(rows[0]!.cpu_us_per_req / rows[1]!.cpu_us_per_req, 3),
    linesPerRequest: fileRequests > 0 ? round(lines / fileRequests, 4) : NaN,
    fileMiB: round(statSync(logFile).size / (1024 * 1024), 1),
  };
}

export function accessLogMarkdown(r: AccessLogResult): string {
  return [
    '## Access log cost',
    '',
    'One Sluice worker on the proxy CPU, small body, `--access-log off` vs `--access-log FILE` (default fields), interleaved rounds, median. Goal: on ≥ 0.85 × off.',
    '',
    '| access log | req/s | p50 ms | p99 ms | CPU µs/req | of it kernel µs | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.rps.toLocaleString('en-US')} | ${x.p50_ms} | ${x.p99_ms} | ${x.cpu_us_per_req} | ${x.cpu_sys_us_per_req} | ${x.rounds} |`),
    '',
    `req/s on ÷ off: **${r.ratio}** · CPU per request off ÷ on: **${r.cpuRatio}** · lines written per request served: ${r.linesPerRequest} · file ${r.fileMiB} MiB`,
  ].join('\n');
}
