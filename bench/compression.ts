// The cost of response compression: a 16 KiB JSON body (realistic, not one repeated byte)
// through Sluice with a RoutePolicy compression block (gzip) and through nginx `gzip on` — same
// level (6), same minimum length (1024), same type (application/json) — and both without
// compression, every client asking `Accept-Encoding: gzip`. One worker each on the proxy CPU,
// interleaved rounds, median req/s and CPU µs per request (the proxy's process group, which
// includes Sluice's zlib thread pool).
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { jsonOriginConf } from './lib/configs.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, NAMESPACE, serviceYaml } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { interleavedRounds, type RoundRow } from './lib/rounds.ts';
import { startNginx, startNginxProxy, startSluice, type Server } from './lib/servers.ts';
import { round } from './lib/stats.ts';

const PATH = '/16k.json';
const BODY_BYTES = 16384;
const GZIP_LEVEL = 6; // Sluice's (src/dataplane/route-policy/body-encoder.ts)
const MIN_LENGTH = 1024;
const NGINX_GZIP = `            gzip on;
            gzip_comp_level ${GZIP_LEVEL};
            gzip_min_length ${MIN_LENGTH};
            gzip_types application/json;
            gzip_proxied any;
            gzip_vary on;
`;

export type CompressionLabel = 'sluice-off' | 'sluice-gzip' | 'nginx-off' | 'nginx-gzip';

export interface CompressionRow extends RoundRow<CompressionLabel> {
  /** Body bytes one response carried on the wire. */
  readonly wire_bytes: number;
}

export interface CompressionResult {
  readonly rows: readonly CompressionRow[];
  /** Sluice gzip ÷ nginx gzip: req/s, and CPU µs per request (above 1: Sluice spends more). */
  readonly rpsVsNginx: number;
  readonly cpuVsNginx: number;
  /** What compression costs each proxy: req/s gzip ÷ off, CPU µs gzip ÷ off. */
  readonly sluiceRpsKept: number;
  readonly nginxRpsKept: number;
  readonly sluiceCpuFactor: number;
  readonly nginxCpuFactor: number;
}

/** Deterministic JSON records of exactly `bytes` bytes, compressing like an API answer does. */
export function jsonBody(bytes: number): string {
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const words = ['order', 'shipped', 'pending', 'customer', 'warehouse', 'north', 'south', 'priority', 'standard', 'express', 'returned', 'invoice'];
  const items: unknown[] = [];
  const text = (): string => JSON.stringify({ items });
  for (let i = 0; text().length < bytes - 300; i++) {
    items.push({ id: 100000 + i, sku: `SKU-${next(1_000_000)}`, name: `${words[next(words.length)]} ${words[next(words.length)]}`, price: next(100000) / 100, qty: next(50), status: words[next(words.length)], updated: new Date(1.7e12 + next(1e9) * 10).toISOString() });
  }
  items.push({ note: '' });
  const pad = bytes - text().length;
  items[items.length - 1] = { note: 'n'.repeat(pad) };
  const out = text();
  if (out.length !== bytes) throw new Error(`JSON body is ${out.length} bytes, not ${bytes}`);
  return out;
}

/** One request as wrk sends it; the answer's encoding and wire size, checked to decode to the body. */
function probe(port: number, body: string): Promise<{ encoding: string | undefined; wireBytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: LOOPBACK, port, path: PATH, agent: false, headers: { host: BENCH_HOST, 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const plain = encoding === 'gzip' ? gunzipSync(wire) : wire;
        if (res.statusCode !== 200 || plain.toString() !== body) return reject(new Error(`port ${port}: status ${res.statusCode}, body does not decode to the origin's`));
        resolve({ encoding, wireBytes: wire.length });
      });
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`probe of port ${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function sluiceManifests(ctx: BenchContext, name: string, originPort: number, compressed: boolean): string {
  const dir = new ManifestDir(join(ctx.ws.dir, `${name}-manifests`));
  dir.write('class.yaml', INGRESS_CLASS);
  dir.write('origin.yaml', serviceYaml('json-origin', [{ port: originPort }]));
  dir.write('ingress.yaml', ingressYaml('zip', [{ host: BENCH_HOST, paths: [{ path: '/', pathType: 'Prefix', service: 'json-origin' }] }]));
  if (compressed) {
    dir.write(
      'policy.yaml',
      `apiVersion: sluice.dev/v1alpha1
