// TCPRoute throughput: Sluice (one data-plane worker) against HAProxy `mode tcp` and nginx
// `stream`, each pinned to the proxy CPU. The backend and the clients run in this process on
// the load CPU. Two loads, interleaved per round, median:
//   - bulk: every connection downloads 1 MiB (the backend writes it and closes), C at a time;
//     MB/s through the proxy and proxy CPU ms per MiB;
//   - connect: every connection gets 3 bytes and closes; connections/s and CPU µs per connection.
// CPU per unit is the figure least disturbed by a busy machine; compare ratios within one run.
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { haproxyTcpConf, nginxStreamConf } from './lib/configs.ts';
import { gatewayYaml, ManifestDir, NAMESPACE } from './lib/manifests.ts';
import { freePorts, LOOPBACK, waitListening } from './lib/net.ts';
import { CLOCK_TICKS_PER_SECOND, groupCpuTicks } from './lib/processes.ts';
import { startHaproxyWith, startNginx, startSluice, type Server as ProxyServer } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';

const MIB = 1024 * 1024;
const BULK = Buffer.alloc(MIB, 0x61);
const SMALL = Buffer.from('ok\n');
/** Connections in flight at once. */
const CONCURRENCY = 16;

export interface TcpRow {
  readonly proxy: string;
  readonly mb_per_s: number;
  readonly cpu_ms_per_mib: number;
  readonly conns_per_s: number;
  readonly cpu_us_per_conn: number;
  readonly errors: number;
  readonly rounds: number;
}

export interface TcpResult {
  readonly rows: readonly TcpRow[];
}

/** A backend that answers every connection with `payload`, then closes. */
function payloadServer(port: number, payload: Buffer): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end(payload);
    });
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port, backlog: 4096 }, () => resolve(server));
  });
}

