// A real redis-server for Global rate-limit tests: on a free 127.0.0.1 port, no persistence,
// started as a child process and stopped by its PID. The package is Debian's redis-server
// (.ci/run installs it).
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { eventually, freePort } from '../../../support/wait.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(500, () => s.destroy());
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      s.destroy();
    });
  });
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', () => undefined);
  try {
    await eventually('redis-server to answer PING', () => ping(p), 10_000, 50);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`cannot start redis-server (install Debian's redis-server package): ${(err as Error).message}`);
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
