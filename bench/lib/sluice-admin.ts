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
