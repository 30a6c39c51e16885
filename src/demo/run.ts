// `npm run demo`: three demo backends on 127.0.0.1 and Sluice on examples/demo (file provider).
// Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoBackend } from './backend.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BACKENDS = [
  ['web', 9101],
  ['api', 9102],
  ['docs', 9103],
] as const;
const httpPort = Number(process.env.SLUICE_HTTP_PORT ?? 8080);
const adminPort = Number(process.env.SLUICE_ADMIN_PORT ?? 9090);

const servers: Server[] = [];
for (const [name, port] of BACKENDS) servers.push(await startEchoBackend(name, port));

const sluice = spawn(
  process.execPath,
  [join(root, 'dist', 'main.js'), '--provider', 'file', '--manifests', join(root, 'examples', 'demo'), '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1'],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SLUICE_HTTP_PORT: String(httpPort), SLUICE_ADMIN_PORT: String(adminPort) } },
);

const base = `http://127.0.0.1:${httpPort}`;
console.log(`
Sluice demo: backends web, api and docs on 127.0.0.1:9101-9103; Sluice on :${httpPort}, admin on :${adminPort}.
Routes come from examples/demo/*.yaml; edit them while this runs and the change is live within a second.

  curl -H 'Host: demo.localhost' ${base}/            # → web
  curl -H 'Host: demo.localhost' ${base}/api/users   # → api (its second endpoint is not ready: never used)
  curl -H 'Host: docs.localhost' ${base}/guide       # → docs
  curl -H 'Host: nothing.example' ${base}/           # → 404 no route
  curl -H 'Host: demo.localhost' ${base}/status      # → 503 (Service "status" does not exist)
  curl http://127.0.0.1:${adminPort}/debug/routes     # the installed table
  curl http://127.0.0.1:${adminPort}/metrics

Press Ctrl-C to stop.
`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  sluice.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
sluice.on('exit', (code) => {
  for (const s of servers) s.close();
  process.exit(stopping ? 0 : (code ?? 1));
});
