// Installs the comparison servers and the load generator from Debian packages when missing.
// `apt-get update` runs at most once per bench run, and only if something has to be installed.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './processes.ts';
import { REPO_ROOT } from './servers.ts';

const TOOLS = [
  { binary: 'nginx', paths: ['/usr/sbin/nginx', '/usr/bin/nginx'], pkg: 'nginx' },
  { binary: 'haproxy', paths: ['/usr/sbin/haproxy', '/usr/bin/haproxy'], pkg: 'haproxy' },
  { binary: 'wrk', paths: ['/usr/bin/wrk', '/usr/local/bin/wrk'], pkg: 'wrk' },
  { binary: 'taskset', paths: ['/usr/bin/taskset'], pkg: 'util-linux' },
  // HTTP/2 load (bench/h2.ts).
  { binary: 'h2load', paths: ['/usr/bin/h2load'], pkg: 'nghttp2-client' },
] as const;

export type ToolName = (typeof TOOLS)[number]['binary'];
export type ToolPaths = Record<ToolName, string>;

function locate(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

export async function ensureTools(log: (line: string) => void): Promise<ToolPaths> {
  const missing = TOOLS.filter((t) => !locate(t.paths));
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) throw new Error(`missing ${missing.map((t) => t.binary).join(', ')}; install them (apt-get install ${missing.map((t) => t.pkg).join(' ')}) or run as root`);
    log(`installing ${missing.map((t) => t.pkg).join(', ')} with apt-get`);
    const update = await runCommand('apt-get', ['update', '-qq']);
    if (update.code !== 0) throw new Error(`apt-get update failed:\n${update.output}`);
    // policy-rc.d-less containers may try to start the nginx/haproxy services: that is harmless
    // (we use our own configs on other ports), but keep the install quiet and non-interactive.
    const install = await runCommand('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((t) => t.pkg)]);
    if (install.code !== 0) throw new Error(`apt-get install failed:\n${install.output}`);
  }
  const out = {} as ToolPaths;
  for (const t of TOOLS) {
    const path = locate(t.paths);
    if (!path) throw new Error(`${t.binary} still missing after install`);
    out[t.binary] = path;
  }
  return out;
}

export async function toolVersions(tools: ToolPaths): Promise<{ nginx: string; haproxy: string; wrk: string; h2load: string; node: string }> {
  const first = async (cmd: string, args: string[], re: RegExp) => {
    const r = await runCommand(cmd, args, 5000).catch(() => ({ output: '' }));
    return re.exec(r.output)?.[1] ?? 'unknown';
  };
  return {
    nginx: await first(tools.nginx, ['-v'], /nginx\/(\S+)/),
    haproxy: await first(tools.haproxy, ['-v'], /version (\S+)/),
    wrk: await first(tools.wrk, ['-v'], /wrk (\S+)/),
    h2load: await first(tools.h2load, ['--version'], /nghttp2\/(\S+)/),
    node: process.version,
  };
}

/** vegeta, the constant-rate (open-model) load generator of the fixed-rate phase, from Go modules. */
export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12';
export const VEGETA_VERSION = 'v12.13.0';

/**
 * The vegeta binary, built once with `go install` into the cache folder the cluster scripts use
 * ($SLUICE_CACHE_DIR, default <repo>/.cache; Go build and module caches under go/ as
 * test/cluster/build.sh keeps them), so later runs start at once. About a minute the first time.
 */
export async function ensureVegeta(log: (line: string) => void): Promise<string> {
  const cache = process.env.SLUICE_CACHE_DIR ?? join(REPO_ROOT, '.cache');
  const dir = join(cache, 'bench', `vegeta-${VEGETA_VERSION}`);
  const binary = join(dir, 'vegeta');
  if (existsSync(binary)) return binary;
  log(`building vegeta ${VEGETA_VERSION} from Go modules into ${dir}`);
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const env = { GOBIN: staging, GOCACHE: join(cache, 'go', 'build'), GOMODCACHE: join(cache, 'go', 'mod'), GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  const r = await runCommand('go', ['install', '-trimpath', '-ldflags=-s -w', `${VEGETA_MODULE}@${VEGETA_VERSION}`], 900_000, env);
  if (r.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building vegeta failed (Go >= 1.22 on PATH and the Go module proxy are needed):\n${r.output}`);
  }
  // A concurrent run may have finished first: either binary is the same build.
  if (!existsSync(binary)) renameSync(staging, dir);
  else rmSync(staging, { recursive: true, force: true });
  return binary;
}
