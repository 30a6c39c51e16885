// A tiny HTTP backend for the demo and the tests: answers every request with its own name and
// what it received (method, path, host, headers, body size) as one line of JSON. `?delay=MS`
// holds the answer back that long (graceful-shutdown tests). An Upgrade request is accepted
// (101), greeted with "hello from NAME\n" and echoed; under /refuse it is answered 403.
// Faults for the traffic-policy demo and tests, switched by requests to the backend itself:
//   /_fault/health/down|up   its /health answers 503 | 200
//   /_fault/errors/on|off    every other request is answered 503
//   /_fault/delay/MS         every other request is held MS milliseconds (0: off)
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
  const faults = { healthy: true, errors: false, delayMs: 0 };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/_fault/') || req.url === '/health') {
      const answer = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-backend': name });
        res.end(text);
      };
      req.resume();
      const [, , what, arg] = (req.url ?? '').split('/');
      if (req.url === '/health') return answer(faults.healthy ? 200 : 503, `${name} ${faults.healthy ? 'healthy' : 'unhealthy'}\n`);
      if (what === 'health') faults.healthy = arg !== 'down';
      else if (what === 'errors') faults.errors = arg === 'on';
      else if (what === 'delay') faults.delayMs = Math.min(Number(arg) || 0, 60_000);
      else return answer(404, 'unknown fault\n');
      return answer(200, `${name} ${JSON.stringify(faults)}\n`);
    }
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const reply: EchoReply = { backend: name, method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', headers: req.headers, bodyBytes };
      const body = `${JSON.stringify(reply)}\n`;
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0) + faults.delayMs;
      setTimeout(() => {
        res.writeHead(faults.errors ? 503 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': name });
        res.end(body);
      }, Math.min(delay, 60_000));
    });
  });
  server.on('upgrade', (req, socket) => {
    if (req.url?.startsWith('/refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\nconnection: close\r\n\r\nnope\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${req.headers.upgrade}\r\nx-backend: ${name}\r\n\r\n`);
    socket.write(`hello from ${name}\n`);
    socket.pipe(socket);
    socket.on('error', () => socket.destroy());
  });
  server.keepAliveTimeout = 70_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
