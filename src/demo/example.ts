// Runs one example from examples/: its demo backends on 127.0.0.1, then Sluice with the file
// provider on the example's manifests, and a usage text. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoBackend } from './backend.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Example {
  /** Folder under examples/. */
  readonly name: string;
  /** Demo backends: name, port, and the loopback address (default 127.0.0.1). */
  readonly backends: readonly (readonly [name: string, port: number, host?: string])[];
  /** Other demo servers to start first (the edge example's auth service). */
  readonly servers?: readonly (() => Promise<Server>)[];
  /** What to print once started, given Sluice's HTTP base URL, admin port and manifest folder. */
  readonly usage: (base: string, adminPort: number, manifests: string) => string;
}

export async function runExample(example: Example): Promise<void> {
  const manifests = join(ROOT, 'examples', example.name);
  const httpPort = Number(process.env.SLUICE_HTTP_PORT ?? 8080);
  const adminPort = Number(process.env.SLUICE_ADMIN_PORT ?? 9090);
  const servers: Server[] = [];
  for (const [name, port, host] of example.backends) servers.push(await startEchoBackend(name, port, host));
  for (const start of example.servers ?? []) servers.push(await start());

  const sluice = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'main.js'), '--provider', 'file', '--manifests', manifests, '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1'],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SLUICE_HTTP_PORT: String(httpPort), SLUICE_ADMIN_PORT: String(adminPort) } },
  );
  console.log(example.usage(`http://127.0.0.1:${httpPort}`, adminPort, manifests));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sluice.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  sluice.on('exit', (code) => {
    for (const s of servers) s.close();
    process.exit(stopping ? 0 : (code ?? 1));
  });
}
