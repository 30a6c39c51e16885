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
});
