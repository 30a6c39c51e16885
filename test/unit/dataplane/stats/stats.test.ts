// The live stats: latency buckets and quantiles, the rolling minute (slots expire, epochs align
// across workers), and /debug/stats merging two workers' windows with endpoint health.
import { describe, expect, it } from '@jest/globals';
import { LATENCY_BOUNDS_MS, latencyBucket, quantileMs, RollingWindow, SLOT_MS } from '../../../../src/dataplane/stats/rolling.js';
import { TrafficStats } from '../../../../src/dataplane/stats/traffic.js';
import { debugStats, summarise } from '../../../../src/admin/stats.js';
import type { Published } from '../../../../src/pipeline/pipeline.js';

describe('latency buckets', () => {
  it('puts each latency in the first bucket whose bound holds it', () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(0.25);
    expect(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]).toBeGreaterThanOrEqual(30_000);
    for (const ms of [0, 0.1, 0.25, 0.3, 1, 1.5, 7, 99, 1000, 29_999]) {
      const b = latencyBucket(ms);
      expect(ms).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[b]!);
      if (b > 0) expect(ms).toBeGreaterThan(LATENCY_BOUNDS_MS[b - 1]!);
    }
    expect(latencyBucket(120_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('reads p50 and p99 off the histogram', () => {
    const w = new RollingWindow();
    for (let i = 0; i < 98; i++) w.record(0, 200, 2);
    w.record(0, 200, 700);
    w.record(0, 503, 700);
    const [slot] = w.slots(0);
    expect(slot!.requests).toBe(100);
    expect(slot!.errors).toBe(1);
    expect(quantileMs(slot!.latency, 0.5)).toBe(2);
    const p99 = quantileMs(slot!.latency, 0.99)!;
    expect(p99).toBeGreaterThanOrEqual(700);
    expect(p99).toBeLessThan(1000);
    expect(quantileMs(new Array(36).fill(0), 0.5)).toBeUndefined();
  });
});

describe('rolling minute', () => {
  it('forgets slots older than a minute and reuses their place', () => {
    const w = new RollingWindow();
    w.record(0, 200, 1);
    w.record(30_000, 200, 1);
    expect(w.slots(59_999).map((s) => s.t)).toEqual([0, 6]);
    expect(w.slots(60_000).map((s) => s.t)).toEqual([6]);
    w.record(60_000, 500, 1); // same ring position as epoch 0
    expect(w.slots(60_000).map((s) => [s.t, s.requests, s.errors])).toEqual([[6, 1, 0], [12, 1, 1]]);
  });

  it('summarises two workers slot by slot: req/s over the minute, 5xx share, series', () => {
    const a = new RollingWindow();
    const b = new RollingWindow();
    const now = 100 * SLOT_MS + 1000;
    for (let i = 0; i < 30; i++) a.record(now, 200, 3);
    for (let i = 0; i < 30; i++) b.record(now - SLOT_MS, i < 6 ? 502 : 200, 3);
    const s = summarise([a.slots(now), b.slots(now), undefined], now);
    expect(s.requests).toBe(60);
    expect(s.rps).toBe(1);
    expect(s.errorRate).toBe(0.1);
    expect(s.p50Ms).toBeGreaterThanOrEqual(3);
    expect(s.series).toHaveLength(12);
    expect(s.series.slice(-2)).toEqual([6, 6]);
  });
});

describe('/debug/stats', () => {
  it('merges workers per route and backend, with endpoint state, active requests and the latest error', () => {
    const w1 = new TrafficStats();
    const w2 = new TrafficStats();
    const now = performance.now();
    w1.record('ns/web/0', 'ns/web:80', 200, 2, now);
    // A route runtime passes the window it keeps: the same window the id names.
    w2.record('ns/web/0', 'ns/web:80', 503, 2, now, w2.routeWindow('ns/web/0'));
    w2.record('-', '-', 404, 0.1, now);
    w1.endpointError('ns/web:80', '10.0.0.2:80', 'connect (ECONNREFUSED)');
    const published = {
      generation: 7,
      table: {
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80, virtualHosts: [{ hostname: 'web.test', routes: [{ id: 'ns/web/0' }, { id: 'ns/web/1' }] }] }],
        clusters: [{ id: 'ns/web:80', endpoints: [
          { address: '10.0.0.1', port: 80, ready: true, serving: true, terminating: false },
          { address: '10.0.0.2', port: 80, ready: true, serving: true, terminating: false },
          { address: '10.0.0.3', port: 80, ready: false, serving: true, terminating: true },
        ] }],
      },
      diagnostics: [],
      statuses: [],
    } as unknown as Published;
    const stats = debugStats({
      published,
      providerDiagnostics: [],
      socketPort: () => 8080,
      health: [{ 'ns/web:80': { '10.0.0.1:80': { ejected: false, ejectedForMs: 0, failures: 0, ejections: 0, activeRequests: 2 } } }, { 'ns/web:80': { '10.0.0.1:80': { ejected: false, ejectedForMs: 0, failures: 0, ejections: 0, activeRequests: 1 }, '10.0.0.2:80': { ejected: true, ejectedForMs: 100, failures: 3, ejections: 1 } } }],
      traffic: [w1.snapshot(), w2.snapshot()],
      now: Date.now(),
    });
    expect(stats.generation).toBe(7);
    expect(stats.workers).toBe(2);
    expect(stats.listeners).toEqual([{ name: 'http', protocol: 'HTTP', port: 80, socketPort: 8080, address: null, hosts: 1 }]);
    expect(stats.routes.map((r) => [r.id, r.requests, r.errorRate])).toEqual([['ns/web/0', 2, 0.5], ['-', 1, 0], ['ns/web/1', 0, 0]]);
    expect(stats.backends[0]).toMatchObject({ id: 'ns/web:80', requests: 2, errorRate: 0.5 });
    expect(stats.backends[0]!.endpoints).toEqual([
      { key: '10.0.0.1:80', state: 'ready', activeRequests: 3, lastError: null },
      { key: '10.0.0.2:80', state: 'ejected', activeRequests: 0, lastError: { at: expect.any(Number), error: 'connect (ECONNREFUSED)' } },
      { key: '10.0.0.3:80', state: 'serving-terminating', activeRequests: 0, lastError: null },
    ]);
  });
});
