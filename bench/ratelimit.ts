// The cost of rate limiting on the proxied path, and whether the limit holds.
//
// Cost: one-worker Sluice bare, with a Local limit and with a Global limit (real redis-server),
// beside nginx bare and nginx with `limit_req`; the limits are far above what the machine can
// offer, so they never trip and every answer is proxied. Interleaved rounds, median req/s and
// CPU µs per request of the proxy's processes (Redis's own CPU per request is reported beside
// the Global row); ratios limited ÷ bare for each proxy.
//
// Correctness: wrk saturates a second route limited to LIMIT_RPS (burst LIMIT_BURST); the share
// answered 429 and the admitted rate (non-429 answers per second) are compared with the limit
// (expected: LIMIT_RPS + LIMIT_BURST / duration) for Sluice Local, Sluice Global and nginx.
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { NGINX_HTTP_COMMON, nginxPreamble } from './lib/configs.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, NAMESPACE, serviceYaml } from './lib/manifests.ts';
import { freePorts, HttpClient, LOOPBACK, waitListening } from './lib/net.ts';
import { groupCpuTicks, startGroup, type Group, usPerRequest } from './lib/processes.ts';
import { fmt, fmtInt, table } from './lib/report.ts';
import { startNginx, startSluice, type Server, type SluiceServer } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';
import { startWrk } from './lib/wrk.ts';

/**
 * The limit of the correctness route: far below what the machine serves, far above timer noise.
 * The burst equals the rate: Sluice's bucket must hold at least one unit's requests, and nginx's
 * `burst=N nodelay` lets the same N through at once.
 */
export const LIMIT_RPS = 500;
export const LIMIT_BURST = 500;
/** The cost route's limit: never reached (Sluice's maximum). */
const HIGH = 1_000_000;
const LIMITED_HOST = 'limited.bench.local';
const LIMITED_PATH = '/limited';

type Label = 'sluice' | 'sluice-local' | 'sluice-global' | 'nginx' | 'nginx-limit_req';

interface Target {
  readonly label: Label;
  readonly server: Server;
  /** How the correctness run reaches the limited route; absent for the bare proxies. */
  readonly limited?: { readonly host: string; readonly path: string };
}

export interface RateLimitCostRow {
  readonly label: Label;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly cpu_us_per_req: number;
  /** Global only: redis-server's CPU per request. */
  readonly redis_cpu_us_per_req?: number;
  /** req/s of this row ÷ the same proxy bare. */
  readonly rps_vs_bare: number;
  /** CPU µs per request of this row ÷ the same proxy bare (1: free). */
  readonly cpu_vs_bare: number;
  readonly non2xx: number;
  readonly rounds: number;
}

export interface RateLimitCorrectnessRow {
  readonly label: Label;
  readonly offered_rps: number;
  readonly rejected_fraction: number;
  readonly admitted_rps: number;
  /** admitted ÷ expected (LIMIT_RPS + LIMIT_BURST / seconds); 1 is exact. */
  readonly admitted_vs_limit: number;
  readonly seconds: number;
}

export interface RateLimitResult {
  readonly cost: readonly RateLimitCostRow[];
  readonly correctness: readonly RateLimitCorrectnessRow[];
  readonly limitRps: number;
  readonly limitBurst: number;
}

function routePolicyYaml(name: string, ingress: string, type: 'Local' | 'Global', requests: number, burst: number): string {
  const spec = { targetRefs: [{ group: 'networking.k8s.io', kind: 'Ingress', name: ingress }], rateLimit: { type, rules: [{ limit: { requests, unit: 'Second' }, burst }] } };
  return `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec: ${JSON.stringify(spec)}`;
}

