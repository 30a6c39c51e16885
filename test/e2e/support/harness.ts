// End-to-end support: real `sluice` processes (dist/main.js on the project's Node), real HTTP
// backends on 127.0.0.1, and a plain node:http client that can set any Host header.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoBackend, type EchoReply } from '../../../src/demo/backend.js';
import { SluiceProcess } from '../../support/sluice-process.js';
import { eventually, freePort } from '../../support/wait.js';

export { eventually, freePort, sleep } from '../../support/wait.js';

export const ROOT = process.cwd();

export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly server: Server;
}

export async function startBackends(names: readonly string[]): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of names) {
    const server = await startEchoBackend(name, 0);
    out.push({ name, port: (server.address() as { port: number }).port, server });
  }
  return out;
}

export async function closeServers(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    ),
  );
}

export function stopBackends(backends: readonly Backend[]): Promise<void> {
  return closeServers(backends.map((b) => b.server));
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json(): EchoReply;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** A request to 127.0.0.1:port (or `options.address`) with the given Host header. */
export function get(port: number, host: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; address?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: options.address ?? '127.0.0.1', port, path, method: options.method ?? 'GET', agent, headers: { host, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as EchoReply });
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`request to ${host}${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** YAML for a Service whose endpoints are the given backends (one EndpointSlice each). */
export function serviceYaml(namespace: string, name: string, endpoints: readonly { port: number; ready?: boolean; serving?: boolean; terminating?: boolean }[]): string {
  const docs = [`apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec: { ports: [{ name: http, port: 80 }] }`];
  endpoints.forEach((e, i) => {
    const conditions = JSON.stringify({ ready: e.ready ?? true, ...(e.serving !== undefined ? { serving: e.serving } : {}), ...(e.terminating !== undefined ? { terminating: e.terminating } : {}) });
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-${i}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${e.port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: ${conditions} }]`);
  });
  return docs.join('\n---\n');
}

export interface IngressPath {
  readonly path: string;
  /** Service name; port 80 of it. */
  readonly service: string;
  readonly type?: 'Prefix' | 'Exact';
}

/** YAML for an Ingress of class sluice with one host and the given paths. */
export function ingressYaml(namespace: string, name: string, host: string, paths: readonly IngressPath[]): string {
  const lines = paths.map((p) => `          - { path: ${p.path}, pathType: ${p.type ?? 'Prefix'}, backend: { service: { name: ${p.service}, port: { number: 80 } } } }`);
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ingressClassName: sluice
  rules:
    - host: ${host}
      http:
        paths:
${lines.join('\n')}
`;
}

export const INGRESS_CLASS_YAML = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
spec: { controller: sluice.dev/ingress-controller }`;

export const GATEWAY_CLASS_YAML = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: sluice }
spec: { controllerName: sluice.dev/gateway-controller }`;

/** YAML for a Gateway of class sluice with one plain HTTP listener on port 80. */
export function httpGatewayYaml(namespace: string, name: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  gatewayClassName: sluice
  listeners: [{ name: http, port: 80, protocol: HTTP }]`;
}

export class ManifestDir {
  readonly path = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  /** Writes a manifest the way editors save: a temporary file renamed over the old one. */
  write(file: string, text: string): void {
    const tmp = join(this.path, `.${file}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.path, file));
  }
  /** Rewrites a manifest in place (truncate and write). */
  writeInPlace(file: string, text: string): void {
    writeFileSync(join(this.path, file), text);
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface Sluice {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts sluice in file mode, data plane and (by default, following it) admin on 127.0.0.1. */
export async function startSluice(manifests: string, extraArgs: readonly string[] = []): Promise<Sluice> {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const adminPort = await freePort();
  const proc = new SluiceProcess(['--provider', 'file', '--manifests', manifests, '--http-port', String(httpPort), '--https-port', String(httpsPort), '--admin-port', String(adminPort), '--bind-address', '127.0.0.1', '--log-level', 'debug', ...extraArgs]);
  const sluice: Sluice = { httpPort, httpsPort, adminPort, process: proc.child, output: () => proc.output(), stop: (signal) => proc.stop(signal) };
  try {
    await proc.ready(adminPort, 15_000);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n${proc.output()}`);
  }
  return sluice;
}

export interface DebugRoutes {
  readonly generation: number;
  readonly listeners: readonly { name: string; port: number; socketPort: number; protocol: string }[];
  readonly clusters: readonly { id: string; endpoints: readonly { address: string; port: number; state: string; health?: readonly { worker: number; ejected: boolean; ejectedForMs: number; failures: number }[] }[] }[];
  readonly statuses: readonly { kind: string; namespace?: string; name: string; status?: unknown; parents?: unknown }[];
  readonly diagnostics: readonly { code: string; message: string; source: { kind: string; name: string } }[];
}

export async function debugRoutes(s: Pick<Sluice, 'adminPort'>): Promise<DebugRoutes> {
  return JSON.parse((await get(s.adminPort, 'localhost', '/debug/routes')).body) as DebugRoutes;
}

