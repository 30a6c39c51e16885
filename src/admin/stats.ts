// /debug/stats: what the live stats page polls. The workers' rolling minutes are added up slot
// by slot, then summarised per route and per backend cluster (req/s, 5xx rate, p50/p99, a req/s
// series for the sparkline), next to each endpoint's state, in-flight requests and last error,
// the listeners with their sockets, the table generation and the current diagnostics.
import type { Published } from '../pipeline/pipeline.js';
import type { Listener, RoutingTable } from '../table/types.js';
import type { Diagnostic } from '../translate/types.js';
import type { HealthSnapshot } from '../dataplane/health/health.js';
import { LATENCY_BOUNDS_MS, quantileMs, SLOT_MS, SLOTS, type WindowSlot } from '../dataplane/stats/rolling.js';
import type { EndpointError, TrafficSnapshot } from '../dataplane/stats/traffic.js';
import { endpointKey } from '../dataplane/upstream/pools.js';

/** Routes listed at most (busiest first): a 10k-route table must not make a 10k-row page. */
export const MAX_ROUTES = 300;

export interface TrafficSummary {
  /** Requests in the last minute. */
  readonly requests: number;
  readonly rps: number;
  /** Share of 5xx answers, 0..1. */
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** req/s per 5-second slot over the last minute, oldest first. */
  readonly series: readonly number[];
}

export interface StatsEndpoint {
  readonly key: string;
  /** health-check-failing, ejected, or the table's ready | serving-terminating | terminating | not-ready. */
  readonly state: string;
  readonly activeRequests: number;
  readonly lastError: EndpointError | null;
}

export interface DebugStats {
  readonly generatedAt: string;
  readonly generation: number;
  readonly workers: number;
  readonly listeners: readonly { name: string; protocol: string; port: number; socketPort: number; address: string | null; hosts: number }[];
  readonly routes: readonly ({ id: string; host: string | null } & TrafficSummary)[];
  readonly routesTotal: number;
  readonly backends: readonly ({ id: string; endpoints: readonly StatsEndpoint[] } & TrafficSummary)[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface StatsInput {
  readonly published: Published | undefined;
  readonly providerDiagnostics: readonly Diagnostic[];
  readonly socketPort: (l: Pick<Listener, 'port'>) => number;
  readonly health: readonly HealthSnapshot[];
  readonly traffic: readonly TrafficSnapshot[];
  /** Wall-clock ms. */
  readonly now: number;
}

/** Adds up the slots of one id over every worker, by slot epoch. */
function mergeSlots(lists: readonly (readonly WindowSlot[] | undefined)[]): Map<number, { requests: number; errors: number; latency: number[] }> {
  const byEpoch = new Map<number, { requests: number; errors: number; latency: number[] }>();
  for (const slots of lists) {
    for (const s of slots ?? []) {
      let m = byEpoch.get(s.t);
      if (!m) byEpoch.set(s.t, (m = { requests: 0, errors: 0, latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0) }));
      m.requests += s.requests;
      m.errors += s.errors;
      s.latency.forEach((n, b) => (m.latency[b]! += n));
    }
  }
  return byEpoch;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const finite = (n: number | undefined) => (n === undefined ? null : Number.isFinite(n) ? n : LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!);

export function summarise(lists: readonly (readonly WindowSlot[] | undefined)[], now: number): TrafficSummary {
  const merged = mergeSlots(lists);
  const current = Math.floor(now / SLOT_MS);
  const latency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  const series: number[] = [];
  let requests = 0;
  let errors = 0;
  for (let t = current - SLOTS + 1; t <= current; t++) {
    const m = merged.get(t);
    series.push(m ? round(m.requests / (SLOT_MS / 1000), 2) : 0);
    if (!m) continue;
    requests += m.requests;
    errors += m.errors;
    m.latency.forEach((n, b) => (latency[b]! += n));
  }
  return {
    requests,
    rps: round(requests / ((SLOTS * SLOT_MS) / 1000), 2),
    errorRate: requests === 0 ? 0 : round(errors / requests, 4),
    p50Ms: finite(quantileMs(latency, 0.5)),
    p99Ms: finite(quantileMs(latency, 0.99)),
    series,
  };
}

function tableState(e: { ready: boolean; serving: boolean; terminating: boolean }): string {
  if (e.ready) return 'ready';
  if (e.serving && e.terminating) return 'serving-terminating';
  return e.terminating ? 'terminating' : 'not-ready';
}

function endpointOf(input: StatsInput, clusterId: string, e: { address: string; port: number; ready: boolean; serving: boolean; terminating: boolean }): StatsEndpoint {
  const key = endpointKey(e);
  let ejected = false;
  let failing = false;
  let activeRequests = 0;
  for (const snapshot of input.health) {
    const h = snapshot[clusterId]?.[key];
    if (!h) continue;
    ejected ||= h.ejected;
    failing ||= h.active === 'unhealthy';
    activeRequests += h.activeRequests ?? 0;
  }
  let lastError: EndpointError | null = null;
  for (const t of input.traffic) {
    const err = t.lastErrors[clusterId]?.[key];
    if (err && (!lastError || err.at > lastError.at)) lastError = err;
  }
  const state = failing ? 'health-check-failing' : ejected ? 'ejected' : tableState(e);
  return { key, state, activeRequests, lastError };
}

export function debugStats(input: StatsInput): DebugStats {
  const table: RoutingTable = input.published?.table ?? { listeners: [], clusters: [] };
  const { traffic, now } = input;
  const routes: ({ id: string; host: string | null } & TrafficSummary)[] = [];
  const seen = new Set<string>();
  const addRoute = (id: string, host: string | null) => {
    if (seen.has(id)) return;
    seen.add(id);
    routes.push({ id, host, ...summarise(traffic.map((t) => t.routes[id]), now) });
  };
  for (const l of table.listeners) {
    for (const vh of l.virtualHosts) for (const r of vh.routes) addRoute(r.id, vh.hostname);
    if (l.fallback) addRoute(l.fallback.id, null);
  }
  // Requests no route matched are traffic too.
  if (traffic.some((t) => t.routes['-'])) addRoute('-', null);
  routes.sort((a, b) => b.requests - a.requests || a.id.localeCompare(b.id));
  return {
    generatedAt: new Date(now).toISOString(),
    generation: input.published?.generation ?? 0,
    workers: traffic.length,
    listeners: table.listeners.map((l) => ({ name: l.name, protocol: l.protocol, port: l.port, socketPort: input.socketPort(l), address: l.address ?? null, hosts: l.virtualHosts.length })),
    routes: routes.slice(0, MAX_ROUTES),
    routesTotal: routes.length,
    backends: table.clusters.map((c) => ({
      id: c.id,
      ...summarise(traffic.map((t) => t.clusters[c.id]), now),
      endpoints: c.endpoints.map((e) => endpointOf(input, c.id, e)),
    })),
    diagnostics: [...(input.published?.diagnostics ?? []), ...input.providerDiagnostics],
  };
}
