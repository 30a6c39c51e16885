// Test-cluster harness: a real etcd + kube-apiserver (built by test/cluster/build.sh from Go
// modules) for the integration tests. No dependencies beyond node: builtins.
//
// Library use (inside a network namespace made by test/cluster/in-netns.sh):
//   const cluster = await startCluster();          // owns the processes; stop() kills them
//   const cluster = await attachCluster(stateDir); // handle on a cluster started elsewhere
//
// Command-line use (Node >= 22.18 strips the types; used by up.sh / down.sh):
//   node test/cluster/harness.ts up   --state-dir DIR   # start, leave running, print JSON
//   node test/cluster/harness.ts down --state-dir DIR   # stop the processes of that cluster
//   node test/cluster/harness.ts status --state-dir DIR
//
// This file deliberately has no relative imports and no `import.meta`, so that it can be run
// by Node's type stripping directly and also loaded by ts-jest as CommonJS (globalSetup).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';

// ---------------------------------------------------------------------------------------------
// Public types

export interface StartClusterOptions {
  /** Directory for certs, tokens, etcd data, logs and pid files. Default: a new temp dir. */
  readonly stateDir?: string;
  /** Directory holding `kube-apiserver` and `etcd`. Default: <cache>/kube/bin. */
  readonly binDir?: string;
  /** Run test/cluster/build.sh first (a no-op when the binaries are cached). Default: true. */
  readonly build?: boolean;
  /** Address etcd and the apiserver listen on. Default: 127.0.0.1. */
  readonly bindAddress?: string;
  /**
   * The apiserver's --advertise-address (must not be loopback). Default: $SLUICE_IT_HOST_ADDR
   * or 10.77.0.1 (the address in-netns.sh puts on the namespace's loopback).
   */
  readonly advertiseAddress?: string;
  /** Extra static-token users (in addition to `admin`). Default: see DEFAULT_USERS. */
  readonly users?: readonly StaticUser[];
  /** Extra kube-apiserver flags (appended; later flags win). */
  readonly extraApiserverArgs?: readonly string[];
  /** Bound on waiting for etcd and /readyz. Default: 120 s. */
  readonly readyTimeoutMs?: number;
  /**
   * Leave the processes running when this Node process exits (for up.sh). Default: false,
   * i.e. the processes are killed on stop(), on process exit and on SIGINT/SIGTERM/SIGHUP, and
   * a state dir the harness created is removed (kept with $SLUICE_IT_KEEP_STATE=1).
   */
  readonly detached?: boolean;
  /** Require running inside a network namespace (see in-netns.sh). Default: true. */
  readonly requireNetns?: boolean;
  /** Progress messages. Default: none. */
  readonly log?: (message: string) => void;
}

export interface StaticUser {
  readonly name: string;
  readonly groups?: readonly string[];
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  json<T = unknown>(): T;
}

export interface ApiRequestOptions {
  /** Bearer token; default: the admin token. */
  readonly token?: string;
  /** JSON-serialised unless it is already a string. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface Cluster {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly port: number;
  /** Admin kubeconfig (user `admin`, group system:masters). */
  readonly kubeconfigPath: string;
  /** CA that signed the apiserver's serving certificate (PEM file and text). */
  readonly caFile: string;
  readonly caPem: string;
  readonly stateDir: string;
  readonly adminToken: string;
  /** http://127.0.0.1:<port> of etcd. */
  readonly etcdUrl: string;
  /** The non-loopback address of the network namespace (valid in EndpointSlices). */
  readonly hostAddress: string;
  /** Name of the network namespace the cluster runs in, if any. */
  readonly netns: string | undefined;
  /** Token of a static-token user (see StartClusterOptions.users). Throws for unknown users. */
  tokenFor(user: string): string;
  /** Write a kubeconfig that authenticates with `token`; returns its path. */
  kubeconfigForToken(token: string, name?: string): string;
  /** The kubeconfig text for `token`. */
  kubeconfigYaml(token: string, name?: string): string;
  /**
   * Token for ServiceAccount namespace/name through the TokenRequest API (served by the
   * apiserver itself). Creates the ServiceAccount if it does not exist (not the namespace).
   */
  createServiceAccountToken(
    namespace: string,
    name: string,
    opts?: { readonly expirationSeconds?: number },
  ): Promise<string>;
  /** A request to the apiserver (admin token unless opts.token). Never throws on HTTP status. */
  request(method: string, apiPath: string, opts?: ApiRequestOptions): Promise<ApiResponse>;
  /** Stop kube-apiserver only (etcd keeps running, same port and certs on restart). */
  stopApiserver(): Promise<void>;
  /** Start kube-apiserver again with the same flags; waits for /readyz. */
  startApiserver(): Promise<void>;
  isApiserverRunning(): boolean;
  /** Stop apiserver and etcd. Idempotent. */
  stop(): Promise<void>;
}

