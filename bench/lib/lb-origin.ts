// Starting the lb origin (lb-origin-server.ts) in its own process group on the load CPU, and
// talking to its control port: faults, counters, arrival times.
import { join } from 'node:path';
import type { EndpointMode, OriginConfig } from './lb-origin-server.ts';
import { freePorts, HttpClient, LOOPBACK, waitListening } from './net.ts';
import { startGroup, type Group } from './processes.ts';
import { PROJECT_NODE, REPO_ROOT } from './servers.ts';

export interface EndpointStats {
  readonly port: number;
  readonly delayMs: number;
  readonly mode: EndpointMode;
  /** Proxied requests received (not /health). */
  readonly requests: number;
  readonly health: number;
  /** [bucket start (epoch ms), requests arrived in that 10 ms bucket], in time order. */
  readonly arrivals: readonly (readonly [number, number])[];
}

export interface LbOrigin {
  readonly ports: readonly number[];
  readonly group: Group;
  stats(): Promise<EndpointStats[]>;
  reset(): Promise<void>;
  /** Puts endpoint `index` in `mode`; resolves with the origin's clock at that moment. */
  fault(index: number, mode: EndpointMode): Promise<number>;
  stop(): Promise<void>;
}

const SCRIPT = join(REPO_ROOT, 'bench', 'lib', 'lb-origin-server.ts');

export async function startLbOrigin(delaysMs: readonly number[], concurrency: number, cpus: string): Promise<LbOrigin> {
  const [controlPort, ...ports] = await freePorts(1 + delaysMs.length);
  const config: OriginConfig = { controlPort: controlPort!, concurrency, endpoints: delaysMs.map((delayMs, i) => ({ port: ports[i]!, delayMs })) };
  const group = startGroup('lb-origin', PROJECT_NODE, [SCRIPT, JSON.stringify(config)], { cpus });
  let exited = false;
  void group.exited.then(() => (exited = true));
  try {
    await waitListening(controlPort!, 15_000, 'lb origin', () => !exited);
  } catch (err) {
    await group.stop('SIGKILL', 0);
    throw new Error(`${(err as Error).message}\n${group.output()}`);
  }
  const client = new HttpClient({ maxSockets: 2 });
  const post = async (path: string) => {
    const r = await client.request(controlPort!, 'POST', path);
    if (r.status !== 200) throw new Error(`lb origin ${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as { at?: number };
  };
  return {
    ports,
    group,
    async stats() {
      const r = await client.get(controlPort!, LOOPBACK, '/stats');
      return (JSON.parse(r.body) as { endpoints: EndpointStats[] }).endpoints;
    },
    async reset() {
      await post('/reset');
    },
    async fault(index, mode) {
      return (await post(`/fault?ep=${index}&mode=${mode}`)).at ?? Date.now();
    },
    async stop() {
      client.close();
      await group.stop('SIGKILL', 0);
    },
  };
}

/** Requests that arrived in [from, to) (epoch ms), from 10 ms buckets. */
export function arrivalsBetween(e: EndpointStats, from: number, to: number): number {
  let n = 0;
  for (const [t, c] of e.arrivals) if (t >= from && t < to) n += c;
  return n;
}

/** End of the last 10 ms bucket with an arrival at or after `from`; undefined when none. */
export function lastArrival(e: EndpointStats, from: number): number | undefined {
  let last: number | undefined;
  for (const [t] of e.arrivals) if (t + 10 > from) last = t + 10;
  return last;
}

/**
 * When traffic to the endpoint first stopped after `from`: the end of the last bucket before
 * the first silence of at least `gapMs` (or before `to`, if it was silent until then).
 * Undefined when arrivals never paused that long before `to`.
 */
export function firstStop(e: EndpointStats, from: number, to: number, gapMs: number): number | undefined {
  let prev = from;
  for (const [t] of e.arrivals) {
    if (t + 10 <= from) continue;
    if (t >= to) break;
    if (t - prev >= gapMs) return prev;
    prev = t + 10;
  }
  return to - prev >= gapMs ? prev : undefined;
}
