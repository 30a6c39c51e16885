// Helpers for the Gateway API end-to-end tests: a real Sluice (dist/main.js, file provider) on
// random free ports, real echo backends, and bounded waiting. Every process started here is
// stopped by its own PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

export const REPO = process.cwd();
const MAIN = join(REPO, 'dist', 'main.js');
const NODE = join(REPO, 'node_modules', '.bin', 'node');

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export class ManifestDir {
  readonly path = mkdtempSync(join(tmpdir(), 'sluice-gw-'));
  write(name: string, text: string): void {
    // Write then rename, as editors do, so the watcher never reads half a file.
    const tmp = join(this.path, `.${name}.tmp`);
    writeFileSync(tmp, text);
    writeFileSync(join(this.path, name), text);
    rmSync(tmp, { force: true });
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export class SluiceProcess {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, ports: { http: number; https: number; admin: number }) {
    this.child = child;
    this.httpPort = ports.http;
    this.httpsPort = ports.https;
    this.adminPort = ports.admin;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => this.output.push(c));
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  static async start(manifests: string): Promise<SluiceProcess> {
    const ports = { http: await freePort(), https: await freePort(), admin: await freePort() };
    const child = spawn(
      NODE,
      [MAIN, '--provider', 'file', '--manifests', manifests, '--bind-address', '127.0.0.1', '--admin-bind-address', '127.0.0.1',
        '--http-port', String(ports.http), '--https-port', String(ports.https), '--admin-port', String(ports.admin), '--log-level', 'info'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const s = new SluiceProcess(child, ports);
    await eventually(async () => {
      const r = await request(`http://127.0.0.1:${ports.admin}/readyz`, { reset: true });
      await r.body.dump();
      return r.statusCode === 200 ? true : undefined;
    }, 15_000, 'sluice /readyz');
    return s;
  }

  async debugRoutes(): Promise<DebugRoutes> {
    const r = await request(`http://127.0.0.1:${this.adminPort}/debug/routes`, { reset: true });
    return (await r.body.json()) as DebugRoutes;
  }

  /** Waits for the table generation to pass `after` (a change was installed). */
  async waitForGeneration(after: number, timeoutMs = 5000): Promise<DebugRoutes> {
    return eventually(async () => {
      const d = await this.debugRoutes();
      return d.generation > after ? d : undefined;
    }, timeoutMs, `table generation > ${after}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGKILL');
  }
}

export interface DebugRoutes {
  readonly generation: number;
  readonly listeners: readonly { name: string; port: number; socketPort: number; protocol: string }[];
  readonly statuses: readonly { kind: string; namespace?: string; name: string; status?: unknown; parents?: unknown }[];
  readonly diagnostics: readonly { code: string; message: string }[];
}

export function closeServers(servers: readonly Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  }))).then(() => undefined);
}

export function serviceYaml(namespace: string, name: string, endpointPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  ports: [{ name: http, port: 80 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${endpointPort} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]
`;
}