/** Static-token users every cluster has besides `admin`. Tests bind them with RBAC as needed. */
export const DEFAULT_USERS: readonly StaticUser[] = [
  { name: 'sluice-controller' },
  { name: 'unbound-user' },
];

// ---------------------------------------------------------------------------------------------
// Persistent description of a cluster (stateDir/cluster.json)

interface ProcSpec {
  readonly bin: string;
  readonly args: readonly string[];
}

interface ClusterState {
  readonly version: 1;
  readonly ownerPid: number;
  readonly detached: boolean;
  readonly createdStateDir: boolean;
  readonly stateDir: string;
  readonly server: string;
  readonly port: number;
  readonly bindAddress: string;
  readonly hostAddress: string;
  readonly netns: string | undefined;
  readonly etcdUrl: string;
  readonly caFile: string;
  readonly kubeconfigPath: string;
  readonly adminToken: string;
  readonly tokens: Readonly<Record<string, string>>;
  readonly readyTimeoutMs: number;
  readonly etcd: ProcSpec;
  readonly apiserver: ProcSpec;
}

type Component = 'etcd' | 'kube-apiserver';

const STATE_FILE = 'cluster.json';
const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const SERVICE_CIDR = '10.96.0.0/16';
const KUBERNETES_SERVICE_IP = '10.96.0.1';
const DEFAULT_HOST_ADDR = '10.77.0.1';

// ---------------------------------------------------------------------------------------------
// Paths

/** The repository root: $SLUICE_REPO_ROOT, else the nearest ancestor of cwd with test/cluster/build.sh. */
export function repoRoot(): string {
  const fromEnv = process.env['SLUICE_REPO_ROOT'];
  if (fromEnv) return path.resolve(fromEnv);
  const starts = [process.cwd()];
  const script = process.argv[1];
  if (script) starts.push(path.dirname(path.resolve(script)));
  for (const start of starts) {
    let dir = start;
    for (;;) {
      if (fs.existsSync(path.join(dir, 'test', 'cluster', 'build.sh'))) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error('harness: cannot find the repository root (set SLUICE_REPO_ROOT)');
}

/** $SLUICE_CACHE_DIR or <repo>/.cache */
export function cacheDir(): string {
  const fromEnv = process.env['SLUICE_CACHE_DIR'];
  return fromEnv ? path.resolve(fromEnv) : path.join(repoRoot(), '.cache');
}

export function defaultBinDir(): string {
  return path.join(cacheDir(), 'kube', 'bin');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function log(opts: { readonly log?: (m: string) => void }, message: string): void {
  opts.log?.(message);
}

function run(cmd: string, args: readonly string[], cwd: string): void {
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw new Error(`harness: ${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`harness: ${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  }
}

/** The name of the network namespace this process is in, if it is one made with `ip netns`. */
export function currentNetns(): string | undefined {
  let self: fs.Stats;
  try {
    self = fs.statSync('/proc/self/ns/net');
  } catch {
    return undefined;
  }
  let names: string[];
  try {
    names = fs.readdirSync('/run/netns');
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      const st = fs.statSync(path.join('/run/netns', name));
      if (st.ino === self.ino && st.dev === self.dev) return name;
    } catch {
      // vanished while we looked
    }
  }
  return undefined;
}

/** Distinct free TCP ports on `host` (held open together so they differ). */
async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      const port = await new Promise<number>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: 0, host, exclusive: true }, () => {
          const addr = srv.address();
          if (addr && typeof addr === 'object') resolve(addr.port);
          else reject(new Error('harness: no port'));
        });
      });
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ..." — comm may contain spaces/parens, so look after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** True when `pid` is a live process whose command line mentions `marker` (our state dir). */
function isOurs(pid: number, marker: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return isAlive(pid) && cmdline.includes(marker);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // detached children lead their own process group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface RawRequest {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly ca?: string;
  readonly timeoutMs: number;
}

