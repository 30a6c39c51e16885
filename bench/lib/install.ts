// Installs the comparison servers and the load generator from Debian packages when missing.
// `apt-get update` runs at most once per bench run, and only if something has to be installed.
import { existsSync } from 'node:fs';
import { runCommand } from './processes.ts';

const TOOLS = [
  { binary: 'nginx', paths: ['/usr/sbin/nginx', '/usr/bin/nginx'], pkg: 'nginx' },
  { binary: 'haproxy', paths: ['/usr/sbin/haproxy', '/usr/bin/haproxy'], pkg: 'haproxy' },
  { binary: 'wrk', paths: ['/usr/bin/wrk', '/usr/local/bin/wrk'], pkg: 'wrk' },
  { binary: 'taskset', paths: ['/usr/bin/taskset'], pkg: 'util-linux' },
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

export async function toolVersions(tools: ToolPaths): Promise<{ nginx: string; haproxy: string; wrk: string; node: string }> {
  const first = async (cmd: string, args: string[], re: RegExp) => {
    const r = await runCommand(cmd, args, 5000).catch(() => ({ output: '' }));
    return re.exec(r.output)?.[1] ?? 'unknown';
  };
  return {
    nginx: await first(tools.nginx, ['-v'], /nginx\/(\S+)/),
    haproxy: await first(tools.haproxy, ['-v'], /version (\S+)/),
    wrk: await first(tools.wrk, ['-v'], /wrk (\S+)/),
    node: process.version,
  };
}
