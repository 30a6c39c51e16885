// The per-request metrics count into cells and reach prom-client when the registry is read: the
// exposition must be what prom-client's own Counter and Histogram would print, counts must not be
// added twice by two reads, and the workers' aggregation must sum them.
import { describe, expect, it } from '@jest/globals';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../../src/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const REQUESTS: readonly [string, string, number, number][] = [
  ['shop/web/0', 'shop/web:80', 200, 0.0004],
  ['shop/web/0', 'shop/web:80', 200, 0.0005],
  ['shop/web/0', 'shop/web:80', 200, 0.003],
  ['shop/web/0', 'shop/api:80', 502, 31],
  ['-', '-', 404, 0.0001],
];

/** The same requests through prom-client's own metrics: the reference exposition. */
async function reference(times: number): Promise<string[]> {
  const registry = new Registry();
  const counter = new Counter({ name: 'sluice_requests_total', help: 'x', labelNames: ['route', 'backend', 'code'], registers: [registry] });
  const histogram = new Histogram({ name: 'sluice_request_duration_seconds', help: 'x', labelNames: ['route'], buckets: BUCKETS, registers: [registry] });
  for (let i = 0; i < times; i++) {
    for (const [route, backend, code, s] of REQUESTS) {
      counter.labels(route, backend, String(code)).inc();
      histogram.labels(route).observe(s);
    }
  }
  return samples(await registry.metrics());
}

function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^sluice_request(s_total|_duration_seconds)/.test(l))
    .sort();
}

function feed(m: Metrics): void {
  for (const [route, backend, code, s] of REQUESTS) m.countRequest(route, backend, code, s);
}

describe('per-request metrics', () => {
  it('print exactly what prom-client would, and read twice count once', async () => {
    const m = new Metrics({ processMetrics: false });
    feed(m);
    expect(samples(await m.registry.metrics())).toEqual(await reference(1));
    expect(samples(await m.registry.metrics())).toEqual(await reference(1));
    feed(m);
    expect(samples(await m.registry.metrics())).toEqual(await reference(2));
  });

  it('count the same through the counters a route runtime keeps as by route id', async () => {
    const m = new Metrics({ processMetrics: false });
    const kept = new Map<string, ReturnType<Metrics['routeCounters']>>();
    for (const [route, backend, code, s] of REQUESTS) {
      if (!kept.has(route)) kept.set(route, m.routeCounters(route));
      m.countRequest(route, backend, code, s, undefined, kept.get(route));
    }
    // Counters asked for again are the same ones, and counting by id lands in them too.
    expect(m.routeCounters('shop/web/0')).toBe(kept.get('shop/web/0'));
    expect(samples(await m.registry.metrics())).toEqual(await reference(1));
    feed(m);
    expect(samples(await m.registry.metrics())).toEqual(await reference(2));
  });

  it('declare the histogram type and bucket bounds', async () => {
    const m = new Metrics({ processMetrics: false });
    feed(m);
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE sluice_request_duration_seconds histogram');
    expect(text).toContain('sluice_request_duration_seconds_bucket{le="+Inf",route="shop/web/0"} 4');
    expect(text).toContain('sluice_request_duration_seconds_count{route="-"} 1');
  });

  it('sum over workers like prom-client metrics do', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    feed(a);
    feed(b);
    feed(b);
    const merged = AggregatorRegistry.aggregate([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]);
    expect(samples(await merged.metrics())).toEqual(await reference(3));
  });
});