function rawRequest(req: RawRequest): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = mod.request(
      url,
      {
        method: req.method,
        headers,
        agent: false,
        ...(req.ca !== undefined ? { ca: req.ca } : {}),
        timeout: req.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json<T = unknown>(): T {
              return JSON.parse(body) as T;
            },
          });
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error(`harness: ${req.method} ${req.url} timed out`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

// ---------------------------------------------------------------------------------------------
// PKI, tokens, kubeconfig

function makePki(pki: string, sans: readonly string[]): void {
  fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-days', '3650', '-subj', '/CN=sluice-it-ca',
    '-keyout', 'ca.key', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], pki);
  run('openssl', ['req', '-new', ...ec, '-subj', '/CN=kube-apiserver',
    '-keyout', 'apiserver.key', '-out', 'apiserver.csr'], pki);
  fs.writeFileSync(path.join(pki, 'apiserver.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${sans.join(',')}`,
    '',
  ].join('\n'));
  run('openssl', ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '3650', '-extfile', 'apiserver.ext', '-out', 'apiserver.crt'], pki);
  // Service-account token signing key pair.
  run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
    '-out', 'sa.key'], pki);
  run('openssl', ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], pki);
}

function csvField(s: string): string {
  if (/[",\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

function kubeconfigText(server: string, caPem: string, token: string, user: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sluice-it',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${JSON.stringify(user)}`,
    '  user:',
    `    token: ${JSON.stringify(token)}`,
    'contexts:',
    `- name: ${JSON.stringify(`${user}@sluice-it`)}`,
    '  context:',
    '    cluster: sluice-it',
    `    user: ${JSON.stringify(user)}`,
    `current-context: ${JSON.stringify(`${user}@sluice-it`)}`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Process control

const owned = new Set<ClusterState>(); // clusters this process must kill on exit
let handlersInstalled = false;

function pidFile(state: ClusterState, c: Component): string {
  return path.join(state.stateDir, 'pids', `${c}.pid`);
}

function logFile(state: ClusterState, c: Component): string {
  return path.join(state.stateDir, 'logs', `${c}.log`);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Synchronous last-resort cleanup (process exit or a fatal signal): SIGKILL, bounded wait. */
function killAllNow(): void {
  const pids: number[] = [];
  for (const state of owned) {
    for (const c of ['kube-apiserver', 'etcd'] as const) {
      const pid = readPid(pidFile(state, c));
      if (pid !== undefined && isOurs(pid, state.stateDir)) {
        signalGroup(pid, 'SIGKILL');
        pids.push(pid);
      }
    }
  }
  const deadline = Date.now() + 3000;
  while (pids.some(isAlive) && Date.now() < deadline) sleepSync(20);
  for (const state of owned) {
    if (removeOnStop(state)) fs.rmSync(state.stateDir, { recursive: true, force: true });
  }
  owned.clear();
}

function removeOnStop(state: ClusterState): boolean {
  return state.createdStateDir && state.ownerPid === process.pid && process.env['SLUICE_IT_KEEP_STATE'] !== '1';
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  uninstallHandlers();
  // Keep the default behaviour (terminate) unless someone else also handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const signalHandlers: Array<[NodeJS.Signals, () => void]> = (
  ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
).map((s) => [s, () => onSignal(s)]);

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const [s, h] of signalHandlers) process.on(s, h);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', killAllNow);
  for (const [s, h] of signalHandlers) process.off(s, h);
}

interface Launched {
  readonly child: ChildProcess;
  exited: string | undefined;
}

function launch(state: ClusterState, c: Component, spec: ProcSpec): Launched {
  fs.mkdirSync(path.join(state.stateDir, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(state.stateDir, 'pids'), { recursive: true });
  const out = fs.openSync(logFile(state, c), 'a');
  fs.writeSync(out, `\n==== ${new Date().toISOString()} starting ${c}\n`);
  // When this process owns the cluster, ask the kernel to SIGKILL the child if we die without
  // running our exit handlers (e.g. SIGKILL). Not for detached clusters, and not from worker
  // threads (the death signal follows the thread that forked).
  const setpriv = which('setpriv');
  const tieToParent = !state.detached && state.ownerPid === process.pid && isMainThread && setpriv;
  const cmd = tieToParent ? setpriv : spec.bin;
  const args = tieToParent ? ['--pdeathsig', 'SIGKILL', '--', spec.bin, ...spec.args] : [...spec.args];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) {
    delete env[k];
  }
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env });
  } finally {
    fs.closeSync(out);
  }
  const launched: Launched = { child, exited: undefined };
  child.on('error', (err) => {
    launched.exited = `failed to start: ${err.message}`;
  });
  child.on('exit', (code, signal) => {
    launched.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`harness: could not start ${c} (${spec.bin})`);
  fs.writeFileSync(pidFile(state, c), `${child.pid}\n`);
  return launched;
}

async function terminate(state: ClusterState, c: Component, graceMs: number): Promise<void> {
  const file = pidFile(state, c);
  const pid = readPid(file);
  if (pid !== undefined && isOurs(pid, state.stateDir)) {
    signalGroup(pid, 'SIGTERM');
    if (!(await waitDead(pid, graceMs))) {
      signalGroup(pid, 'SIGKILL');
      if (!(await waitDead(pid, 5000))) throw new Error(`harness: ${c} (pid ${pid}) did not die`);
    }
  }
  fs.rmSync(file, { force: true });
}

async function waitFor(
  what: string,
  launched: Launched,
  logPath: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (launched.exited !== undefined) {
      throw new Error(`harness: ${what} ${launched.exited}; log tail:\n${tail(logPath)}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new Error(
    `harness: ${what} not ready after ${timeoutMs} ms (${lastError}); log tail:\n${tail(logPath)}`,
  );
}

async function startEtcd(state: ClusterState): Promise<void> {
  const launched = launch(state, 'etcd', state.etcd);
  await waitFor('etcd', launched, logFile(state, 'etcd'), state.readyTimeoutMs, async () => {
    const res = await rawRequest({ url: `${state.etcdUrl}/health`, method: 'GET', timeoutMs: 2000 });
    return res.status === 200 && res.json<{ health?: string }>().health === 'true';
  });
}

async function startApiserverProc(state: ClusterState, caPem: string): Promise<void> {
  const launched = launch(state, 'kube-apiserver', state.apiserver);
  const logPath = logFile(state, 'kube-apiserver');
  await waitFor('kube-apiserver', launched, logPath, state.readyTimeoutMs, async () => {
    const res = await rawRequest({
      url: `${state.server}/readyz`,
      method: 'GET',
      headers: { authorization: `Bearer ${state.adminToken}` },
      ca: caPem,
      timeoutMs: 5000,
    });
    return res.status === 200;
  });
}

// ---------------------------------------------------------------------------------------------
// Cluster handle

function makeHandle(state: ClusterState): Cluster {
  const caPem = fs.readFileSync(state.caFile, 'utf8');
  let stopped = false;

  const request = (method: string, apiPath: string, opts: ApiRequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.token ?? state.adminToken}`,
      accept: 'application/json',
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    return rawRequest({
      url: `${state.server}${apiPath}`,
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ca: caPem,
      timeoutMs: opts.timeoutMs ?? 15_000,
    });
  };

  const kubeconfigYaml = (token: string, name = 'user'): string =>
    kubeconfigText(state.server, caPem, token, name);

  const handle: Cluster = {
    server: state.server,
    port: state.port,
    kubeconfigPath: state.kubeconfigPath,
    caFile: state.caFile,
    caPem,
    stateDir: state.stateDir,
    adminToken: state.adminToken,
    etcdUrl: state.etcdUrl,
    hostAddress: state.hostAddress,
    netns: state.netns,
    tokenFor(user: string): string {
      const t = state.tokens[user];
      if (t === undefined) {
        throw new Error(`harness: no static user ${user} (have: ${Object.keys(state.tokens).join(', ')})`);
      }
      return t;
    },
    kubeconfigYaml,
    kubeconfigForToken(token: string, name = 'user'): string {
      const dir = path.join(state.stateDir, 'kubeconfigs');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomBytes(4).toString('hex')}.kubeconfig`);
      fs.writeFileSync(file, kubeconfigYaml(token, name), { mode: 0o600 });
      return file;
    },
    async createServiceAccountToken(namespace, name, opts = {}): Promise<string> {
      const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts`;
      const created = await request('POST', base, {
        body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
      });
      if (created.status !== 201 && created.status !== 409) {
        throw new Error(`harness: create ServiceAccount ${namespace}/${name}: ${created.status} ${created.body}`);
      }
      const res = await request('POST', `${base}/${encodeURIComponent(name)}/token`, {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: opts.expirationSeconds ?? 3600 },
        },
      });
      if (res.status !== 201 && res.status !== 200) {
        throw new Error(`harness: TokenRequest ${namespace}/${name}: ${res.status} ${res.body}`);
      }
      const token = res.json<{ status?: { token?: string } }>().status?.token;
      if (!token) throw new Error(`harness: TokenRequest ${namespace}/${name}: no token in ${res.body}`);
      return token;
    },
    request,
    async stopApiserver(): Promise<void> {
      await terminate(state, 'kube-apiserver', 15_000);
    },
    async startApiserver(): Promise<void> {
      if (stopped) throw new Error('harness: cluster is stopped');
      if (handle.isApiserverRunning()) throw new Error('harness: kube-apiserver is already running');
      await startApiserverProc(state, caPem);
    },
    isApiserverRunning(): boolean {
      const pid = readPid(pidFile(state, 'kube-apiserver'));
      return pid !== undefined && isOurs(pid, state.stateDir);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await stopState(state);
      owned.delete(state);
      if (owned.size === 0) uninstallHandlers();
      if (removeOnStop(state)) fs.rmSync(state.stateDir, { recursive: true, force: true });
    },
  };
  return handle;
}

