import { describe, expect, it } from '@jest/globals';
import { ClusterRuntime } from '../../../../src/dataplane/clusters.js';
import { OutlierEndpointHealth } from '../../../../src/dataplane/health/endpoint-health.js';
import type { Cluster, HealthCheckPolicy, OutlierDetection } from '../../../../src/table/types.js';

const ID = 'ns/svc:80';
const keys = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:80`);
const [A, B, C, D] = keys(4) as [string, string, string, string];

function outlier(o: Partial<OutlierDetection> = {}, panicThreshold = 50): HealthCheckPolicy {
  return {
    panicThreshold,
    passive: { consecutive5xx: 5, consecutiveGatewayErrors: 3, intervalMs: 10_000, baseEjectionMs: 1000, maxEjectionMs: 300_000, maxEjectionPercent: 100, ...o },
  };
}

/** A health with a settable clock, its cluster (of `n` endpoints) and the ejections it reported. */
function setup(policy: HealthCheckPolicy | undefined, n = 4) {
  const clock = { now: 0, reads: 0 };
  const ejections: string[] = [];
  const health = new OutlierEndpointHealth({
    now: () => {
      clock.reads++;
      return clock.now;
    },
    onEjection: (cluster, reason) => ejections.push(`${cluster} ${reason}`),
  });
  const cluster = health.forCluster(ID);
  cluster.configure(policy);
  health.retain(new Map([[ID, new Set(keys(n))]]));
  return { clock, health, cluster, ejections };
}

/** How long the endpoint stays ejected from now (ms, to the clock's resolution). */
function ejectedFor(s: ReturnType<typeof setup>, key: string): number {
  const state = s.health.snapshot()[ID]?.[key];
  return state?.ejectedForMs ?? 0;
}

describe('endpoint health without a policy (the historical behaviour)', () => {
  it('ejects an unreachable endpoint at once for 1 s, doubling to 30 s while it keeps failing', () => {
    const s = setup(undefined);
    const lengths: number[] = [];
    for (let i = 0; i < 7; i++) {
      s.cluster.unreachable(A);
      lengths.push(ejectedFor(s, A));
      expect(s.cluster.isEjected(A)).toBe(true);
      s.clock.now += ejectedFor(s, A);
      expect(s.cluster.isEjected(A)).toBe(false);
    }
    expect(lengths).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(s.ejections).toEqual(Array(7).fill(`${ID} unreachable`));
  });

  it('clears the endpoint on any answer, even a 503 and even while it is ejected', () => {
    const s = setup(undefined);
    s.cluster.unreachable(A);
    s.clock.now = 1000;
    s.cluster.unreachable(A);
    expect(ejectedFor(s, A)).toBe(2000);
    s.cluster.responded(A, 503);
    expect(s.cluster.isEjected(A)).toBe(false);
    expect(s.health.snapshot()).toEqual({});
    // History is gone: the next failure starts at 1 s again.
    s.cluster.unreachable(A);
    expect(ejectedFor(s, A)).toBe(1000);
  });

  it('counts neither 5xx answers nor broken connections', () => {
    const s = setup(undefined);
    for (let i = 0; i < 50; i++) {
      s.cluster.responded(A, 503);
      s.cluster.responded(A, 500);
      s.cluster.broke(A);
    }
    expect(s.cluster.anyEjected()).toBe(false);
    expect(s.health.snapshot()).toEqual({});
    expect(s.ejections).toEqual([]);
  });

  it('does not extend an ejection for failures of attempts sent before it', () => {
    const s = setup(undefined);
    for (let i = 0; i < 10; i++) s.cluster.unreachable(A);
    expect(ejectedFor(s, A)).toBe(1000);
    expect(s.ejections).toHaveLength(1);
  });

  it('may eject every endpoint and never panics', () => {
    const s = setup(undefined, 3);
    for (const key of keys(3)) s.cluster.unreachable(key);
    expect(keys(3).every((k) => s.cluster.isEjected(k))).toBe(true);
    expect(s.cluster.panicking(3)).toBe(false);
  });

  it('keeps the common case cheap: nothing ejected, the clock is not even read', () => {
    const s = setup(undefined);
    for (let i = 0; i < 100; i++) {
      s.cluster.anyEjected();
      s.cluster.isEjected(A);
      s.cluster.responded(A, 200);
      s.cluster.panicking(4);
    }
    expect(s.clock.reads).toBe(0);
    s.cluster.unreachable(A);
    expect(s.cluster.anyEjected()).toBe(true);
    s.clock.now = 1000;
    expect(s.cluster.anyEjected()).toBe(false);
  });
});

describe('outlier detection (passive)', () => {
  it('ejects after consecutive5xx 5xx answers; any non-5xx answer resets the count', () => {
    const s = setup(outlier({ consecutiveGatewayErrors: undefined }));
    for (let i = 0; i < 4; i++) s.cluster.responded(A, 500);
    s.cluster.responded(A, 404);
    for (let i = 0; i < 4; i++) s.cluster.responded(A, i % 2 ? 503 : 500);
    expect(s.cluster.isEjected(A)).toBe(false);
    expect(s.health.snapshot()[ID]?.[A]).toEqual({ ejected: false, ejectedForMs: 0, failures: 4, ejections: 0 });
    s.cluster.broke(A);
    expect(s.cluster.isEjected(A)).toBe(true);
    expect(s.ejections).toEqual([`${ID} consecutive_5xx`]);
  });

  it('ejects after consecutiveGatewayErrors 502/503/504 or broken attempts; another 5xx breaks the run', () => {
    const s = setup(outlier({ consecutive5xx: undefined }));
    s.cluster.responded(A, 502);
    s.cluster.broke(A);
    s.cluster.responded(A, 500); // not a gateway error: the run starts over (and 500 is not counted at all)
    s.cluster.responded(A, 503);
    s.cluster.responded(A, 504);
    expect(s.cluster.isEjected(A)).toBe(false);
    s.cluster.broke(A);
    expect(s.cluster.isEjected(A)).toBe(true);
    expect(s.ejections).toEqual([`${ID} consecutive_gateway_errors`]);
  });

  it('still ejects an unreachable endpoint at once, for the base ejection time', () => {
    const s = setup(outlier({ baseEjectionMs: 30_000 }));
    s.cluster.unreachable(A);
    expect(ejectedFor(s, A)).toBe(30_000);
    expect(s.ejections).toEqual([`${ID} unreachable`]);
  });

  it('keeps an ejection running when late answers succeed (they were sent before it)', () => {
    const s = setup(outlier());
    s.cluster.unreachable(A);
    s.cluster.responded(A, 200);
    expect(s.cluster.isEjected(A)).toBe(true);
  });

  it('gives an endpoint whose ejection ended one trial: a failure sends it back out for twice as long', () => {
    const s = setup(outlier());
    for (let i = 0; i < 3; i++) s.cluster.responded(A, 503);
    expect(ejectedFor(s, A)).toBe(1000);
    s.clock.now = 1000;
    expect(s.cluster.isEjected(A)).toBe(false);
    // One 500 is far below consecutive5xx, but on trial the first outcome decides.
    s.cluster.responded(A, 500);
    expect(s.cluster.isEjected(A)).toBe(true);
    expect(ejectedFor(s, A)).toBe(2000);
    expect(s.ejections).toEqual([`${ID} consecutive_gateway_errors`, `${ID} consecutive_5xx`]);
  });

  it('returns an endpoint that passes its trial to normal: it takes a full run of failures again', () => {
    const s = setup(outlier());
    for (let i = 0; i < 3; i++) s.cluster.responded(A, 503);
    s.clock.now = 1000;
    s.cluster.responded(A, 200);
    s.cluster.responded(A, 503);
    s.cluster.responded(A, 503);
    expect(s.cluster.isEjected(A)).toBe(false);
    s.cluster.responded(A, 503);
    expect(s.cluster.isEjected(A)).toBe(true);
  });

  it('doubles the ejection time on each repeat and caps it at maxEjectionMs', () => {
    const s = setup(outlier({ baseEjectionMs: 1000, maxEjectionMs: 5000 }));
    const lengths: number[] = [];
    for (let i = 0; i < 6; i++) {
      s.cluster.responded(A, 503);
      if (i === 0) {
        s.cluster.responded(A, 503);
        s.cluster.responded(A, 503);
      }
      lengths.push(ejectedFor(s, A));
      s.clock.now += ejectedFor(s, A);
    }
    expect(lengths).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
    // The level stopped climbing at the cap (level 4, not 6): two intervals of good behaviour
    // bring the next ejection back below it.
    s.cluster.responded(A, 200);
    s.clock.now += 20_000;
    for (let i = 0; i < 3; i++) s.cluster.responded(A, 503);
    expect(ejectedFor(s, A)).toBe(4000);
  });

  it('decays the ejection level by one per interval of good behaviour, not while it waits for its trial', () => {
    const s = setup(outlier({ baseEjectionMs: 1000, intervalMs: 10_000 }));
    const gatewayRun = () => {
      for (let i = 0; i < 3; i++) s.cluster.responded(A, 503);
    };
    gatewayRun(); // level 1: 1 s
    s.clock.now += 1000;
    s.cluster.responded(A, 503); // trial failed: level 2
    s.clock.now += 2000;
    s.cluster.responded(A, 503); // level 3: 4 s
    expect(ejectedFor(s, A)).toBe(4000);
    // No traffic for a long time: still on trial, no decay.
    s.clock.now += 100_000;
    s.cluster.responded(A, 503);
    expect(ejectedFor(s, A)).toBe(8000); // level 4
    s.clock.now += 8000;
    s.cluster.responded(A, 200); // trial passed: decay starts now
    s.clock.now += 29_999; // two full intervals
    gatewayRun();
    expect(ejectedFor(s, A)).toBe(4000); // level 4 - 2 + 1 = 3
    s.clock.now += 4000;
    s.cluster.responded(A, 200);
    s.clock.now += 1_000_000;
    gatewayRun();
    expect(ejectedFor(s, A)).toBe(1000); // fully decayed: level 1 again
  });

  it('forgets an endpoint that behaved long enough to decay fully', () => {
    const s = setup(outlier({ intervalMs: 10_000 }));
    for (let i = 0; i < 3; i++) s.cluster.responded(A, 503);
    s.clock.now = 1000;
    s.cluster.responded(A, 200);
    expect(s.health.snapshot()[ID]?.[A]).toEqual({ ejected: false, ejectedForMs: 0, failures: 0, ejections: 1 });
    s.clock.now = 11_000;
    s.cluster.responded(A, 200);
    expect(s.health.snapshot()).toEqual({});
  });

  it('never ejects more than maxEjectionPercent of the endpoints', () => {
    const s = setup(outlier({ maxEjectionPercent: 50 }), 4);
    for (const key of [A, B, C]) s.cluster.unreachable(key);
    expect([A, B, C].map((k) => s.cluster.isEjected(k))).toEqual([true, true, false]);
    expect(s.ejections).toHaveLength(2);
    // Once one ejection ends, there is room again.
    s.clock.now = 1000;
    s.cluster.unreachable(C);
    expect(s.cluster.isEjected(C)).toBe(true);
  });

  it('always allows one ejection, however small the percentage', () => {
    const s = setup(outlier({ maxEjectionPercent: 10 }), 2);
    s.cluster.unreachable(A);
    s.cluster.unreachable(B);
    for (let i = 0; i < 5; i++) s.cluster.responded(B, 503);
    expect([s.cluster.isEjected(A), s.cluster.isEjected(B)]).toEqual([true, false]);
    const zero = setup(outlier({ maxEjectionPercent: 0 }), 3);
    zero.cluster.unreachable(A);
    zero.cluster.unreachable(B);
    expect([zero.cluster.isEjected(A), zero.cluster.isEjected(B)]).toEqual([true, false]);
  });

  it('keeps state per cluster and forgets endpoints and clusters that left the table', () => {
    const s = setup(outlier());
    s.cluster.unreachable(A);
    s.cluster.unreachable(B);
    expect(s.health.forCluster('ns/other:80').isEjected(A)).toBe(false);
    s.health.retain(new Map([[ID, new Set([B])]]));
    expect(Object.keys(s.health.snapshot()[ID] ?? {})).toEqual([B]);
    s.health.retain(new Map());
    expect(s.health.snapshot()).toEqual({});
  });

  it('keeps health across policy changes (a table swap reconfigures the same cluster)', () => {
    const s = setup(outlier());
    s.cluster.unreachable(A);
    s.health.forCluster(ID).configure(outlier({ consecutive5xx: 1 }));
    expect(s.cluster.isEjected(A)).toBe(true);
    s.cluster.responded(B, 500);
    expect(s.cluster.isEjected(B)).toBe(true);
  });
});

describe('active verdicts', () => {
  it('exclude an endpoint until a healthy verdict, with or without passive ejection', () => {
    const s = setup({ panicThreshold: 0, active: undefined });
    s.health.setActive(ID, A, false);
    expect(s.cluster.isEjected(A)).toBe(true);
    expect(s.cluster.anyEjected()).toBe(true);
    // Answers do not undo an active verdict (with the default rules they clear passive state only).
    s.cluster.responded(A, 200);
    expect(s.cluster.isEjected(A)).toBe(true);
    s.health.setActive(ID, A, true);
    expect(s.cluster.isEjected(A)).toBe(false);
    expect(s.cluster.anyEjected()).toBe(false);
  });

  it('combine with passive health: excluded while either says so', () => {
    const s = setup(outlier());
    s.cluster.unreachable(A);
    s.health.setActive(ID, A, true);
    expect(s.cluster.isEjected(A)).toBe(true);
    s.health.setActive(ID, B, false);
    s.clock.now = 1000;
    expect([s.cluster.isEjected(A), s.cluster.isEjected(B)]).toEqual([false, true]);
    expect(s.health.snapshot()[ID]).toEqual({
      [A]: { ejected: false, ejectedForMs: 0, failures: 1, ejections: 1, active: 'healthy' },
      [B]: { ejected: false, ejectedForMs: 0, failures: 0, ejections: 0, active: 'unhealthy' },
    });
  });

  it('are ignored when healthy for unknown endpoints, and dropped when the policy loses its active check', () => {
    const s = setup({ panicThreshold: 50, active: { type: 'TCP', intervalMs: 1000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1, initialJitterMs: 0 } });
    s.health.setActive(ID, A, true);
    s.health.setActive('ns/unknown:80', A, true);
    expect(s.health.snapshot()).toEqual({});
    s.health.setActive(ID, B, false);
    s.cluster.configure({ panicThreshold: 50 });
    expect(s.cluster.isEjected(B)).toBe(false);
    expect(s.health.snapshot()).toEqual({});
  });

  it('set the state reported per endpoint', () => {
    const s = setup(outlier(), 3);
    s.cluster.unreachable(A);
    s.health.setActive(ID, B, false);
    expect([...s.health.states()]).toEqual([
      { clusterId: ID, key: A, state: 'ejected' },
      { clusterId: ID, key: B, state: 'active_unhealthy' },
      { clusterId: ID, key: C, state: 'healthy' },
    ]);
  });
});

describe('panic', () => {
  it('ignores health when fewer than panicThreshold % of the endpoints are healthy', () => {
    const s = setup(outlier({}, 50), 4);
    s.cluster.unreachable(A);
    s.health.setActive(ID, B, false);
    expect(s.cluster.panicking(4)).toBe(false); // 2 of 4 healthy: not below 50 %
    s.cluster.unreachable(C);
    expect(s.cluster.panicking(4)).toBe(true);
    s.clock.now = 1000; // the passive ejections end
    expect(s.cluster.panicking(4)).toBe(false);
    s.health.setActive(ID, A, false);
    s.health.setActive(ID, C, false);
    s.health.setActive(ID, D, false);
    expect(s.cluster.panicking(4)).toBe(true);
  });

  it('is off with panicThreshold 0 and with no policy at all', () => {
    const zero = setup(outlier({}, 0), 2);
    zero.cluster.unreachable(A);
    zero.cluster.unreachable(B);
    expect(zero.cluster.panicking(2)).toBe(false);
    const none = setup(undefined, 1);
    none.health.setActive(ID, A, false);
    expect(none.cluster.panicking(1)).toBe(false);
  });
});

describe('with a cluster runtime', () => {
  it('takes an endpoint that answers 503 to everything out of rotation', () => {
    const s = setup(outlier({ maxEjectionPercent: 50 }), 3);
    const cluster: Cluster = {
      id: ID,
      service: { namespace: 'ns', name: 'svc' },
      portName: '',
      loadBalancer: { type: 'RoundRobin' },
      endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ address, port: 80, ready: true, serving: true, terminating: false })),
    };
    const rt = new ClusterRuntime(cluster, s.cluster);
    const client = { clientAddress: '192.0.2.1', hashKey: undefined };
    const reached = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const t = rt.pick(client)!;
      reached.set(t.key, (reached.get(t.key) ?? 0) + 1);
      s.cluster.responded(t.key, t.key === B ? 503 : 200);
      s.clock.now += 10;
    }
    // 3 gateway errors eject it for 1 s; each trial fails and doubles: 1 s, 2 s (the run lasts 3 s).
    expect(reached.get(B)).toBe(4);
    expect(s.health.snapshot()[ID]?.[B]?.ejections).toBe(2);
  });
});
