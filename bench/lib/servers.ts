// Starting the servers under test, each in its own process group pinned to its CPU: the origin
// (nginx), nginx and haproxy as proxies, stand-in pods for churn, and Sluice itself.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haproxyConf, nginxProxyConf, originConf, podConf } from './configs.ts';
import { HttpClient, LOOPBACK, pollUntil, waitListening } from './net.ts';
import { startGroup, type Group } from './processes.ts';
import type { ToolPaths } from './install.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROJECT_NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
export const SLUICE_MAIN = join(REPO_ROOT, 'dist', 'main.js');

/** A scratch directory for configs, pid files and manifests; removed at the end of the run. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));

  constructor() {
    // nginx workers run as "nobody": they must be able to read www/16k.
    chmodSync(this.dir, 0o755);
    mkdirSync(join(this.dir, 'www'), { mode: 0o755 });
    mkdirSync(join(this.dir, 'tmp'));
    writeFileSync(join(this.dir, 'www', '16k'), Buffer.alloc(16384, 'x'), { mode: 0o644 });
  }

  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Server {
  readonly name: string;
  readonly port: number;
  readonly group: Group;
}

async function started(name: string, port: number, group: Group): Promise<Server> {
  let exited = false;
  void group.exited.then(() => (exited = true));
  try {
    await waitListening(port, 15_000, name, () => !exited);
  } catch (err) {
    await group.stop('SIGKILL', 0);
    throw new Error(`${(err as Error).message}\n${group.output()}`);
  }
  return { name, port, group };
}

/** An nginx with the given configuration text; ready when it listens on `port`. */
export function startNginx(ws: Workspace, tools: ToolPaths, name: string, confText: string, port: number, cpus: string): Promise<Server> {
  const conf = ws.file(`${name}.conf`, confText);
  return started(name, port, startGroup(name, tools.nginx, ['-e', 'stderr', '-p', `${ws.dir}/`, '-c', conf], { cpus }));
}

export interface Origin extends Server {
  readonly altA: number;
  readonly altB: number;
  /** Connections the origin accepted so far (stub_status), to check upstream keep-alive. */
  accepts(): Promise<number>;
}

export async function startOrigin(ws: Workspace, tools: ToolPaths, ports: { main: number; altA: number; altB: number }, cpus: string): Promise<Origin> {
  const server = await startNginx(ws, tools, 'origin', originConf(ports.main, ports.altA, ports.altB), ports.main, cpus);
  await waitListening(ports.altB, 5000, 'origin alt server');
  const client = new HttpClient({ keepAlive: false });
  return {
    ...server,
    altA: ports.altA,
    altB: ports.altB,
    async accepts() {
      const r = await client.get(ports.main, 'origin', '/__status');
      // "Active connections: N \nserver accepts handled requests\n A H R"
      const m = /\n\s*(\d+)\s+\d+\s+\d+/.exec(r.body);
      return m ? Number(m[1]) : NaN;
    },
  };
}

export function startNginxProxy(ws: Workspace, tools: ToolPaths, port: number, upstreamPort: number, cpus: string, options: { workers?: number; name?: string; extra?: string } = {}): Promise<Server> {
  const workers = options.workers ?? 1;
  return startNginx(ws, tools, options.name ?? (workers === 1 ? 'nginx' : `nginx-w${workers}`), nginxProxyConf(port, upstreamPort, { workers, location: options.extra }), port, cpus);
}

export function startPod(ws: Workspace, tools: ToolPaths, port: number, cpus: string): Promise<Server> {
  return startNginx(ws, tools, `pod-${port}`, podConf(port), port, cpus);
}

export function startHaproxy(ws: Workspace, tools: ToolPaths, port: number, upstreamPort: number, cpus: string): Promise<Server> {
  return startHaproxyWith(ws, tools, 'haproxy', haproxyConf(port, upstreamPort), port, cpus);
}

/** An HAProxy with the given configuration text; ready when it listens on `port`. */
export function startHaproxyWith(ws: Workspace, tools: ToolPaths, name: string, confText: string, port: number, cpus: string): Promise<Server> {
  const conf = ws.file(`${name}.cfg`, confText);
  // -db: stay in the foreground (no daemon), so the group leader is haproxy itself.
  return started(name, port, startGroup(name, tools.haproxy, ['-db', '-f', conf], { cpus }));
}

