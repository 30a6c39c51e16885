// Loopback helpers: free ports, waiting for a listener, and a tiny keep-alive HTTP client that
// can set any Host header (probes during swap/churn runs).
import { Agent, request } from 'node:http';
import { connect, createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: LOOPBACK, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitListening(port: number, timeoutMs: number, what: string, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (!alive()) throw new Error(`${what} exited before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${port} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

export class HttpClient {
  private readonly agent: Agent;

  /** keepAlive false: every request opens its own connection (counted by the origin's stub_status). */
  constructor(options: { keepAlive?: boolean; maxSockets?: number } = {}) {
    this.agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 4 });
  }

  get(port: number, host: string, path: string, timeoutMs = 5000): Promise<Reply> {
    return this.request(port, 'GET', path, host, timeoutMs);
  }

  request(port: number, method: string, path: string, host = LOOPBACK, timeoutMs = 5000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request({ host: LOOPBACK, port, path, method, agent: this.agent, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${host}${path} timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Polls `check` until it returns true; returns elapsed ms, or undefined on timeout. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 0): Promise<number | undefined> {
  const start = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - start;
    if (performance.now() - start > timeoutMs) return undefined;
    if (intervalMs > 0) await sleep(intervalMs);
  }
}
