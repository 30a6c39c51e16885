// A tiny forward-auth service for the edge example and its test: GET /check lets a request
// through (204 with X-User-Id) when its Authorization is "Bearer demo-token", and answers 401
// with a Bearer challenge otherwise. It counts the checks it answered (GET /_checks), so a test
// can tell whether Sluice asked it.
import { createServer, type Server } from 'node:http';

export const DEMO_TOKEN = 'demo-token';

export function startAuthBackend(port: number, host = '127.0.0.1'): Promise<Server> {
  let checks = 0;
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/_checks') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`${checks}\n`);
    checks++;
    if (req.headers.authorization === `Bearer ${DEMO_TOKEN}`) return void res.writeHead(204, { 'x-user-id': 'demo-user' }).end();
    const body = '{"error":"a valid bearer token is required"}\n';
    res.writeHead(401, { 'www-authenticate': 'Bearer realm="shop"', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
