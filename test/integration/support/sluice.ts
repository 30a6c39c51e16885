// A real Sluice process (node dist/main.js --provider kubernetes) for the integration tests.
// Logs (pino JSON lines) are captured for assertions; every process is stopped by its PID, and
// anything still running when the test process exits is killed.
import { adminGet, type LogLine, SluiceProcess } from '../../support/sluice-process.js';
import { eventually, freePort } from '../../support/wait.js';

export type { LogLine } from '../../support/sluice-process.js';
export { freePort } from '../../support/wait.js';

export interface SluiceOptions {
  readonly kubeconfig: string;
  readonly ingressClass: string;
  readonly watchNamespace?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly name?: string;
}

/** A Sluice on the kubernetes provider, data plane and admin on 127.0.0.1. */
export class Sluice {
  readonly host = '127.0.0.1';
  readonly httpPort: number;
  readonly adminPort: number;
  private readonly proc: SluiceProcess;

  private constructor(proc: SluiceProcess, httpPort: number, adminPort: number) {
    this.proc = proc;
    this.httpPort = httpPort;
    this.adminPort = adminPort;
  }

  static async start(o: SluiceOptions): Promise<Sluice> {
    const [httpPort, httpsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const args = [
      '--provider', 'kubernetes',
      '--http-port', String(httpPort),
      '--https-port', String(httpsPort),
      '--admin-port', String(adminPort),
      '--bind-address', '127.0.0.1',
      '--ingress-class', o.ingressClass,
      ...(o.watchNamespace ? ['--watch-namespace', o.watchNamespace] : []),
      ...(o.args ?? []),
    ];
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: o.kubeconfig, ...o.env };
    return new Sluice(new SluiceProcess(args, { env, ...(o.name ? { name: o.name } : {}) }), httpPort, adminPort);
  }

  get name(): string {
    return this.proc.name;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get logs(): LogLine[] {
    return this.proc.logs;
  }

  get stderr(): string[] {
    return this.proc.stderr;
  }

  get exited(): Promise<number | null> {
    return this.proc.exited;
  }

  get exitCode(): number | null | undefined {
    return this.proc.exitCode;
  }

  get exitSignal(): NodeJS.Signals | null | undefined {
    return this.proc.exitSignal;
  }

  alive(): boolean {
    return this.proc.alive();
  }

  admin(path: string): Promise<{ status: number; body: string }> {
    return adminGet(this.adminPort, path, this.host);
  }

  ready(timeoutMs = 30_000): Promise<void> {
    return this.proc.ready(this.adminPort, timeoutMs);
  }

  async routes(): Promise<{ generation: number } & Record<string, unknown>> {
    return JSON.parse((await this.admin('/debug/routes')).body) as { generation: number };
  }

  findLog(match: (l: LogLine) => boolean): LogLine | undefined {
    return this.proc.logs.find(match);
  }

  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(`${this.name} to log ${what}`, () => {
      if (!this.alive()) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}); last logs:\n${this.tail()}`);
      return this.findLog(match);
    }, timeoutMs, 50);
  }

  /** SIGTERM, then SIGKILL after a bounded wait. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.alive()) await this.proc.stop('SIGTERM', timeoutMs);
  }

  /** SIGKILL: a crash, no lease release. */
  async kill(): Promise<void> {
    if (this.alive()) await this.proc.stop('SIGKILL');
  }

  /** The last log lines, for failure messages. */
  tail(lines = 15): string {
    return this.proc.tail(lines);
  }

  dumpLogs(): string {
    return this.proc.logs.map((l) => JSON.stringify(l)).join('\n');
  }
}
