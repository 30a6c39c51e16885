import { describe, expect, it } from '@jest/globals';
import { SmoothWeightedRoundRobin } from '../../../src/dataplane/balancer/round-robin.js';
import { eligibleEndpoints, ClusterRuntime, reconcileClusters } from '../../../src/dataplane/clusters.js';
import { OutlierEndpointHealth } from '../../../src/dataplane/health/endpoint-health.js';
import type { Cluster, EndpointAddress } from '../../../src/table/types.js';

function counts<T>(picker: { pick(): T | undefined }, n: number): Map<T | undefined, number> {
  const out = new Map<T | undefined, number>();
  for (let i = 0; i < n; i++) {
    const p = picker.pick();
    out.set(p, (out.get(p) ?? 0) + 1);
  }
  return out;
}

describe('SmoothWeightedRoundRobin', () => {
  it('rotates evenly with equal weights', () => {
    const rr = new SmoothWeightedRoundRobin(['a', 'b', 'c']);
    expect([rr.pick(), rr.pick(), rr.pick(), rr.pick()]).toEqual(['a', 'b', 'c', 'a']);
  });

  it('honours weights exactly over a window and spreads picks out', () => {
    const rr = new SmoothWeightedRoundRobin(['a', 'b', 'c'], [5, 1, 1]);
    const seq = Array.from({ length: 7 }, () => rr.pick());
    expect(seq.filter((x) => x === 'a')).toHaveLength(5);
    expect(seq).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    expect(counts(rr, 700)).toEqual(new Map([['a', 500], ['b', 100], ['c', 100]]));
  });

  it('never picks a zero weight, and picks nothing when all are zero', () => {
    const rr = new SmoothWeightedRoundRobin(['a', 'b'], [0, 3]);
    expect(counts(rr, 30)).toEqual(new Map([['b', 30]]));
    expect(new SmoothWeightedRoundRobin(['a'], [0]).pick()).toBeUndefined();
    expect(new SmoothWeightedRoundRobin([]).pick()).toBeUndefined();
  });
});

const ep = (address: string, state: Partial<EndpointAddress> = {}): EndpointAddress => ({
  address,
  port: 80,
  ready: true,
  serving: true,
  terminating: false,
  ...state,
});

function cluster(endpoints: EndpointAddress[]): Cluster {
  return { id: 'ns/svc:80', service: { namespace: 'ns', name: 'svc' }, portName: '', loadBalancer: { type: 'RoundRobin' }, endpoints };
}

const client = { clientAddress: '192.0.2.1', hashKey: undefined };
const runtime = (endpoints: EndpointAddress[]) => new ClusterRuntime(cluster(endpoints), new OutlierEndpointHealth().forCluster('ns/svc:80'));

describe('endpoint eligibility', () => {
  it('uses only ready endpoints when there are any', () => {
    const eps = [ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: false }), ep('10.0.0.3', { ready: false, serving: true, terminating: true })];
    expect(eligibleEndpoints(eps).map((e) => e.address)).toEqual(['10.0.0.1']);
  });

  it('falls back to serving terminating endpoints when none is ready', () => {
    const eps = [ep('10.0.0.2', { ready: false, serving: false }), ep('10.0.0.3', { ready: false, serving: true, terminating: true })];
    expect(eligibleEndpoints(eps).map((e) => e.address)).toEqual(['10.0.0.3']);
  });

  it('has none when nothing is ready or serving', () => {
    expect(eligibleEndpoints([ep('10.0.0.2', { ready: false, serving: false, terminating: true })])).toEqual([]);
    expect(new ClusterRuntime(cluster([]), new OutlierEndpointHealth().forCluster('ns/svc:80')).pick(client)).toBeUndefined();
  });

  it('spreads picks over ready endpoints and avoids a failed one on retry', () => {
    const rt = runtime([ep('10.0.0.1'), ep('10.0.0.2')]);
    expect(counts({ pick: () => rt.pick(client) }, 10)).toEqual(new Map([[rt.targets[0], 5], [rt.targets[1], 5]]));
    const first = rt.pick(client)!;
    expect(rt.pick(client, new Set([first.key]))).not.toBe(first);
    expect(rt.pick(client, new Set(rt.targets.map((t) => t.key)))).toBeUndefined();
  });

  it('skips ejected endpoints while another is healthy, and uses one when all are ejected', () => {
    let now = 0;
    const health = new OutlierEndpointHealth({ now: () => now }).forCluster('ns/svc:80');
    const rt = new ClusterRuntime(cluster([ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')]), health);
    health.unreachable('10.0.0.2:80');
    expect(new Set(Array.from({ length: 9 }, () => rt.pick(client)!.key))).toEqual(new Set(['10.0.0.1:80', '10.0.0.3:80']));
    // On a retry, the tried endpoint and the ejected one are both skipped.
    expect(rt.pick(client, new Set(['10.0.0.1:80']))!.key).toBe('10.0.0.3:80');
    health.unreachable('10.0.0.1:80');
    health.unreachable('10.0.0.3:80');
    expect(rt.pick(client)).toBeDefined();
    // Ejection lasts 1 s, then 2 s after a second failure; a success clears it.
    now = 1500;
    expect(health.isEjected('10.0.0.2:80')).toBe(false);
    health.unreachable('10.0.0.2:80');
    now = 3000;
    expect(health.isEjected('10.0.0.2:80')).toBe(true);
    health.responded('10.0.0.2:80', 200);
    expect(health.isEjected('10.0.0.2:80')).toBe(false);
  });

  it('keeps health per cluster: an endpoint ejected for one Service is not ejected for another', () => {
    const health = new OutlierEndpointHealth({ now: () => 0 });
    health.forCluster('ns/a:80').unreachable('10.0.0.1:80');
    expect(health.forCluster('ns/a:80').isEjected('10.0.0.1:80')).toBe(true);
    expect(health.forCluster('ns/b:80').isEjected('10.0.0.1:80')).toBe(false);
    expect(health.snapshot()).toEqual({ 'ns/a:80': { '10.0.0.1:80': { ejected: true, ejectedForMs: 1000, failures: 1, ejections: 1 } } });
    health.retain(new Map([['ns/a:80', new Set(['10.0.0.9:80'])]]));
    expect(health.snapshot()).toEqual({});
  });

  it('keeps balancer state across swaps only while the endpoint set is unchanged', () => {
    const health = new OutlierEndpointHealth();
    const before = reconcileClusters(new Map(), [cluster([ep('10.0.0.1'), ep('10.0.0.2')])], health);
    const same = reconcileClusters(before, [cluster([ep('10.0.0.1'), ep('10.0.0.2')])], health);
    expect(same.get('ns/svc:80')).toBe(before.get('ns/svc:80'));
    const changed = reconcileClusters(before, [cluster([ep('10.0.0.1')])], health);
    expect(changed.get('ns/svc:80')).not.toBe(before.get('ns/svc:80'));
  });
});
