// /metrics content negotiation, and summing the processes' metrics with their exemplars kept
// (the newest per series). The exposition is checked against a real OpenMetrics parser and a
// real Prometheus scrape in test/e2e/exemplars.test.ts.
import { describe, expect, it } from '@jest/globals';
import { exposition, negotiateExposition } from '../../src/metrics-exposition.js';
import { Metrics } from '../../src/metrics.js';

const A = { trace_id: 'a'.repeat(32), span_id: '1'.repeat(16) };
const B = { trace_id: 'b'.repeat(32), span_id: '2'.repeat(16) };

/** A process's metrics as they cross IPC (JSON). */
async function ipc(m: Metrics) {
  return JSON.parse(JSON.stringify(await m.registry.getMetricsAsJSON())) as Awaited<ReturnType<Metrics['registry']['getMetricsAsJSON']>>;
}

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(prefix));
}

describe('negotiateExposition', () => {
  it('answers OpenMetrics only when the scraper ranks it first', () => {
    expect(negotiateExposition(undefined)).toBe('prometheus');
    expect(negotiateExposition('*/*')).toBe('prometheus');
    expect(negotiateExposition('text/plain;version=0.0.4')).toBe('prometheus');
    // What Prometheus sends.
    expect(negotiateExposition('application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1')).toBe('openmetrics');
    expect(negotiateExposition('application/openmetrics-text; version=1.0.0')).toBe('openmetrics');
    expect(negotiateExposition('text/plain;q=1,application/openmetrics-text;q=0.5')).toBe('prometheus');
    expect(negotiateExposition('application/openmetrics-text;q=0,text/plain')).toBe('prometheus');
  });
});

describe('exposition', () => {
  it('keeps the newest exemplar of each series across workers and sums the values', async () => {
    const first = new Metrics({ processMetrics: false, exemplars: true });
    const second = new Metrics({ processMetrics: false, exemplars: true });
    first.countRequest('r', 'c', 200, 0.003, A);
    // Later, in the other worker, in the same bucket and counter child.
    await new Promise((r) => setTimeout(r, 5));
    second.countRequest('r', 'c', 200, 0.004, B);
    // Untraced requests count, and leave the exemplars alone.
    second.countRequest('r', 'c', 200, 0.004);
    first.countRequest('r', 'c', 503, 20);
    const controller = new Metrics({ processMetrics: false });
    const text = await exposition([await ipc(controller), await ipc(first), await ipc(second)], 'openmetrics');

    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE sluice_requests counter');
    const ok = line(text, 'sluice_requests_total{route="r",backend="c",code="200"}')!;
    expect(ok).toMatch(new RegExp(`^\\S+ 3 # \\{trace_id="${B.trace_id}",span_id="${B.span_id}"\\} 1 \\d+(\\.\\d+)?$`));
    expect(line(text, 'sluice_requests_total{route="r",backend="c",code="503"}')).toBe('sluice_requests_total{route="r",backend="c",code="503"} 1');
    const bucket = line(text, 'sluice_request_duration_seconds_bucket{le="0.005",route="r"}')!;
    expect(bucket).toContain(`3 # {trace_id="${B.trace_id}",span_id="${B.span_id}"} 0.004 `);
    // A bucket no traced request fell in has no exemplar.
    expect(line(text, 'sluice_request_duration_seconds_bucket{le="+Inf",route="r"}')).toBe('sluice_request_duration_seconds_bucket{le="+Inf",route="r"} 4');
    expect(text).not.toContain('_total_total');
  });

  it('writes no exemplar in Prometheus text, and builds none with exemplars off', async () => {
    const traced = new Metrics({ processMetrics: false, exemplars: true });
    traced.countRequest('r', 'c', 200, 0.003, A);
    const text = await exposition([await ipc(traced)], 'prometheus');
    expect(text).toContain('sluice_requests_total{route="r",backend="c",code="200"} 1\n');
    expect(text).not.toContain(' # {');
    expect(text).not.toContain(A.trace_id);

    const untraced = new Metrics({ processMetrics: false });
    untraced.countRequest('r', 'c', 200, 0.003);
    const json = await untraced.registry.getMetricsAsJSON();
    const series = json.filter((m) => m.name.startsWith('sluice_request')).flatMap((m) => m.values);
    expect(series.length).toBeGreaterThan(0);
    expect(series.every((v) => (v as { exemplar?: unknown }).exemplar == null)).toBe(true);
    expect(await exposition([JSON.parse(JSON.stringify(json))], 'openmetrics')).not.toContain(' # {');
  });
});
