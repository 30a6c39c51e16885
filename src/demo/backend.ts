// A tiny HTTP backend for the demo and the tests: answers every request with its own name and
// what it received (method, path, host, headers, body size) as one line of JSON. `?delay=MS`
// holds the answer back that long (graceful-shutdown tests).
import { createServer, type Server } from 'node:http';

export interface EchoReply {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
}

export function startEchoBackend(name: string, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const reply: EchoReply = { backend: name, method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', headers: req.headers, bodyBytes };
      const body = `${JSON.stringify(reply)}\n`;
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': name });
        res.end(body);
      }, Math.min(delay, 60_000));
    });
  });
  server.keepAliveTimeout = 70_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
