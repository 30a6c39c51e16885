// Cache stampede: 500 concurrent identical GETs (each on its own connection) for a resource the
// origin takes 200 ms to produce, a fresh path per burst so no cache is warm. Counted: how many
// requests reached the origin, whether every client got a 200 with the one answer, and how long
// the whole burst took. Sluice with RoutePolicy coalescing on (goal: 1 upstream request per
// burst and worker), with coalescing and cache, with neither (every request goes upstream), and
// nginx with proxy_cache + proxy_cache_lock on (its waiters wait for the cache entry).
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { nginxProxyConf } from './lib/configs.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, NAMESPACE, serviceYaml } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { startNginx, startSluice, type Server as ProxyServer } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';

const CLIENTS = 500;
const ORIGIN_DELAY_MS = 200;
const BODY = 'x'.repeat(1024);

export interface StampedeRow {
  readonly label: string;
  /** Requests the origin saw per burst (median over the bursts). */
  readonly upstream: number;
  /** Clients that got 200 with the origin's body, per burst (median). */
  readonly ok: number;
  /** Wall time from the first request sent to the last answer, ms (median). */
  readonly burst_ms: number;
  readonly bursts: number;
}

export interface StampedeResult {
  readonly clients: number;
  readonly originDelayMs: number;
  readonly rows: readonly StampedeRow[];
}

/** The slow origin, in this process: counts requests per path. */
function startSlowOrigin(port: number): Promise<{ server: Server; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    seen.set(req.url!, (seen.get(req.url!) ?? 0) + 1);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', 'content-length': BODY.length });
      res.end(BODY);
    }, ORIGIN_DELAY_MS);
  });
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) => server.listen(port, LOOPBACK, 1024, () => resolve({ server, seen })));
}

/** nginx proxying with a cache whose lock makes identical misses wait for the first one's entry. */
function nginxCacheConf(port: number, originPort: number): string {
  return nginxProxyConf(port, originPort, {
    pid: 'stampede-nginx.pid',
    http: '    proxy_cache_path stampede-cache levels=1:2 keys_zone=stampede:10m max_size=64m;\n',
    location: '            proxy_cache stampede;\n            proxy_cache_lock on;\n            proxy_cache_lock_timeout 5s;\n',
  });
}

/** One burst of CLIENTS identical GETs; resolves with the number of good answers and the wall time. */
function burst(port: number, path: string): Promise<{ ok: number; ms: number }> {
  const t0 = performance.now();
  const one = (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = request({ host: LOOPBACK, port, path, agent: false, headers: { host: BENCH_HOST } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 && body === BODY));
        res.on('error', () => resolve(false));
      });
      req.setTimeout(15_000, () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  return Promise.all(Array.from({ length: CLIENTS }, one)).then((r) => ({ ok: r.filter(Boolean).length, ms: performance.now() - t0 }));
}

function routePolicyYaml(name: string, spec: string): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: ${name} }]
${spec}`;
}

export async function runStampede(ctx: BenchContext): Promise<StampedeResult> {
  const { settings, ws, tools } = ctx;
  const [originPort, ...ports] = await freePorts(11);
  const origin = await startSlowOrigin(originPort!);
  const bursts = Math.max(3, settings.rounds);
  // One Sluice per variant (and one Ingress each, so each has its own manifests).
  const variants: { label: string; policy: string | undefined; workers: number }[] = [
    { label: 'sluice, coalescing on', policy: '  coalescing: { enabled: true, maxWaiters: 1000, timeout: 5s }', workers: 1 },
    { label: 'sluice, coalescing + cache', policy: '  coalescing: { maxWaiters: 1000, timeout: 5s }\n  cache: { maxSize: 64Mi, maxObjectSize: 1Mi }', workers: 1 },
    { label: 'sluice, coalescing on, 2 workers', policy: '  coalescing: { maxWaiters: 1000, timeout: 5s }', workers: 2 },
    { label: 'sluice, coalescing off', policy: undefined, workers: 1 },
  ];
  const targets: { label: string; server: ProxyServer }[] = [];
  const rows: StampedeRow[] = [];
  try {
    for (const [i, v] of variants.entries()) {
      const dir = new ManifestDir(join(ws.dir, `stampede-${i}`));
      const name = `stampede${i}`;
      dir.write('all.yaml', [INGRESS_CLASS, serviceYaml('origin', [{ port: originPort! }]), ingressYaml(name, [{ host: BENCH_HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'origin' }] }]), ...(v.policy ? [routePolicyYaml(name, v.policy)] : [])].join('\n---\n'));
      const server = await startSluice({ manifests: dir.path, httpPort: ports[2 * i]!, adminPort: ports[2 * i + 1]!, cpus: v.workers > 1 ? `${settings.proxyCpus},${settings.loadCpus}` : settings.proxyCpus, workers: v.workers, name: `sluice-stampede-${i}` });
      targets.push({ label: v.label, server });
    }
    targets.push({ label: 'nginx, proxy_cache_lock on', server: await startNginx(ws, tools, 'stampede-nginx', nginxCacheConf(ports[8]!, originPort!), ports[8]!, settings.proxyCpus) });
    for (const t of targets) {
      const samples: { upstream: number; ok: number; ms: number }[] = [];
      for (let b = 0; b < bursts; b++) {
        const path = `/slow/${t.server.name}/${b}`;
        const r = await burst(t.server.port, path);
        samples.push({ upstream: origin.seen.get(path) ?? 0, ...r });
        ctx.log(`stampede ${t.label.padEnd(34)} burst ${b + 1}/${bursts}: upstream ${origin.seen.get(path) ?? 0}, ok ${r.ok}/${CLIENTS}, ${Math.round(r.ms)} ms`);
      }
      rows.push({ label: t.label, upstream: median(samples.map((s) => s.upstream)), ok: median(samples.map((s) => s.ok)), burst_ms: round(median(samples.map((s) => s.ms)), 0), bursts: samples.length });
    }
  } finally {
    for (const t of targets) await t.server.group.stop();
    await new Promise<void>((r) => {
      origin.server.closeAllConnections();
      origin.server.close(() => r());
    });
  }
  return { clients: CLIENTS, originDelayMs: ORIGIN_DELAY_MS, rows };
}

export function stampedeMarkdown(r: StampedeResult): string {
  return [
    '## Stampede (request coalescing)',
    '',
    `${r.clients} concurrent identical GETs (one connection each) for a resource the origin answers after ${r.originDelayMs} ms (\`Cache-Control: max-age=60\`, 1 KiB), a new path per burst; median over the bursts. Goal: Sluice with coalescing sends 1 request upstream per burst (per worker: each worker coalesces on its own).`,
    '',
    '| proxy | upstream requests per burst | clients answered 200 | burst ms | bursts |',
    '|---|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.upstream} | ${x.ok} / ${r.clients} | ${x.burst_ms} | ${x.bursts} |`),
  ].join('\n');
}