/** Waits for the table generation to pass `after` (a change was installed); returns the table. */
export function waitForGeneration(s: Pick<Sluice, 'adminPort'>, after: number, timeoutMs = 5000): Promise<DebugRoutes> {
  return eventually(`table generation > ${after}`, async () => {
    const d = await debugRoutes(s);
    return d.generation > after ? d : undefined;
  }, timeoutMs);
}

/** PIDs of a process's children (the data-plane workers of a sluice). */
function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * How many of a sluice's processes hold established connections to the backend on 127.0.0.1:port
 * (from ss). Each worker keeps its own keep-alive connections upstream, so with --workers 2 a
 * result of 2 means both workers answered.
 */
export function servingWorkers(s: Sluice, port: number): number {
  const sluicePids = new Set([s.process.pid, ...childPids(s.process.pid!)]);
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', 'dst', `127.0.0.1:${port}`], { encoding: 'utf8' });
  return new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).filter((pid) => sluicePids.has(pid))).size;
}

/** Sum of a Prometheus counter's samples whose labels contain every given pair. */
export async function metricValue(s: Sluice, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await get(s.adminPort, 'localhost', '/metrics')).body;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** YAML for a kubernetes.io/tls Secret holding a key pair from selfSignedPair(). */
export function tlsSecretYaml(namespace: string, name: string, pair: { crt: string; key: string }): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data: { tls.crt: ${pair.crt}, tls.key: ${pair.key} }
`;
}

/** A fresh self-signed key pair for `name` (openssl), as base64 ready for Secret data. */
export function selfSignedPair(name: string): { crt: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
    ], { stdio: 'ignore' });
    return { crt: readFileSync(join(dir, 'tls.crt')).toString('base64'), key: readFileSync(join(dir, 'tls.key')).toString('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsReply {
  readonly status: number;
  /** CN of the certificate the server presented. */
  readonly subject: string;
  readonly fingerprint: string;
  readonly body: string;
}

/** GET / over TLS with the given SNI server name (undefined: none) and Host header. */
export function getTls(port: number, servername: string | undefined, host: string, path = '/'): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      // servername '' sends no SNI (left undefined, node:https would send the Host header as SNI).
      { host: '127.0.0.1', port, path, servername: servername ?? '', headers: { host }, rejectUnauthorized: false, agent: false, timeout: 5000 },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, subject: cert.subject?.CN as string, fingerprint: cert.fingerprint256, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Runs openssl s_client with an SNI name; resolves with everything it printed. */
export function sClient(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername], { timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    child.stdin?.end();
  });
}

export interface RawReply {
  /** Everything the server sent, as latin1 text. */
  readonly text: string;
  /** Status code of the first response line (0 when there was none). */
  readonly status: number;
  /** The server closed the connection before `waitMs` ran out. */
  readonly closed: boolean;
  readonly elapsedMs: number;
}

/**
 * Sends raw bytes on a fresh TCP connection (for requests an HTTP client refuses to write) and
 * collects what comes back until the server closes, or `waitMs` passes.
 */
export function rawHttp(port: number, bytes: string | Buffer, waitMs = 2000): Promise<RawReply> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: status ? Number(status[1]) : 0, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => {
      socket.destroy();
    }, waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('end', () => (closed = true));
    socket.on('close', (hadError) => {
      if (hadError) closed = true;
      finish();
    });
  });
}

/** The JSON body of a raw response (the echo backends' answer). */
export function rawJson(reply: RawReply): EchoReply {
  return JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as EchoReply;
}

export type LocalAddress = { readonly address: string; release(): void } | { readonly address: undefined; readonly why: string };

/**
 * An address of this machine that is not loopback, so a connection to it (from here) has a
 * non-loopback source and destination: an existing interface's, else one on a dummy interface
 * created for the test (needs root and `ip`; `release()` removes it). Without either, `why`.
 */
export function nonLoopbackAddress(): LocalAddress {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((a) => !a.internal);
  const pick = all.find((a) => a.family === 'IPv4') ?? all.find((a) => a.family === 'IPv6' && !a.address.startsWith('fe80'));
  if (pick) return { address: pick.address, release: () => undefined };
  const link = `sluice-e2e${process.pid % 10000}`;
  const address = '198.51.100.7'; // TEST-NET-2 (RFC 5737): routes nowhere
  try {
    execFileSync('ip', ['link', 'add', link, 'type', 'dummy'], { stdio: 'ignore' });
    execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', link], { stdio: 'ignore' });
    execFileSync('ip', ['link', 'set', link, 'up'], { stdio: 'ignore' });
    return { address, release: () => execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' }) };
  } catch (err) {
    try {
      execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' });
    } catch {
      // nothing was created
    }
    return { address: undefined, why: `this machine has no non-loopback address and none could be added (ip link add ... type dummy: ${(err as Error).message})` };
  }
}

/** Resolves once a TCP connection to address:port succeeds, or with the connect error's code (e.g. ECONNREFUSED). */
export function tcpConnect(address: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