/** nginx with one proxied server: `/` under a zone that never trips, /limited under LIMIT_RPS. */
export function nginxLimitReqConf(port: number, upstreamPort: number): string {
  const proxy = `proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";`;
  return `${nginxPreamble('limitreq.pid')}
http {
${NGINX_HTTP_COMMON}
    upstream origin {
        server 127.0.0.1:${upstreamPort};
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    limit_req_zone $binary_remote_addr zone=high:1m rate=${HIGH * 10}r/s;
    limit_req_zone $binary_remote_addr zone=low:1m rate=${LIMIT_RPS}r/s;
    limit_req_status 429;
    server {
        listen 127.0.0.1:${port} backlog=4096;
        location / {
            limit_req zone=high burst=${HIGH} nodelay;
            ${proxy}
        }
        location ${LIMITED_PATH} {
            limit_req zone=low burst=${LIMIT_BURST} nodelay;
            ${proxy}
        }
    }
}
`;
}

/** nginx bare: the same server without limit_req (as proxies.ts's nginx). */
function nginxBareConf(port: number, upstreamPort: number): string {
  return nginxLimitReqConf(port, upstreamPort)
    .replace(/^\s*limit_req.*\n/gm, '')
    .replace('limitreq.pid', 'bare.pid');
}

async function startRedis(port: number, cpus: string): Promise<Group> {
  const group = startGroup('redis', 'redis-server', ['--port', String(port), '--bind', LOOPBACK, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { cpus });
  await waitListening(port, 10_000, 'redis-server', () => group.child.exitCode === null);
  return group;
}

export async function runRateLimit(ctx: BenchContext): Promise<RateLimitResult> {
  const { settings, tools, ws, origin } = ctx;
  const p = settings.proxyCpus;
  const ports = await freePorts(9);
  // Redis is another server beside Sluice, like the origin: on the load CPU.
  const redis = await startRedis(ports[8]!, settings.loadCpus);
  const dirs = (['bare', 'local', 'global'] as const).map((variant) => {
    const m = new ManifestDir(join(ws.dir, `ratelimit-${variant}`));
    m.write('class.yaml', INGRESS_CLASS);
    m.write('origin.yaml', serviceYaml('origin', [{ port: origin.port }]));
    m.write('ingress.yaml', `${ingressYaml('bench', [{ host: BENCH_HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'origin' }] }])}\n---\n${ingressYaml('limited', [{ host: LIMITED_HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'origin' }] }])}`);
    if (variant !== 'bare') {
      const type = variant === 'local' ? 'Local' : 'Global';
      m.write('policy.yaml', `${routePolicyYaml('high', 'bench', type, HIGH, HIGH)}\n---\n${routePolicyYaml('limited', 'limited', type, LIMIT_RPS, LIMIT_BURST)}`);
    }
    return m.path;
  });
  const redisArgs = ['--redis-url', `redis://${LOOPBACK}:${ports[8]}`];
  const targets: Target[] = [];
  try {
    targets.push(
      { label: 'sluice', server: await startSluice({ manifests: dirs[0]!, httpPort: ports[0]!, adminPort: ports[1]!, cpus: p, workers: 1, name: 'sluice-rl-bare' }) },
      { label: 'sluice-local', server: await startSluice({ manifests: dirs[1]!, httpPort: ports[2]!, adminPort: ports[3]!, cpus: p, workers: 1, name: 'sluice-rl-local' }), limited: { host: LIMITED_HOST, path: '/' } },
      { label: 'sluice-global', server: await startSluice({ manifests: dirs[2]!, httpPort: ports[4]!, adminPort: ports[5]!, cpus: p, workers: 1, name: 'sluice-rl-global', extraArgs: redisArgs }), limited: { host: LIMITED_HOST, path: '/' } },
      { label: 'nginx', server: await startNginx(ws, tools, 'nginx-rl-bare', nginxBareConf(ports[6]!, origin.port), ports[6]!, p) },
      { label: 'nginx-limit_req', server: await startNginx(ws, tools, 'nginx-rl-limit', nginxLimitReqConf(ports[7]!, origin.port), ports[7]!, p), limited: { host: BENCH_HOST, path: LIMITED_PATH } },
    );
    await expectPoliciesApplied(targets);
    const cost = await measureCost(ctx, targets, redis);
    const correctness = await measureCorrectness(ctx, targets);
    return { cost, correctness, limitRps: LIMIT_RPS, limitBurst: LIMIT_BURST };
  } finally {
    for (const t of targets) await t.server.group.stop();
    await redis.stop();
  }
}

/** A policy Sluice refused would measure nothing: every Sluice must show both policies on its routes, without diagnostics. */
async function expectPoliciesApplied(targets: readonly Target[]): Promise<void> {
  const client = new HttpClient();
  try {
    for (const t of targets) {
      if (!t.label.startsWith('sluice-')) continue;
      const routes = JSON.parse((await client.get((t.server as SluiceServer).adminPort, 'localhost', '/debug/routes')).body) as { diagnostics: unknown[]; listeners: { hosts: { routes: { edge?: { rateLimit?: unknown } }[] }[] }[] };
      const limited = routes.listeners.flatMap((l) => l.hosts.flatMap((h) => h.routes)).filter((r) => r.edge?.rateLimit).length;
      if (routes.diagnostics.length > 0 || limited < 2) throw new Error(`${t.label}: rate limits not applied (${limited} routes limited): ${JSON.stringify(routes.diagnostics)}`);
    }
  } finally {
    client.close();
  }
}

async function measureCost(ctx: BenchContext, targets: readonly Target[], redis: Group): Promise<RateLimitCostRow[]> {
  const { settings } = ctx;
  const samples = new Map<Label, { rps: number; p50: number; p99: number; cpuUs: number; redisUs: number; non2xx: number }[]>(targets.map((t) => [t.label, []]));
  const measure = async (t: Target, durationS: number) => {
    const ticks0 = groupCpuTicks(t.server.group.pid);
    const redis0 = groupCpuTicks(redis.pid);
    const wrk = await startWrk({ wrk: ctx.tools.wrk, url: `http://${LOOPBACK}:${t.server.port}/`, connections: settings.connections, durationS, cpus: settings.loadCpus, host: BENCH_HOST }).done;
    const perReq = (ticks: number) => usPerRequest(ticks, wrk.requests);
    return { wrk, cpuUs: perReq(groupCpuTicks(t.server.group.pid) - ticks0), redisUs: perReq(groupCpuTicks(redis.pid) - redis0) };
  };
  if (settings.warmupS > 0) for (const t of targets) await measure(t, settings.warmupS);
  for (let r = 1; r <= settings.rounds; r++) {
    for (const t of targets) {
      const { wrk, cpuUs, redisUs } = await measure(t, settings.durationS);
      samples.get(t.label)!.push({ rps: wrk.rps, p50: wrk.p50Ms, p99: wrk.p99Ms, cpuUs, redisUs, non2xx: wrk.non2xx });
      ctx.log(`ratelimit round ${r}/${settings.rounds} ${t.label.padEnd(15)} ${Math.round(wrk.rps).toLocaleString('en-US').padStart(8)} req/s  p99 ${wrk.p99Ms.toFixed(2)} ms  ${cpuUs.toFixed(1)} µs/req${t.label === 'sluice-global' ? `  redis ${redisUs.toFixed(1)} µs/req` : ''}`);
    }
  }
  const rows = targets.map((t) => {
    const s = samples.get(t.label)!;
    return { label: t.label, rps: median(s.map((x) => x.rps)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)), cpuUs: median(s.map((x) => x.cpuUs)), redisUs: median(s.map((x) => x.redisUs)), non2xx: s.reduce((a, x) => a + x.non2xx, 0), rounds: s.length };
  });
  const bare = (label: Label) => rows.find((r) => r.label === (label.startsWith('nginx') ? 'nginx' : 'sluice'))!;
  return rows.map((r) => ({
    label: r.label,
    rps: Math.round(r.rps),
    p50_ms: round(r.p50, 3),
    p99_ms: round(r.p99, 3),
    cpu_us_per_req: round(r.cpuUs, 1),
    ...(r.label === 'sluice-global' ? { redis_cpu_us_per_req: round(r.redisUs, 1) } : {}),
    rps_vs_bare: round(r.rps / bare(r.label).rps, 3),
    cpu_vs_bare: round(r.cpuUs / bare(r.label).cpuUs, 3),
    non2xx: r.non2xx,
    rounds: r.rounds,
  }));
}