async function stopState(state: ClusterState): Promise<void> {
  await terminate(state, 'kube-apiserver', 15_000);
  await terminate(state, 'etcd', 10_000);
}

function readState(stateDir: string): ClusterState {
  const file = path.join(stateDir, STATE_FILE);
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`harness: no cluster at ${stateDir} (missing ${STATE_FILE})`);
  }
  const state = JSON.parse(raw) as ClusterState;
  if (state.version !== 1) throw new Error(`harness: unsupported ${file} version`);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/** Build (if needed) and start etcd + kube-apiserver; resolves when /readyz is ok. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const netns = currentNetns();
  if ((opts.requireNetns ?? true) && netns === undefined) {
    throw new Error(
      'harness: not inside a network namespace. Run through test/cluster/in-netns.sh ' +
        '(e.g. npm run test:integration), or pass requireNetns: false.',
    );
  }
  if (opts.build ?? true) await runBuild(opts);

  const binDir = opts.binDir ?? defaultBinDir();
  for (const b of ['kube-apiserver', 'etcd']) {
    if (!fs.existsSync(path.join(binDir, b))) {
      throw new Error(`harness: ${path.join(binDir, b)} missing; run test/cluster/build.sh`);
    }
  }
  const createdStateDir = opts.stateDir === undefined;
  const stateDir = path.resolve(opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-it-')));
  fs.mkdirSync(stateDir, { recursive: true });
  // Refuse to start over a cluster that is still running from this state dir.
  if (fs.existsSync(path.join(stateDir, STATE_FILE))) {
    const old = readState(stateDir);
    for (const c of ['kube-apiserver', 'etcd'] as const) {
      const pid = readPid(pidFile(old, c));
      if (pid !== undefined && isOurs(pid, stateDir)) {
        throw new Error(`harness: a cluster is already running in ${stateDir} (${c} pid ${pid}); stop it first`);
      }
    }
    for (const d of ['etcd-data', 'pki', 'kubeconfigs', 'pids']) {
      fs.rmSync(path.join(stateDir, d), { recursive: true, force: true });
    }
  }

  const bindAddress = opts.bindAddress ?? '127.0.0.1';
  const hostAddress = opts.advertiseAddress ?? process.env['SLUICE_IT_HOST_ADDR'] ?? DEFAULT_HOST_ADDR;
  const pki = path.join(stateDir, 'pki');
  log(opts, `harness: generating certificates in ${pki}`);
  const sans = new Set([
    'IP:127.0.0.1', `IP:${bindAddress}`, `IP:${hostAddress}`, `IP:${KUBERNETES_SERVICE_IP}`,
    'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ]);
  makePki(pki, [...sans]);

  const adminToken = randomBytes(24).toString('hex');
  const tokens: Record<string, string> = { admin: adminToken };
  const lines = [`${adminToken},admin,uid-admin,system:masters`];
  for (const u of opts.users ?? DEFAULT_USERS) {
    if (tokens[u.name] !== undefined) throw new Error(`harness: duplicate user ${u.name}`);
    const t = randomBytes(24).toString('hex');
    tokens[u.name] = t;
    const groups = u.groups && u.groups.length > 0 ? `,${csvField(u.groups.join(','))}` : '';
    lines.push(`${t},${csvField(u.name)},uid-${csvField(u.name)}${groups}`);
  }
  const tokenFile = path.join(pki, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });

  const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(bindAddress, 3);
  if (etcdClientPort === undefined || etcdPeerPort === undefined || apiPort === undefined) {
    throw new Error('harness: could not allocate ports');
  }
  const host = bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
  const etcdUrl = `http://${host}:${etcdClientPort}`;
  const peerUrl = `http://${host}:${etcdPeerPort}`;
  const server = `https://${host}:${apiPort}`;

  const etcd: ProcSpec = {
    bin: path.join(binDir, 'etcd'),
    args: [
      '--name=sluice-it',
      `--data-dir=${path.join(stateDir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sluice-it=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync=true', // test data only; much faster on slow disks
      '--log-level=warn',
    ],
  };
  const apiserver: ProcSpec = {
    bin: path.join(binDir, 'kube-apiserver'),
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${bindAddress}`,
      `--secure-port=${apiPort}`,
      `--advertise-address=${hostAddress}`,
      `--cert-dir=${path.join(pki, 'generated')}`,
      `--tls-cert-file=${path.join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${path.join(pki, 'apiserver.key')}`,
      `--client-ca-file=${path.join(pki, 'ca.crt')}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${SA_ISSUER}`,
      `--service-account-key-file=${path.join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      ...(opts.extraApiserverArgs ?? []),
    ],
  };

  const state: ClusterState = {
    version: 1,
    ownerPid: process.pid,
    detached: opts.detached ?? false,
    createdStateDir,
    stateDir,
    server,
    port: apiPort,
    bindAddress,
    hostAddress,
    netns,
    etcdUrl,
    caFile: path.join(pki, 'ca.crt'),
    kubeconfigPath: path.join(stateDir, 'admin.kubeconfig'),
    adminToken,
    tokens,
    readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
    etcd,
    apiserver,
  };
  fs.writeFileSync(path.join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  const caPem = fs.readFileSync(state.caFile, 'utf8');
  fs.writeFileSync(state.kubeconfigPath, kubeconfigText(server, caPem, adminToken, 'admin'), { mode: 0o600 });

  if (!state.detached) {
    owned.add(state);
    installHandlers();
  }
  const t0 = Date.now();
  try {
    log(opts, `harness: starting etcd on ${etcdUrl}`);
    await startEtcd(state);
    log(opts, `harness: etcd ready after ${Date.now() - t0} ms; starting kube-apiserver on ${server}`);
    await startApiserverProc(state, caPem);
    log(opts, `harness: kube-apiserver ready after ${Date.now() - t0} ms`);
  } catch (err) {
    await stopState(state).catch(() => undefined);
    owned.delete(state);
    if (err instanceof Error) err.message += `\n(state and logs kept in ${stateDir})`;
    throw err;
  }
  return makeHandle(state);
}

/** A handle on a cluster started elsewhere (default: $SLUICE_IT_STATE_DIR). Does not own it. */
export function attachCluster(stateDir: string | undefined = process.env['SLUICE_IT_STATE_DIR']): Cluster {
  if (!stateDir) throw new Error('harness: no state dir (set SLUICE_IT_STATE_DIR or pass one)');
  return makeHandle(readState(path.resolve(stateDir)));
}

