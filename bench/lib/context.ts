// What every bench part needs: settings, tool paths, the scratch workspace, the shared origin.
import type { ToolPaths } from './install.ts';
import type { Origin, Workspace } from './servers.ts';
import type { Settings } from './settings.ts';

export interface BenchContext {
  readonly settings: Settings;
  readonly tools: ToolPaths;
  readonly ws: Workspace;
  readonly origin: Origin;
  /** The oha binary (constant-rate load), when a part that needs it runs. */
  readonly oha?: string;
  log(line: string): void;
}

/** Host header every proxied request carries; Sluice routes on it, nginx/haproxy ignore it. */
export const BENCH_HOST = 'bench.local';