async function measureCorrectness(ctx: BenchContext, targets: readonly Target[]): Promise<RateLimitCorrectnessRow[]> {
  const { settings } = ctx;
  // At least 10 s, so the burst is a small part of what is admitted.
  const durationS = Math.max(settings.durationS, 10);
  const out: RateLimitCorrectnessRow[] = [];
  for (const t of targets) {
    if (!t.limited) continue;
    const wrk = await startWrk({ wrk: ctx.tools.wrk, url: `http://${LOOPBACK}:${t.server.port}${t.limited.path}`, connections: settings.connections, durationS, cpus: settings.loadCpus, host: t.limited.host }).done;
    // wrk counts every status ≥ 400 as non-2xx; here those are the 429s (the origin answers 200).
    const admitted = wrk.requests - wrk.non2xx;
    const expected = LIMIT_RPS + LIMIT_BURST / wrk.seconds;
    const row = {
      label: t.label,
      offered_rps: Math.round(wrk.rps),
      rejected_fraction: round(wrk.requests > 0 ? wrk.non2xx / wrk.requests : NaN, 4),
      admitted_rps: round(admitted / wrk.seconds, 1),
      admitted_vs_limit: round(admitted / wrk.seconds / expected, 3),
      seconds: round(wrk.seconds, 2),
    };
    ctx.log(`ratelimit limit ${LIMIT_RPS}/s ${t.label.padEnd(15)} offered ${fmtInt(row.offered_rps)} req/s  429 ${(row.rejected_fraction * 100).toFixed(2)} %  admitted ${row.admitted_rps} req/s (${row.admitted_vs_limit} × expected)`);
    out.push(row);
  }
  return out;
}

