// What a request body costs: 1 KiB JSON POSTs beside GETs of the same route, through Sluice and
// nginx (one worker each on the proxy CPU; the origin answers both alike), interleaved rounds,
// median. The other parts send no request bodies; this is the API case, a small body that comes
// in the same read as its head.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonBody } from './compression.ts';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts } from './lib/net.ts';
import { interleavedRounds, type RoundRequest, type RoundRow } from './lib/rounds.ts';
import { startNginxProxy, startSluice } from './lib/servers.ts';
import { round } from './lib/stats.ts';

export const POST_BODY_BYTES = 1024;

export type RequestBodyLabel = 'nginx-get' | 'nginx-post' | 'sluice-get' | 'sluice-post';
export type RequestBodyRow = RoundRow<RequestBodyLabel>;

export interface RequestBodyResult {
  readonly rows: readonly RequestBodyRow[];
  /** Sluice POST ÷ nginx POST: req/s, and CPU µs per request (above 1: Sluice spends more). */
  readonly postRpsVsNginx: number;
  readonly postCpuVsNginx: number;
  /** The same for GET in these rounds, for comparison. */
  readonly getRpsVsNginx: number;
  /** What a body costs each proxy: CPU µs per request, POST ÷ GET. */
  readonly sluicePostCpuFactor: number;
  readonly nginxPostCpuFactor: number;
}

/** A wrk script sending every request as a POST of `body`. */
function postScript(path: string, body: string): string {
  writeFileSync(path, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
  return path;
}

export async function runRequestBody(ctx: BenchContext): Promise<RequestBodyResult> {
  const { settings, ws, tools, origin } = ctx;
  const manifests = originRouteManifests(join(ws.dir, 'requestbody-manifests'), origin.port, BENCH_HOST);
  const [nginxPort, httpPort, adminPort] = await freePorts(3);
  const body = jsonBody(POST_BODY_BYTES);
  const get: RoundRequest = { path: '/', host: BENCH_HOST };
  const post: RoundRequest = { ...get, script: postScript(join(ws.dir, 'post.lua'), body) };
  const nginx = await startNginxProxy(ws, tools, nginxPort!, origin.port, settings.proxyCpus, { name: 'nginx-requestbody' });
  const sluice = await startSluice({ manifests: manifests.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, name: 'sluice-requestbody' });
  let rows: RequestBodyRow[];
  try {
    rows = await interleavedRounds(ctx, 'requestbody', [
      { label: 'nginx-get', server: nginx },
      { label: 'nginx-post', server: nginx, request: post },
      { label: 'sluice-get', server: sluice },
      { label: 'sluice-post', server: sluice, request: post },
    ], get);
  } finally {
    await sluice.group.stop();
    await nginx.group.stop();
  }
  const [nginxGet, nginxPost, sluiceGet, sluicePost] = rows as [RequestBodyRow, RequestBodyRow, RequestBodyRow, RequestBodyRow];
  return {
    rows,
    postRpsVsNginx: round(sluicePost.rps / nginxPost.rps, 3),
    postCpuVsNginx: round(sluicePost.cpu_us_per_req / nginxPost.cpu_us_per_req, 2),
    getRpsVsNginx: round(sluiceGet.rps / nginxGet.rps, 3),
    sluicePostCpuFactor: round(sluicePost.cpu_us_per_req / sluiceGet.cpu_us_per_req, 2),
    nginxPostCpuFactor: round(nginxPost.cpu_us_per_req / nginxGet.cpu_us_per_req, 2),
  };
}

export function requestBodyMarkdown(r: RequestBodyResult): string {
  return [
    '## Request bodies (POST)',
    '',
    `${POST_BODY_BYTES}-byte JSON POSTs (\`Content-Length\`, one read with the head) beside GETs of the same route, Sluice and nginx with one worker each on the proxy CPU, the origin answering "ok\\n" to both; interleaved rounds, median.`,
    '',
    '| proxy, request | req/s | p50 ms | p99 ms | CPU µs/req | of it kernel µs | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.rps.toLocaleString('en-US')} | ${x.p50_ms} | ${x.p99_ms} | ${x.cpu_us_per_req} | ${x.cpu_sys_us_per_req} | ${x.rounds} |`),
    '',
    `Sluice ÷ nginx, POST: req/s **${r.postRpsVsNginx}**, CPU per request ${r.postCpuVsNginx} (GET in the same rounds: req/s ${r.getRpsVsNginx}) · CPU per request POST ÷ GET: Sluice ${r.sluicePostCpuFactor}, nginx ${r.nginxPostCpuFactor}`,
  ].join('\n');
}
