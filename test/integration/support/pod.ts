// Sluice run as the chart's pod would run it, minus the kubelet (this cluster has none):
// test/cluster/pod-sandbox.sh gives it a read-only filesystem with a writable /tmp only, uid 1000
// without capabilities, the image's /app layout, and in-cluster credentials (a ServiceAccount
// token at /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT); the
// command line and the downward-API variables are the Deployment's, as the apiserver stored it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../cluster/harness.js';
import { adminGet, type LogLine } from '../../support/sluice-process.js';
import { eventually } from '../../support/wait.js';

const REPO = process.cwd();
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid) child.kill('SIGKILL');
});

export interface PodSpec {
  /** The Deployment's container (args, env, ports) as stored by the apiserver. */
  readonly container: { args: string[]; env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] };
  readonly namespace: string;
  readonly podName: string;
  readonly serviceAccountToken: string;
  /** The admin port (from the container's ports). */
  readonly adminPort: number;
}

export class PodProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
  readonly spec: PodSpec;
  private readonly child: ChildProcess;

  constructor(c: Cluster, spec: PodSpec) {
    this.spec = spec;
    const saDir = mkdtempSync(join(tmpdir(), 'sluice-sa-'));
    writeFileSync(join(saDir, 'token'), spec.serviceAccountToken);
    writeFileSync(join(saDir, 'ca.crt'), readFileSync(c.caFile));
    writeFileSync(join(saDir, 'namespace'), spec.namespace);
    // What the kubelet would resolve: the downward-API fields the container asks for.
    const fields: Record<string, string> = { 'metadata.name': spec.podName, 'metadata.namespace': spec.namespace };
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], NODE_ENV: 'production', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(c.port) };
    for (const e of spec.container.env ?? []) {
      const path = e.valueFrom?.fieldRef?.fieldPath;
      if (path === undefined || fields[path] === undefined) throw new Error(`env ${e.name}: cannot resolve ${JSON.stringify(e.valueFrom)}`);
      env[e.name] = fields[path];
    }
    const script = join(REPO, 'test', 'cluster', 'pod-sandbox.sh');
    this.child = spawn('bash', [script, '--sa-dir', saDir, '--', 'node', 'dist/main.js', ...spec.container.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        live.delete(this.child);
        this.exitCode = code;
        resolve(code);
      }),
    );
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 30, msg: line });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
  }

  /** What the kernel says about the running process: its ids, capabilities and mounts. */
  sandbox(): { uid: string; capEff: string; noNewPrivs: string; mounts: Map<string, string> } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    // mountinfo: field 5 is the mount point, field 6 its per-mount options (ro/rw first).
    const mounts = new Map<string, string>();
    for (const line of readFileSync(`/proc/${this.child.pid}/mountinfo`, 'utf8').trim().split('\n')) {
      const f = line.split(' ');
      mounts.set(f[4]!, f[5]!.split(',')[0]!);
    }
    return { uid: field('Uid'), capEff: field('CapEff'), noNewPrivs: field('NoNewPrivs'), mounts };
  }

  alive(): boolean {
    return this.exitCode === undefined;
  }

  admin(path: string): Promise<{ status: number; body: string }> {
    return adminGet(this.spec.adminPort, path);
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    await eventually('the pod process /readyz', async () => {
      if (!this.alive()) throw new Error(`exited ${this.exitCode}: ${this.stderr.join('').slice(-2000)}\n${this.tail()}`);
      return (await this.admin('/readyz')).status === 200;
    }, timeoutMs);
  }

  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(`the pod process to log ${what}`, () => {
      if (!this.alive()) throw new Error(`exited ${this.exitCode}:\n${this.tail()}`);
      return this.logs.find(match);
    }, timeoutMs, 50);
  }

  tail(lines = 15): string {
    return this.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n');
  }

  /** SIGTERM (what the kubelet sends after preStop), SIGKILL after timeoutMs; the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.alive()) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
