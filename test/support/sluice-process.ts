// A real `sluice` process (dist/main.js on the project's Node) for e2e and integration tests:
// output captured (JSON log lines parsed), readiness awaited on the admin port, stopped by its
// PID; anything still running when the test process exits is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { eventually } from './wait.js';

const REPO = process.cwd();
const NODE = join(REPO, 'node_modules', '.bin', 'node');
/** The build under test: dist/main.js, or $SLUICE_IT_MAIN. */
const MAIN = process.env['SLUICE_IT_MAIN'] ?? join(REPO, 'dist', 'main.js');

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

/** GET on the admin port (or any local port): status and body. */
export function adminGet(port: number, path: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export class SluiceProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Parsed JSON log lines of stdout (non-JSON lines as { level: 30, msg }). */
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;
  private text = '';

  constructor(args: readonly string[], options: { env?: NodeJS.ProcessEnv; name?: string } = {}) {
    this.child = spawn(NODE, [MAIN, ...args], { cwd: REPO, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.name = options.name ?? `sluice-${this.child.pid}`;
    live.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      }),
    );
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.text += chunk;
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
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.text += chunk;
      this.stderr.push(chunk);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  output(): string {
    return this.text;
  }

  /** The last log lines, for failure messages. */
  tail(lines = 15): string {
    return this.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n');
  }

  /** Resolves once /readyz answers 200; throws (with the output) if the process exits first or time runs out. */
  async ready(adminPort: number, timeoutMs = 30_000): Promise<void> {
    await eventually(`${this.name} /readyz`, async () => {
      if (!this.alive()) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}): ${this.stderr.join('').slice(-2000)}\n${this.tail()}`);
      return (await adminGet(adminPort, '/readyz')).status === 200;
    }, timeoutMs);
  }

  /** Sends `signal` (SIGTERM), then SIGKILL after `timeoutMs`; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.alive()) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
