// `node dist/demo/canary.js`: the canary example — backends "stable" and "canary" on 127.0.0.1
// and Sluice serving examples/canary (file provider, Gateway API). Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoBackend } from './backend.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifests = join(root, 'examples', 'canary');
const httpPort = Number(process.env.SLUICE_HTTP_PORT ?? 8080);
const adminPort = Number(process.env.SLUICE_ADMIN_PORT ?? 9090);

const servers: Server[] = [await startEchoBackend('stable', 9201), await startEchoBackend('canary', 9202)];

const sluice = spawn(
  process.execPath,
  [join(root, 'dist', 'main.js'), '--provider', 'file', '--manifests', manifests, '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1'],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SLUICE_HTTP_PORT: String(httpPort), SLUICE_ADMIN_PORT: String(adminPort) } },
);

const base = `http://127.0.0.1:${httpPort}`;
console.log(`
Sluice canary example: backends stable (:9201) and canary (:9202); Sluice on :${httpPort}, admin on :${adminPort}.
The HTTPRoute in examples/canary/route.yaml sends 90% to stable and 10% to canary.

  # count where 1000 requests land (about 900 stable, 100 canary):
  for i in $(seq 1000); do curl -s -H 'Host: shop.localhost' ${base}/; done | grep -o '"backend":"[a-z]*"' | sort | uniq -c

  curl -H 'Host: shop.localhost' -H 'X-Canary: always' ${base}/   # always canary
  curl http://127.0.0.1:${adminPort}/debug/routes                   # the table and the Gateway API statuses

Edit the weights in ${join(manifests, 'route.yaml')} while this runs: the new split is live within a second.
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