/** CONCURRENCY loops of connect → read to the end → close, for durationS; bytes and connections done. */
async function drive(port: number, durationS: number, expected: number): Promise<{ bytes: number; conns: number; errors: number; seconds: number }> {
  const started = performance.now();
  const until = started + durationS * 1000;
  let bytes = 0;
  let conns = 0;
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      let got = 0;
      const s = connect({ host: LOOPBACK, port });
      s.on('data', (d: Buffer) => (got += d.length));
      s.on('error', () => undefined);
      s.on('close', () => {
        bytes += got;
        if (got === expected) conns++;
        else errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  return { bytes, conns, errors, seconds: (performance.now() - started) / 1000 };
}

function sluiceManifests(dir: string, listenPort: number, backendPort: number): string {
  const m = new ManifestDir(dir);
  m.write('tcp.yaml', `${gatewayYaml('tcp', `{ name: tcp, port: ${listenPort}, protocol: TCP }`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: { name: tcp, namespace: ${NAMESPACE} }
spec:
  parentRefs: [{ name: tcp }]
  rules: [{ backendRefs: [{ name: backend, port: 9000 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: ${NAMESPACE} }
spec: { ports: [{ name: tcp, port: 9000 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: backend-1, namespace: ${NAMESPACE}, labels: { kubernetes.io/service-name: backend } }
addressType: IPv4
ports: [{ name: tcp, port: ${backendPort} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]
`);
  return m.path;
}

export async function runTcp(ctx: BenchContext): Promise<TcpResult> {
  const { settings, ws, tools } = ctx;
  const [bulkPort, smallPort, sluiceBulk, sluiceSmall, sluiceHttp, sluiceAdmin, sluiceHttp2, sluiceAdmin2, haBulk, haSmall, ngBulk, ngSmall] = await freePorts(12);
  const backends = [await payloadServer(bulkPort!, BULK), await payloadServer(smallPort!, SMALL)];
  const p = settings.proxyCpus;
  // One proxy process per (proxy, load), so each listens on one port towards one backend.
  // `port`: where the clients connect (for Sluice its TCP listener, not the HTTP port).
  const proxies: { name: string; bulk: ProxyServer; small: ProxyServer }[] = [];
  try {
    proxies.push({
      name: 'sluice',
      bulk: { ...(await startSluice({ manifests: sluiceManifests(join(ws.dir, 'tcp-bulk'), sluiceBulk!, bulkPort!), httpPort: sluiceHttp!, adminPort: sluiceAdmin!, cpus: p, workers: 1, name: 'sluice-tcp-bulk' })), port: sluiceBulk! },
      small: { ...(await startSluice({ manifests: sluiceManifests(join(ws.dir, 'tcp-small'), sluiceSmall!, smallPort!), httpPort: sluiceHttp2!, adminPort: sluiceAdmin2!, cpus: p, workers: 1, name: 'sluice-tcp-small' })), port: sluiceSmall! },
    });
    await waitListening(sluiceBulk!, 10_000, 'sluice TCP listener');
    await waitListening(sluiceSmall!, 10_000, 'sluice TCP listener');
    proxies.push({
      name: 'haproxy',
      bulk: await startHaproxyWith(ws, tools, 'haproxy-tcp-bulk', haproxyTcpConf(haBulk!, bulkPort!), haBulk!, p),
      small: await startHaproxyWith(ws, tools, 'haproxy-tcp-small', haproxyTcpConf(haSmall!, smallPort!), haSmall!, p),
    });
    proxies.push({
      name: 'nginx',
      bulk: await startNginx(ws, tools, 'nginx-stream-bulk', nginxStreamConf('nginx-stream-bulk', ngBulk!, bulkPort!), ngBulk!, p),
      small: await startNginx(ws, tools, 'nginx-stream-small', nginxStreamConf('nginx-stream-small', ngSmall!, smallPort!), ngSmall!, p),
    });

    const samples = new Map(proxies.map((x) => [x.name, [] as { mbs: number; msPerMib: number; cps: number; usPerConn: number; errors: number }[]]));
    const measure = async (x: (typeof proxies)[number], durationS: number) => {
      const t0 = groupCpuTicks(x.bulk.group.pid);
      const bulk = await drive(x.bulk.port, durationS, MIB);
      const bulkCpuMs = ((groupCpuTicks(x.bulk.group.pid) - t0) * 1000) / CLOCK_TICKS_PER_SECOND;
      const s0 = groupCpuTicks(x.small.group.pid);
      const small = await drive(x.small.port, durationS, SMALL.length);
      const smallCpuUs = ((groupCpuTicks(x.small.group.pid) - s0) * 1e6) / CLOCK_TICKS_PER_SECOND;
      const mib = bulk.bytes / MIB;
      return {
        mbs: bulk.bytes / 1e6 / bulk.seconds,
        msPerMib: mib > 0 ? bulkCpuMs / mib : NaN,
        cps: small.conns / small.seconds,
        usPerConn: small.conns > 0 ? smallCpuUs / small.conns : NaN,
        errors: bulk.errors + small.errors,
      };
    };
    const warmup = Math.min(1, settings.warmupS);
    if (warmup > 0) for (const x of proxies) await measure(x, warmup);
    for (let r = 1; r <= settings.rounds; r++) {
      for (const x of proxies) {
        const m = await measure(x, settings.durationS);
        samples.get(x.name)!.push(m);
        ctx.log(`tcp round ${r}/${settings.rounds} ${x.name.padEnd(7)} ${m.mbs.toFixed(0).padStart(6)} MB/s  ${m.msPerMib.toFixed(2)} CPU ms/MiB  ${Math.round(m.cps).toLocaleString('en-US').padStart(7)} conn/s  ${m.usPerConn.toFixed(0)} CPU µs/conn  errors ${m.errors}`);
      }
    }
    return {
      rows: proxies.map(({ name }) => {
        const s = samples.get(name)!;
        return {
          proxy: name,
          mb_per_s: round(median(s.map((x) => x.mbs)), 0),
          cpu_ms_per_mib: round(median(s.map((x) => x.msPerMib)), 2),
          conns_per_s: Math.round(median(s.map((x) => x.cps))),
          cpu_us_per_conn: round(median(s.map((x) => x.usPerConn)), 0),
          errors: s.reduce((a, x) => a + x.errors, 0),
          rounds: s.length,
        };
      }),
    };
  } finally {
    for (const x of proxies) {
      await x.bulk.group.stop();
      await x.small.group.stop();
    }
    for (const b of backends) b.close();
  }
}

export function tcpMarkdown(r: TcpResult): string {
  const sluice = r.rows.find((x) => x.proxy === 'sluice');
  const ratio = (x: TcpRow, f: (row: TcpRow) => number) => (sluice ? round(f(sluice) / f(x), 2) : NaN);
  return [
    '## TCPRoute (L4) throughput',
    '',
    `Each proxy pinned to the proxy CPU (Sluice: one worker), the backend and ${CONCURRENCY} looping clients on the load CPU. bulk: every connection downloads 1 MiB; connect: every connection gets 3 bytes and closes. Interleaved rounds, median.`,
    '',
    '| proxy | bulk MB/s | CPU ms/MiB | connect conn/s | CPU µs/conn | errors | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.proxy} | ${x.mb_per_s.toLocaleString('en-US')} | ${x.cpu_ms_per_mib} | ${x.conns_per_s.toLocaleString('en-US')} | ${x.cpu_us_per_conn} | ${x.errors} | ${x.rounds} |`),
    '',
    ...r.rows
      .filter((x) => x.proxy !== 'sluice')
      .map((x) => `Sluice ÷ ${x.proxy}: MB/s **${ratio(x, (y) => y.mb_per_s)}**, conn/s **${ratio(x, (y) => y.conns_per_s)}**, CPU per MiB ${ratio(x, (y) => y.cpu_ms_per_mib)}, CPU per connection ${ratio(x, (y) => y.cpu_us_per_conn)}`),
  ].join('\n');
}
