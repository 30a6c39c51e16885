// HTTPS with keep-alive over HTTP/2: Sluice (--http2, the default), nginx (`http2 on`) and
// HAProxy (`alpn h2,http/1.1`), each one worker/thread pinned to the proxy CPU, terminating TLS
// and proxying to the shared origin over HTTP/1.1 keep-alive; h2load (nghttp2-client) on the
// load CPU with C connections × M concurrent streams, interleaved rounds, median req/s and the
// proxy's CPU µs per request.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { haproxyH2Conf, nginxH2Conf } from './lib/configs.ts';
import { gatewayYaml, ManifestDir, NAMESPACE, serviceYaml } from './lib/manifests.ts';
import { freePorts, LOOPBACK, waitListening } from './lib/net.ts';
import { boundedRun, groupCpuTicks, startGroup, usPerRequest } from './lib/processes.ts';
import { type Server, startHaproxyWith, startNginx, startSluice } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';

/** h2load connections and streams per connection (64 requests in flight, as wrk's -c64). */
const CONNECTIONS = 8;
const STREAMS = 8;

export interface H2Row {
  readonly proxy: string;
  readonly rps: number;
  readonly cpu_us_per_req: number;
  readonly failed: number;
  readonly rounds: number;
}

export interface H2Result {
  readonly connections: number;
  readonly streams: number;
  readonly rows: readonly H2Row[];
}

interface H2Load {
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly h2: boolean;
}

export function parseH2load(out: string): H2Load {
  const rps = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (!rps || !requests) throw new Error(`cannot parse h2load output:\n${out}`);
  return { rps: Number(rps[1]), succeeded: Number(requests[1]), failed: Number(requests[2]) + Number(requests[3]), h2: /Application protocol: h2/.test(out) };
}

function h2load(tool: string, port: number, durationS: number, cpus: string): Promise<H2Load> {
  const g = startGroup('h2load', tool, ['-t1', `-c${CONNECTIONS}`, `-m${STREAMS}`, '-D', String(durationS), `https://${LOOPBACK}:${port}/`], { cpus });
  return boundedRun(g, durationS + 15).then(parseH2load);
}

/** A self-signed key pair (openssl) and the single PEM HAProxy wants. */
function keyPair(dir: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, 'h2-cert.pem');
  const key = join(dir, 'h2-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=bench.local', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const pem = join(dir, 'h2-combined.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, pem };
}

export async function runH2(ctx: BenchContext): Promise<H2Result> {
  const { settings, ws, origin, tools } = ctx;
  const pair = keyPair(ws.dir);
  const manifests = new ManifestDir(join(ws.dir, 'h2-manifests'));
  manifests.write('origin.yaml', serviceYaml('origin', [{ port: origin.port }]));
  const b64 = (file: string) => readFileSync(file).toString('base64');
  // A Gateway HTTPS listener without hostname: every name, this certificate (h2load sends no SNI to an IP).
  manifests.write('gateway.yaml', `apiVersion: v1
kind: Secret
metadata: { name: h2-cert, namespace: ${NAMESPACE} }
type: kubernetes.io/tls
data: { tls.crt: ${b64(pair.cert)}, tls.key: ${b64(pair.key)} }
---
${gatewayYaml('h2', '{ name: https, port: 443, protocol: HTTPS, tls: { certificateRefs: [{ name: h2-cert }] } }')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: h2, namespace: ${NAMESPACE} }
spec:
  parentRefs: [{ name: h2 }]
  rules: [{ backendRefs: [{ name: origin, port: 80 }] }]`);
  const [sluiceHttp, sluiceHttps, sluiceAdmin, nginxPort, haproxyPort] = await freePorts(5);
  const p = settings.proxyCpus;
  const sluice = await startSluice({ manifests: manifests.path, httpPort: sluiceHttp!, adminPort: sluiceAdmin!, cpus: p, workers: 1, name: 'sluice-h2', extraArgs: ['--https-port', String(sluiceHttps)] });
  await waitListening(sluiceHttps!, 10_000, 'sluice-h2 https');
  const targets: { proxy: string; server: Server; port: number }[] = [
    { proxy: 'sluice', server: sluice, port: sluiceHttps! },
    { proxy: 'nginx', server: await startNginx(ws, tools, 'nginx-h2', nginxH2Conf(nginxPort!, origin.port, pair.cert, pair.key), nginxPort!, p), port: nginxPort! },
    { proxy: 'haproxy', server: await startHaproxyWith(ws, tools, 'haproxy-h2', haproxyH2Conf(haproxyPort!, origin.port, pair.pem), haproxyPort!, p), port: haproxyPort! },
  ];
  const samples = new Map<string, { rps: number; cpuUs: number; failed: number }[]>(targets.map((t) => [t.proxy, []]));
  try {
    const measure = async (t: (typeof targets)[number], durationS: number) => {
      const ticks0 = groupCpuTicks(t.server.group.pid);
      const r = await h2load(tools.h2load, t.port, durationS, settings.loadCpus);
      if (!r.h2) throw new Error(`${t.proxy} did not negotiate h2`);
      const cpuUs = usPerRequest(groupCpuTicks(t.server.group.pid) - ticks0, r.succeeded);
      return { ...r, cpuUs };
    };
    if (settings.warmupS > 0) for (const t of targets) await measure(t, settings.warmupS);
    for (let round_ = 1; round_ <= settings.rounds; round_++) {
      for (const t of targets) {
        const r = await measure(t, settings.durationS);
        samples.get(t.proxy)!.push({ rps: r.rps, cpuUs: r.cpuUs, failed: r.failed });
        ctx.log(`h2 round ${round_}/${settings.rounds} ${t.proxy.padEnd(8)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s  ${r.cpuUs.toFixed(1)} µs/req  failed ${r.failed}`);
      }
    }
  } finally {
    for (const t of targets) await t.server.group.stop();
  }
  const rows = targets.map(({ proxy }) => {
    const s = samples.get(proxy)!;
    return { proxy, rps: Math.round(median(s.map((x) => x.rps))), cpu_us_per_req: round(median(s.map((x) => x.cpuUs)), 1), failed: s.reduce((n, x) => n + x.failed, 0), rounds: s.length };
  });
  return { connections: CONNECTIONS, streams: STREAMS, rows };
}

export function h2Markdown(r: H2Result): string {
  const sluice = r.rows.find((x) => x.proxy === 'sluice')!;
  return [
    '## HTTPS over HTTP/2 (h2load)',
    '',
    `\`h2load -t1 -c${r.connections} -m${r.streams}\` (keep-alive, TLS, ALPN h2) against each proxy, one worker pinned to the proxy CPU, the origin over HTTP/1.1 keep-alive; interleaved rounds, median. Ratios are Sluice ÷ the peer.`,
    '',
    '| proxy | req/s | CPU µs/req | failed | rounds | req/s ratio | CPU ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.proxy} | ${x.rps.toLocaleString('en-US')} | ${x.cpu_us_per_req} | ${x.failed} | ${x.rounds} | ${round(sluice.rps / x.rps, 2)} | ${round(sluice.cpu_us_per_req / x.cpu_us_per_req, 2)} |`),
  ].join('\n');
}
