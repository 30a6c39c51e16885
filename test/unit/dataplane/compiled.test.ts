import { describe, expect, it } from '@jest/globals';
import { CompiledTable, listenerKey } from '../../../src/dataplane/compiled.js';
import type { RequestFacts } from '../../../src/dataplane/router.js';
import type { Cluster, RoutingTable } from '../../../src/table/types.js';

const cluster = (id: string, address: string): Cluster => ({
  id,
  service: { namespace: 'ns', name: id },
  portName: 'http',
  loadBalancer: { type: 'RoundRobin' },
  endpoints: [{ address, port: 80, ready: true, serving: true, terminating: false }],
});

const table = (routesVersion: number, endpointOfA = '10.0.0.1'): RoutingTable => ({
  routesVersion,
  listeners: [
    {
      name: 'http',
      protocol: 'HTTP',
      port: 80,
      virtualHosts: [
        {
          hostname: 'app.example.com',
          routes: [
            {
              id: 'split',
              source: { kind: 'HTTPRoute', namespace: 'ns', name: 'split' },
              match: { path: { type: 'Prefix', value: '/' } },
              action: { type: 'forward', backends: [{ cluster: 'a', weight: 1 }, { cluster: 'b', weight: 1 }] },
            },
          ],
        },
      ],
    },
  ],
  clusters: [cluster('a', endpointOfA), cluster('b', '10.0.0.2')],
});

const request: RequestFacts = { method: 'GET', path: '/', query: '', headers: {} };
const key = listenerKey(undefined, 80);

function pick(compiled: CompiledTable): string | undefined {
  const route = compiled.router(key)!.match('app.example.com', request)!;
  return compiled.runtime(route).pickBackend()?.backend.cluster;
}

/** What a table looks like after crossing to a worker process: equal data, new objects. */
const overIpc = (t: RoutingTable): RoutingTable => JSON.parse(JSON.stringify(t)) as RoutingTable;

describe('CompiledTable', () => {
  it('keeps routers and the weighted round-robin position for a copy with the same routes version', () => {
    const first = new CompiledTable(overIpc(table(7)), 1);
    expect([pick(first), pick(first), pick(first)]).toEqual(['a', 'b', 'a']);
    // An endpoint-only update: same routes version, other endpoints, every object new.
    const next = new CompiledTable(overIpc(table(7, '10.0.0.9')), 2, first);
    expect(next.router(key)).toBe(first.router(key));
    expect(next.table.clusters[0]!.endpoints[0]!.address).toBe('10.0.0.9');
    expect([pick(next), pick(next)]).toEqual(['b', 'a']);
  });

  it('compiles the routes again when the routes version changes', () => {
    const first = new CompiledTable(overIpc(table(7)), 1);
    expect(pick(first)).toBe('a');
    const next = new CompiledTable(overIpc(table(8)), 2, first);
    expect(next.router(key)).not.toBe(first.router(key));
    expect(pick(next)).toBe('a');
  });

  it('never shares routes between tables without a version, unless they share the listeners', () => {
    const { routesVersion: _unused, ...plain } = table(1);
    const first = new CompiledTable(plain, 1);
    expect(new CompiledTable(overIpc(plain), 2, first).router(key)).not.toBe(first.router(key));
    expect(new CompiledTable({ ...plain, clusters: [] }, 3, first).router(key)).toBe(first.router(key));
  });

  it('keeps a route’s cache across tables while its cache and coalescing policy stay the same', () => {
    const withEdge = (version: number, maxSizeBytes: number, id = 'split'): RoutingTable => {
      const t = table(version);
      const r = t.listeners[0]!.virtualHosts[0]!.routes[0]!;
      const route = { ...r, id, edge: { sources: [], cache: { maxSizeBytes, maxObjectSizeBytes: 1024, defaultTtlMs: 0 }, coalescing: { maxWaiters: 10, timeoutMs: 1000 } } };
      return { ...t, listeners: [{ ...t.listeners[0]!, virtualHosts: [{ ...t.listeners[0]!.virtualHosts[0]!, routes: [route] }] }] };
    };
    const sharing = (c: CompiledTable) => c.runtime(c.router(key)!.match('app.example.com', request)!).sharing;
    const first = new CompiledTable(overIpc(withEdge(1, 4096)), 1);
    const cache = sharing(first);
    expect(cache?.cache?.store.maxBytes).toBe(4096);
    const same = new CompiledTable(overIpc(withEdge(2, 4096)), 2, first);
    expect(sharing(same)).toBe(cache);
    const resized = new CompiledTable(overIpc(withEdge(3, 8192)), 3, same);
    expect(sharing(resized)).not.toBe(cache);
    expect(sharing(resized)?.cache?.store.maxBytes).toBe(8192);
    // A route id the next table lacks is let go, and does not come back later.
    const renamed = new CompiledTable(overIpc(withEdge(4, 8192, 'other')), 4, resized);
    const back = new CompiledTable(overIpc(withEdge(5, 8192)), 5, renamed);
    expect(sharing(back)).not.toBe(sharing(resized));
    expect(sharing(new CompiledTable(overIpc(table(6)), 6, back))).toBeUndefined();
  });
});