/** Stop the processes of the cluster described by stateDir/cluster.json (pid files). */
export async function stopClusterAt(stateDir: string): Promise<void> {
  await stopState(readState(path.resolve(stateDir)));
}

/** Run test/cluster/build.sh (a no-op when cached). */
export async function runBuild(opts: { readonly log?: (m: string) => void } = {}): Promise<void> {
  const script = path.join(repoRoot(), 'test', 'cluster', 'build.sh');
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), 3600_000);
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) log(opts, line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`harness: build.sh failed (${signal ?? code}); see its output above`));
    });
  });
  log(opts, `harness: build step took ${Date.now() - t0} ms`);
}

// ---------------------------------------------------------------------------------------------
// CLI (up.sh / down.sh)

async function cli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  let stateDir = path.join(cacheDir(), 'cluster');
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--state-dir' && rest[i + 1] !== undefined) stateDir = path.resolve(rest[++i] ?? '');
    else throw new Error(`harness: unknown argument ${rest[i]}`);
  }
  const err = (m: string): void => void process.stderr.write(`${m}\n`);
  switch (command) {
    case 'up': {
      const cluster = await startCluster({ stateDir, detached: true, build: false, log: err });
      process.stdout.write(`${JSON.stringify({
        server: cluster.server,
        kubeconfig: cluster.kubeconfigPath,
        caFile: cluster.caFile,
        stateDir: cluster.stateDir,
        netns: cluster.netns,
        hostAddress: cluster.hostAddress,
        etcd: cluster.etcdUrl,
      }, null, 2)}\n`);
      return 0;
    }
    case 'down':
      if (!fs.existsSync(path.join(stateDir, STATE_FILE))) {
        err(`harness: no cluster state in ${stateDir}`);
        return 0;
      }
      await stopClusterAt(stateDir);
      err(`harness: stopped the cluster in ${stateDir}`);
      return 0;
    case 'status': {
      const state = readState(stateDir);
      const handle = makeHandle(state);
      const etcdPid = readPid(pidFile(state, 'etcd'));
      const etcdUp = etcdPid !== undefined && isOurs(etcdPid, state.stateDir);
      const apiUp = handle.isApiserverRunning();
      process.stdout.write(`etcd: ${etcdUp ? 'running' : 'stopped'}\nkube-apiserver: ${apiUp ? 'running' : 'stopped'}\n` +
        `server: ${state.server}\nkubeconfig: ${state.kubeconfigPath}\n`);
      return etcdUp && apiUp ? 0 : 1;
    }
    default:
      err('usage: node test/cluster/harness.ts up|down|status [--state-dir DIR]');
      return 2;
  }
}

const script = process.argv[1];
if (script !== undefined && path.basename(script) === 'harness.ts' && process.env['JEST_WORKER_ID'] === undefined) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
