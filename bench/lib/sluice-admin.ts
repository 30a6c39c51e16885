// Reading Sluice's admin endpoints: Prometheus counters and /debug/routes.
import type { HttpClient } from './net.ts';

/** Sum of a metric's samples whose label set contains every given pair. */
export async function metricSum(client: HttpClient, adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = (await client.get(adminPort, 'localhost', '/metrics')).body;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A metric's samples summed per value of one label, e.g. requests by "code". */
export async function metricByLabel(client: HttpClient, adminPort: number, name: string, label: string): Promise<Record<string, number>> {
  const text = (await client.get(adminPort, 'localhost', '/metrics')).body;
  const out: Record<string, number> = {};
  const re = new RegExp(`[{,]${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const value = re.exec(line)?.[1];
    if (value !== undefined) out[value] = (out[value] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

/** Counts in `after` minus `before`, keeping only the non-zero differences. */
export function countDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** "502×12, 503×3" — the non-2xx part of a by-code count. */
export function describeFailures(byCode: Record<string, number>): string {
  const bad = Object.entries(byCode).filter(([code]) => !code.startsWith('2'));
  return bad.length === 0 ? '—' : bad.map(([code, n]) => `${code}×${n}`).join(', ');
}

export interface DebugEndpoint {
  readonly address: string;
  readonly port: number;
  readonly state: string;
  readonly receivesTraffic: boolean;
}

export interface DebugRoutes {
  readonly generation: number;
  readonly clusters: readonly { readonly id: string; readonly service: { readonly name: string }; readonly endpoints: readonly DebugEndpoint[] }[];
}

export async function debugRoutes(client: HttpClient, adminPort: number): Promise<DebugRoutes> {
  return JSON.parse((await client.get(adminPort, 'localhost', '/debug/routes')).body) as DebugRoutes;
}
