// The Grafana dashboard the chart ships (charts/sluice/dashboards/sluice.json) against a real
// Sluice: it parses, its panels have unique ids and queries, and every metric its queries and
// variables name is one /metrics of a running Sluice (controller and two workers) declares —
// histogram series (_bucket, _sum, _count) of a declared histogram included.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, INGRESS_CLASS_YAML, ManifestDir, ROOT, type Sluice, startSluice } from './support/harness.js';

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string; readonly exemplar?: boolean }[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly query?: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'charts', 'sluice', 'dashboards', 'sluice.json'), 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.map((v) => (typeof v.query === 'object' && v.query !== null ? String((v.query as { query?: unknown }).query ?? '') : String(v.query ?? ''))),
];
const named = [...new Set(queries.flatMap((q) => q.match(/\bsluice_[a-z0-9_]+/g) ?? []))].sort();

let dir: ManifestDir;
let sluice: Sluice;
let declared: Map<string, string>;

beforeAll(async () => {
  dir = new ManifestDir();
  dir.write('base.yaml', INGRESS_CLASS_YAML);
  sluice = await startSluice(dir.path, ['--workers', '2']);
  const text = (await get(sluice.adminPort, 'localhost', '/metrics')).body;
  declared = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
});

afterAll(async () => {
  await sluice?.stop();
  dir?.remove();
});

/** The declared metric a series name belongs to (a histogram's _bucket/_sum/_count are its own). */
function metricOf(series: string): string | undefined {
  if (declared.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return declared.get(base) === 'histogram' ? base : undefined;
}

describe('Grafana dashboard', () => {
  it('has unique panel ids and a query on every panel that is not a row', () => {
    expect(dashboard.uid).toBe('sluice');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((x) => x.type !== 'row')) expect([p.title, (p.targets ?? []).length > 0]).toEqual([p.title, true]);
  });

  it('names only metrics a running Sluice exports', () => {
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((n) => metricOf(n) === undefined)).toEqual([]);
  });

  it('asks for exemplars on the request-latency queries (trace links when tracing is on)', () => {
    const latency = panels.flatMap((p) => p.targets ?? []).filter((t) => t.expr.includes('sluice_request_duration_seconds_bucket'));
    expect(latency.length).toBeGreaterThan(0);
    expect(latency.filter((t) => t.exemplar !== true)).toEqual([]);
  });

  it('covers traffic, errors, latency, upstream errors, endpoint health, table swaps, translate time, L4 and upstream TLS', () => {
    for (const m of ['sluice_requests_total', 'sluice_request_duration_seconds_bucket', 'sluice_upstream_errors_total', 'sluice_endpoint_health', 'sluice_endpoints', 'sluice_table_swaps_total', 'sluice_translate_duration_seconds_bucket', 'sluice_build_info']) expect(named).toContain(m);
    for (const m of ['sluice_l4_connections_total', 'sluice_l4_active_connections', 'sluice_l4_rejected_total', 'sluice_l4_bytes_total', 'sluice_upstream_tls_failures_total', 'sluice_health_check_tls_failures_total']) expect(named).toContain(m);
  });

  it('uses histograms with proxy-sized buckets (0.5 ms to 30 s) and exports sluice_build_info once', async () => {
    await get(sluice.httpPort, 'nothing.test', '/'); // a 404: one observation of the request histogram
    const text = (await get(sluice.adminPort, 'localhost', '/metrics')).body;
    const bounds = [...text.matchAll(/^sluice_request_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} /gm)].map((m) => m[1]);
    expect(bounds[0]).toBe('0.0005');
    expect(bounds.slice(-2)).toEqual(['30', '+Inf']);
    const info = text.split('\n').filter((l) => l.startsWith('sluice_build_info{'));
    expect(info).toHaveLength(1);
    expect(info[0]).toMatch(/version="\d+\.\d+\.\d+[^"]*"/);
    expect(info[0]).toContain(`node="${process.versions.node.split('.')[0]}`);
    expect(info[0]!.endsWith(' 1')).toBe(true);
    expect(declared.get('sluice_request_duration_seconds')).toBe('histogram');
  });
});
