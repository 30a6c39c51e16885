// Real HTTP backends on 10.77.x.y addresses inside the test's network namespace. Each answers
// with its own address, and records when it first served a request (for latency figures).
import * as http from 'node:http';

export class Backend {
  readonly address: string;
  readonly port: number;
  private readonly server: http.Server;
  /** performance.now() of the first request served, if any. */
  firstRequestAt: number | undefined;
  requests = 0;

  private constructor(address: string, port: number, server: http.Server) {
    this.address = address;
    this.port = port;
    this.server = server;
  }

  static async start(address: string, port: number): Promise<Backend> {
    let backend: Backend | undefined;
    const server = http.createServer((req, res) => {
      if (backend) {
        backend.requests++;
        backend.firstRequestAt ??= performance.now();
      }
      req.resume();
      res.setHeader('content-type', 'text/plain');
      res.end(`backend ${address}`);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    backend = new Backend(address, port, server);
    return backend;
  }

  resetCounters(): void {
    this.firstRequestAt = undefined;
    this.requests = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Starts a backend on each address, all on the same port (as pods of one Service are). */
export async function startBackends(addresses: readonly string[], port: number): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const a of addresses) out.push(await Backend.start(a, port));
  return out;
}
