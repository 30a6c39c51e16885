// TLS handshakes per second, a new connection for every one: `openssl s_time -new` (full
// handshakes, sequential, TLS 1.3, no session reuse) against Sluice, nginx and HAProxy, each
// terminating TLS with the same certificate on the proxy CPU — one row per key type (ECDSA
// P-256, RSA 2048). No HTTP is exchanged: this is the cost of the handshake alone. Sluice serves
// the certificate as its --default-certificate (s_time sends no SNI).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { nginxPreamble, HAPROXY_GLOBAL } from './lib/configs.ts';
import { ManifestDir, INGRESS_CLASS, serviceYaml } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { runCommand } from './lib/processes.ts';
import { startHaproxyWith, startNginx, startSluice, type Server } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';

export type KeyType = 'ECDSA P-256' | 'RSA 2048';

export interface TlsRow {
  readonly key: KeyType;
  readonly proxy: 'sluice' | 'nginx' | 'haproxy';
  readonly handshakesPerS: number;
  readonly rounds: number;
}

export interface TlsResult {
  readonly rows: readonly TlsRow[];
  readonly durationS: number;
}

const KEYS: Readonly<Record<KeyType, readonly string[]>> = {
  'ECDSA P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
  'RSA 2048': ['-newkey', 'rsa:2048'],
};

function makePair(dir: string, key: KeyType): { cert: string; key: string; pem: string } {
  const base = join(dir, key.replace(/\W+/g, '-').toLowerCase());
  execFileSync('openssl', ['req', '-x509', ...KEYS[key], '-nodes', '-days', '2', '-subj', '/CN=bench.local', '-addext', 'subjectAltName=DNS:bench.local', '-keyout', `${base}.key`, '-out', `${base}.crt`], { stdio: 'ignore' });
  const cert = readFileSync(`${base}.crt`, 'utf8');
  const k = readFileSync(`${base}.key`, 'utf8');
  return { cert: `${base}.crt`, key: `${base}.key`, pem: `${cert}${k}` };
}

/** Full handshakes per real second over `seconds` (openssl s_time -new, pinned to the load CPU). */
async function handshakes(port: number, seconds: number, cpus: string): Promise<number> {
  const r = await runCommand('taskset', ['-c', cpus, 'openssl', 's_time', '-connect', `${LOOPBACK}:${port}`, '-new', '-tls1_3', '-time', String(seconds)], (seconds + 30) * 1000);
  const m = /(\d+) connections in (\d+) real seconds/.exec(r.output);
  if (!m) throw new Error(`openssl s_time: unexpected output:\n${r.output}`);
  return Number(m[1]) / Math.max(1, Number(m[2]));
}

export async function runTls(ctx: BenchContext): Promise<TlsResult> {
  const { settings, ws, tools, origin } = ctx;
  const seconds = Math.max(2, Math.min(settings.durationS, 10));
  const rows: TlsRow[] = [];
  for (const key of Object.keys(KEYS) as KeyType[]) {
    const pair = makePair(ws.dir, key);
    const pemFile = ws.file(`haproxy-${rows.length}.pem`, pair.pem);
    const [nginxPort, haproxyPort, sluiceHttp, sluiceHttps, sluiceAdmin] = (await freePorts(5)) as [number, number, number, number, number];
    const manifests = new ManifestDir(join(ws.dir, `tls-manifests-${rows.length}`));
    const b64 = (file: string) => Buffer.from(readFileSync(file)).toString('base64');
    manifests.write('class.yaml', INGRESS_CLASS);
    manifests.write('origin.yaml', serviceYaml('origin', [{ port: origin.port }]));
    manifests.write('tls.yaml', `apiVersion: v1
kind: Secret
metadata: { name: bench-tls, namespace: bench }
type: kubernetes.io/tls
data: { tls.crt: ${b64(pair.cert)}, tls.key: ${b64(pair.key)} }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: bench-tls, namespace: bench }
spec:
  ingressClassName: sluice
  tls: [{ hosts: [bench.local], secretName: bench-tls }]
  rules: [{ host: bench.local, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: origin, port: { number: 80 } } } }] } }]
`);
    const servers: { proxy: TlsRow['proxy']; server: Server; port: number }[] = [];
    try {
      const sluice = await startSluice({
        manifests: manifests.path,
        httpPort: sluiceHttp,
        adminPort: sluiceAdmin,
        cpus: settings.proxyCpus,
        workers: 1,
        name: 'sluice-tls',
        extraArgs: ['--https-port', String(sluiceHttps), '--default-certificate', 'bench/bench-tls'],
      });
      servers.push({ proxy: 'sluice', server: sluice, port: sluiceHttps });
      const nginxConf = `${nginxPreamble('nginx-tls.pid')}http {
    access_log off;
    server {
        listen ${LOOPBACK}:${nginxPort} ssl;
        ssl_certificate ${pair.cert};
        ssl_certificate_key ${pair.key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets off;
        location / { proxy_pass http://${LOOPBACK}:${origin.port}; }
    }
}
`;
      servers.push({ proxy: 'nginx', server: await startNginx(ws, tools, 'nginx-tls', nginxConf, nginxPort, settings.proxyCpus), port: nginxPort });
      const haproxyConf = `${HAPROXY_GLOBAL}
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend fe
    bind ${LOOPBACK}:${haproxyPort} ssl crt ${pemFile}
    default_backend be

backend be
    server origin ${LOOPBACK}:${origin.port}
`;
      servers.push({ proxy: 'haproxy', server: await startHaproxyWith(ws, tools, 'haproxy-tls', haproxyConf, haproxyPort, settings.proxyCpus), port: haproxyPort });
      const samples = new Map<TlsRow['proxy'], number[]>(servers.map((s) => [s.proxy, []]));
      for (let r = 1; r <= settings.rounds; r++) {
        for (const s of servers) {
          const rate = await handshakes(s.port, seconds, settings.loadCpus);
          samples.get(s.proxy)!.push(rate);
          ctx.log(`tls ${key} round ${r}/${settings.rounds} ${s.proxy.padEnd(7)} ${rate.toFixed(0).padStart(6)} handshakes/s`);
        }
      }
      for (const s of servers) rows.push({ key, proxy: s.proxy, handshakesPerS: round(median(samples.get(s.proxy)!), 0), rounds: samples.get(s.proxy)!.length });
    } finally {
      for (const s of servers) await s.server.group.stop();
    }
  }
  return { rows, durationS: seconds };
}

export function tlsMarkdown(r: TlsResult): string {
  const keys = [...new Set(r.rows.map((x) => x.key))];
  const rate = (key: KeyType, proxy: TlsRow['proxy']) => r.rows.find((x) => x.key === key && x.proxy === proxy)?.handshakesPerS ?? NaN;
  return [
    '## TLS handshakes',
    '',
    `\`openssl s_time -new -tls1_3 -time ${r.durationS}\` (a full handshake per connection, one at a time, no session reuse, no HTTP), the proxy on the proxy CPU with one worker, the same certificate for all three; median of the rounds.`,
    '',
    '| key | Sluice | nginx | HAProxy | Sluice ÷ nginx | Sluice ÷ HAProxy |',
    '|---|---:|---:|---:|---:|---:|',
    ...keys.map((k) => {
      const [s, n, h] = [rate(k, 'sluice'), rate(k, 'nginx'), rate(k, 'haproxy')];
      return `| ${k} | ${s} | ${n} | ${h} | ${round(s / n, 2)} | ${round(s / h, 2)} |`;
    }),
  ].join('\n');
}