export function rateLimitMarkdown(r: RateLimitResult): string {
  return [
    '## Rate limit cost and accuracy',
    '',
    `One worker per proxy on the proxy CPU, small body. Cost: limits far above the offered load (never trip): Sluice \`rateLimit\` Local, Global (redis-server on the load CPU; its CPU per request in brackets) and nginx \`limit_req\` (one zone keyed on the client address), each against the same proxy bare; interleaved rounds, median.`,
    '',
    table(
      ['proxy', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'req/s ÷ bare', 'CPU ÷ bare', 'non-2xx', 'rounds'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      r.cost.map((x) => [x.label, fmtInt(x.rps), fmt(x.p50_ms, 3), fmt(x.p99_ms, 3), `${fmt(x.cpu_us_per_req, 1)}${x.redis_cpu_us_per_req !== undefined ? ` (+${fmt(x.redis_cpu_us_per_req, 1)} redis)` : ''}`, fmt(x.rps_vs_bare, 3), fmt(x.cpu_vs_bare, 3), fmtInt(x.non2xx), String(x.rounds)]),
    ),
    '',
    `Accuracy: wrk saturates a route limited to ${r.limitRps} req/s (burst ${r.limitBurst}); expected admitted rate ${r.limitRps} + ${r.limitBurst} / duration.`,
    '',
    table(
      ['proxy', 'offered req/s', '429 share', 'admitted req/s', 'admitted ÷ expected', 'seconds'],
      ['l', 'r', 'r', 'r', 'r', 'r'],
      r.correctness.map((x) => [x.label, fmtInt(x.offered_rps), `${fmt(x.rejected_fraction * 100, 2)} %`, fmt(x.admitted_rps, 1), fmt(x.admitted_vs_limit, 3), fmt(x.seconds, 2)]),
    ),
  ].join('\n');
}
