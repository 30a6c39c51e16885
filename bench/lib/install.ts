// Installs the comparison servers and the load generator from Debian packages when missing.
// `apt-get update` runs at most once per bench run, and only if something has to be installed.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
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
  // nginx's stream module (the TCP peer of bench/tcp.ts) is a separate package on Debian.
  { binary: 'nginx-stream', paths: ['/usr/lib/nginx/modules/ngx_stream_module.so'], pkg: 'libnginx-mod-stream' },
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

/** oha, the constant-rate (open-model) load generator of the fixed-rate phase, from crates.io. */
export const OHA_VERSION = '1.16.0';

/**
 * The oha binary, built once with `cargo install --locked` into the cache folder the cluster
 * scripts use ($SLUICE_CACHE_DIR, default <repo>/.cache), so later runs start at once. About
 * five minutes the first time; needs cargo (rustup) on PATH or in ~/.cargo/bin.
 */
export async function ensureOha(log: (line: string) => void): Promise<string> {
  const cache = process.env.SLUICE_CACHE_DIR ?? join(REPO_ROOT, '.cache');
  const dir = join(cache, 'bench', `oha-${OHA_VERSION}`);
  const binary = join(dir, 'bin', 'oha');
  if (existsSync(binary)) return binary;
  log(`building oha ${OHA_VERSION} from crates.io into ${dir}`);
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  // rustup puts cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
  const env = { PATH: `${process.env.PATH ?? ''}:${join(homedir(), '.cargo', 'bin')}` };
  const r = await runCommand('cargo', ['install', 'oha', '--version', OHA_VERSION, '--locked', '--root', staging], 1_800_000, env).catch((err: Error) => ({ code: -1, output: err.message }));
  if (r.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building oha failed (cargo on PATH and crates.io are needed):\n${r.output}`);
  }
  // A concurrent run may have finished first: either binary is the same build.
  if (!existsSync(binary)) renameSync(staging, dir);
  else rmSync(staging, { recursive: true, force: true });
  return binary;
}