kind: RoutePolicy
metadata: { name: zip, namespace: ${NAMESPACE} }
spec:
  targetRefs: [{ group: networking.k8s.io, kind: Ingress, name: zip }]
  compression: { types: [gzip], minLength: ${MIN_LENGTH}, contentTypes: [application/json] }`,
    );
  }
  return dir.path;
}

export async function runCompression(ctx: BenchContext): Promise<CompressionResult> {
  const { settings, ws, tools } = ctx;
  const body = jsonBody(BODY_BYTES);
  ws.file(join('www', '16k.json'), body);
  const ports = await freePorts(7);
  const p = settings.proxyCpus;
  const origin = await startNginx(ws, tools, 'json-origin', jsonOriginConf(ports[0]!), ports[0]!, settings.loadCpus);
  const targets: { label: CompressionLabel; server: Server; gzip: boolean }[] = [];
  try {
    targets.push(
      { label: 'sluice-off', gzip: false, server: await startSluice({ manifests: sluiceManifests(ctx, 'zip-off', origin.port, false), httpPort: ports[1]!, adminPort: ports[2]!, cpus: p, workers: 1, name: 'sluice-zip-off' }) },
      { label: 'sluice-gzip', gzip: true, server: await startSluice({ manifests: sluiceManifests(ctx, 'zip-gzip', origin.port, true), httpPort: ports[3]!, adminPort: ports[4]!, cpus: p, workers: 1, name: 'sluice-zip-gzip' }) },
      { label: 'nginx-off', gzip: false, server: await startNginxProxy(ws, tools, ports[5]!, origin.port, p, { name: 'nginx-zip-off' }) },
      { label: 'nginx-gzip', gzip: true, server: await startNginxProxy(ws, tools, ports[6]!, origin.port, p, { name: 'nginx-zip-gzip', extra: NGINX_GZIP }) },
    );
    const wire = new Map<CompressionLabel, number>();
    for (const t of targets) {
      // The policy reaches Sluice's table a moment after /readyz: wait for the first gzip answer.
      let seen = await probe(t.server.port, body);
      for (let i = 0; i < 100 && t.gzip && seen.encoding !== 'gzip'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await probe(t.server.port, body);
      }
      if ((seen.encoding === 'gzip') !== t.gzip) throw new Error(`${t.label}: answered with content-encoding ${seen.encoding ?? 'none'}`);
      wire.set(t.label, seen.wireBytes);
    }
    const measured = await interleavedRounds(ctx, 'compression', targets, { path: PATH, host: BENCH_HOST, headers: ['Accept-Encoding: gzip'] });
    const rows: CompressionRow[] = measured.map((r) => ({ ...r, wire_bytes: wire.get(r.label)! }));
    const row = (l: CompressionLabel) => rows.find((x) => x.label === l)!;
    return {
      rows,
      rpsVsNginx: round(row('sluice-gzip').rps / row('nginx-gzip').rps, 3),
      cpuVsNginx: round(row('sluice-gzip').cpu_us_per_req / row('nginx-gzip').cpu_us_per_req, 3),
      sluiceRpsKept: round(row('sluice-gzip').rps / row('sluice-off').rps, 3),
      nginxRpsKept: round(row('nginx-gzip').rps / row('nginx-off').rps, 3),
      sluiceCpuFactor: round(row('sluice-gzip').cpu_us_per_req / row('sluice-off').cpu_us_per_req, 3),
      nginxCpuFactor: round(row('nginx-gzip').cpu_us_per_req / row('nginx-off').cpu_us_per_req, 3),
    };
  } finally {
    for (const t of targets) await t.server.group.stop();
    await origin.group.stop();
  }
}

export function compressionMarkdown(r: CompressionResult): string {
  return [
    '## Compression cost',
    '',
    `${BODY_BYTES} B of JSON, every client sending \`Accept-Encoding: gzip\`; Sluice (RoutePolicy compression, gzip) and nginx (\`gzip on\`) at level ${GZIP_LEVEL}, min length ${MIN_LENGTH}, type application/json, and both without compression. One worker each on the proxy CPU, interleaved rounds, median.`,
    '',
    '| proxy | req/s | p50 ms | p99 ms | CPU µs/req | bytes on the wire | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.rps.toLocaleString('en-US')} | ${x.p50_ms} | ${x.p99_ms} | ${x.cpu_us_per_req} | ${x.wire_bytes.toLocaleString('en-US')} | ${x.rounds} |`),
    '',
    `Sluice gzip ÷ nginx gzip: req/s **${r.rpsVsNginx}**, CPU per request **${r.cpuVsNginx}** · req/s kept with gzip (gzip ÷ off): Sluice ${r.sluiceRpsKept}, nginx ${r.nginxRpsKept} · CPU per request gzip ÷ off: Sluice ${r.sluiceCpuFactor}, nginx ${r.nginxCpuFactor}`,
  ].join('\n');
}
