// A real Sluice process (node dist/main.js --provider kubernetes) for the integration tests.
// Logs (pino JSON lines) are captured for assertions; every process is stopped by its PID, and
// anything still running when the test process exits is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { eventually } from './wait.js';

const REPO = process.cwd();
/** The build under test: dist/main.js, or $SLUICE_IT_MAIN. */
const MAIN = process.env['SLUICE_IT_MAIN'] ?? join(REPO, 'dist', 'main.js');
const NODE = join(REPO, 'node_modules', '.bin', 'node');

export interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly code?: string;
  readonly [key: string]: unknown;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid) child.kill('SIGKILL');
});

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface SluiceOptions {
  readonly kubeconfig: string;
  readonly ingressClass: string;
  readonly watchNamespace?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly name?: string;
}

export class Sluice {
  readonly host = '127.0.0.1';
  readonly httpPort: number;
  readonly adminPort: number;
  readonly name: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;

  private constructor(child: ChildProcess, httpPort: number, adminPort: number, name: string) {
    this.child = child;
    this.httpPort = httpPort;
    this.adminPort = adminPort;
    this.name = name;
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      }),
    );
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 30, msg: line });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
  }

  static async start(o: SluiceOptions): Promise<Sluice> {
    const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const args = [
      MAIN,
      '--provider', 'kubernetes',
      '--http-port', String(httpPort),
      '--https-port', String(httpsPort),
      '--admin-port', String(adminPort),
      '--bind-address', '127.0.0.1',
      '--admin-bind-address', '127.0.0.1',
      '--ingress-class', o.ingressClass,
      ...(o.watchNamespace ? ['--watch-namespace', o.watchNamespace] : []),
      ...(o.args ?? []),
    ];
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: o.kubeconfig, ...o.env };
    const child = spawn(NODE, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Sluice(child, httpPort, adminPort, o.name ?? `sluice-${child.pid}`);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  alive(): boolean {
    return this.exitCode === undefined;
  }

  async admin(path: string): Promise<{ status: number; body: string }> {
    const res = await request(`http://${this.host}:${this.adminPort}${path}`, { headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: res.statusCode, body: await res.body.text() };
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    await eventually(`${this.name} /readyz`, async () => {
      if (!this.alive()) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}): ${this.stderr.join('').slice(-2000)}\n${this.tail()}`);
      return (await this.admin('/readyz')).status === 200;
    }, timeoutMs);
  }

  async routes(): Promise<{ generation: number } & Record<string, unknown>> {
    return JSON.parse((await this.admin('/debug/routes')).body) as { generation: number };
  }

  findLog(match: (l: LogLine) => boolean): LogLine | undefined {
    return this.logs.find(match);
  }

  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(`${this.name} to log ${what}`, () => {
      if (!this.alive()) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}); last logs:\n${this.tail()}`);
      return this.findLog(match);
    }, timeoutMs, 50);
  }

  /** SIGTERM, then SIGKILL after a bounded wait. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash, no lease release. */
  async kill(): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last log lines, for failure messages. */
  tail(lines = 15): string {
    return this.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n');
  }

  dumpLogs(): string {
    return this.logs.map((l) => JSON.stringify(l)).join('\n');
  }
}