/**
 * The Node peers (lib/peers/): the hand-written "Node ceiling" and fastify + @fastify/http-proxy
 * of the proxies bench, and net-proxy, node-flags-ab's upper bound for a server leg on `net`.
 */
export const NODE_PEERS = ['node-proxy', 'fastify-proxy', 'net-proxy'] as const;
export type NodePeer = (typeof NODE_PEERS)[number];

const PEERS_DIR = join(REPO_ROOT, 'bench', 'lib', 'peers');

/**
 * A script of lib/peers/ as plain JavaScript (types stripped once per run into the workspace).
 * Node could run the .ts itself, but its type stripper is a WebAssembly module that adds tens of
 * MiB to the process's RSS — a cost Sluice (compiled dist/) does not pay, so the peers must not.
 */
export function peerScript(ws: Workspace, name: string): string {
  const dir = join(ws.dir, 'peers');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const f of readdirSync(PEERS_DIR).filter((x) => x.endsWith('.ts'))) {
      // Sibling imports go to the stripped copies; packages resolve from here (the workspace has no node_modules).
      const js = stripTypeScriptTypes(readFileSync(join(PEERS_DIR, f), 'utf8'))
        .replace(/(from\s+'\.\/[\w-]+)\.ts'/g, "$1.mjs'")
        .replace(/from\s+'((?!node:|\.)[^']+)'/g, (_m, spec: string) => `from '${import.meta.resolve(spec)}'`);
      writeFileSync(join(dir, f.replace(/\.ts$/, '.mjs')), js);
    }
  }
  return join(dir, `${name}.mjs`);
}

/** A Node peer proxy in one process on the project's Node, pinned to `cpus`. */
export function startNodePeer(ws: Workspace, kind: NodePeer, port: number, upstreamPort: number, cpus: string, extra: { nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Server> {
  const script = peerScript(ws, kind);
  const env = extra.env ? { env: { ...process.env, ...extra.env } } : {};
  return started(kind, port, startGroup(kind, PROJECT_NODE, [...(extra.nodeArgs ?? []), script, String(port), String(upstreamPort)], { cpus, ...env }));
}

export interface SluiceServer extends Server {
  readonly adminPort: number;
}

export interface SluiceOptions {
  readonly manifests: string;
  readonly httpPort: number;
  readonly adminPort: number;
  readonly cpus: string;
  readonly workers: number;
  readonly readyTimeoutMs?: number;
  readonly name?: string;
  /** The main.js to run (another build's, for an A/B); default this checkout's dist/main.js. */
  readonly main?: string;
  readonly extraArgs?: readonly string[];
  /** Node flags before the script (they reach the workers too: cluster forks with the controller's execArgv). */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export async function startSluice(o: SluiceOptions): Promise<SluiceServer> {
  const name = o.name ?? 'sluice';
  const args = [
    ...(o.nodeArgs ?? []),
    o.main ?? SLUICE_MAIN,
    '--provider', 'file',
    '--manifests', o.manifests,
    '--http-port', String(o.httpPort),
    '--admin-port', String(o.adminPort),
    '--bind-address', LOOPBACK,
    '--admin-bind-address', LOOPBACK,
    '--log-level', 'warn',
    '--workers', String(o.workers),
    ...(o.extraArgs ?? []),
  ];
  const group = startGroup(name, PROJECT_NODE, args, { cpus: o.cpus, ...(o.env ? { env: { ...process.env, ...o.env } } : {}) });
  let exited = false;
  void group.exited.then(() => (exited = true));
  const client = new HttpClient();
  const ready = await pollUntil(async () => {
    if (exited) return true; // stop polling; reported below
    return (await client.get(o.adminPort, 'localhost', '/readyz', 2000)).status === 200;
  }, o.readyTimeoutMs ?? 30_000, 50);
  client.close();
  if (ready === undefined || exited) {
    await group.stop('SIGKILL', 0);
    throw new Error(`${name} did not become ready:\n${group.output()}`);
  }
  await waitListening(o.httpPort, 10_000, name);
  return { name, port: o.httpPort, adminPort: o.adminPort, group };
}
