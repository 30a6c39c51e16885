import { describe, expect, it } from '@jest/globals';
import type { Cluster, Listener, Route, RoutingTable } from '../../../src/table/types.js';
import { splitTable, TableAssembler, type TableTransfer } from '../../../src/workers/table-transfer.js';

const route = (i: number): Route => ({
  id: `r${i}`,
  source: { kind: 'Ingress', namespace: 'ns', name: `ing${i}` },
  match: { path: { type: 'Prefix', value: `/p${i}` } },
  action: { type: 'forward', backends: [{ cluster: `c${i % 7}`, weight: 1 }] },
});

const cluster = (i: number): Cluster => ({
  id: `c${i}`,
  service: { namespace: 'ns', name: `s${i}` },
  portName: 'http',
  loadBalancer: { type: 'RoundRobin' },
  endpoints: Array.from({ length: 50 }, (_, e) => ({ address: `10.0.${i}.${e}`, port: 8080, ready: true, serving: true, terminating: false })),
});

function bigTable(): RoutingTable {
  const http: Listener = {
    name: 'http',
    protocol: 'HTTP',
    port: 80,
    virtualHosts: Array.from({ length: 3000 }, (_, i) => ({ hostname: `h${i}.example.com`, routes: [route(i)] })),
    fallback: route(-1),
  };
  const https: Listener = {
    name: 'https',
    protocol: 'HTTPS',
    port: 443,
    address: '10.1.1.1',
    virtualHosts: [{ hostname: '*.example.com', wildcardLabels: 'one', routes: [route(1), route(2)] }],
    tls: {
      certificates: Array.from({ length: 40 }, (_, i) => ({ secret: { kind: 'Secret', namespace: 'ns', name: `t${i}` }, hostnames: [`h${i}.example.com`], certPem: 'C'.repeat(3000), keyPem: 'K'.repeat(2000) })),
      // Every TLS setting besides the certificates rides along with the listener.
      defaultCertificate: { secret: { kind: 'Secret', namespace: 'infra', name: 'fallback' }, hostnames: [], certPem: 'D', keyPem: 'E' },
    },
  };
  const noTls: Listener = { name: 'empty', protocol: 'HTTP', port: 8081, virtualHosts: [] };
  return { routesVersion: 12, listeners: [http, https, noTls], clusters: Array.from({ length: 200 }, (_, i) => cluster(i)) };
}

/** Sends every piece and the end through JSON, as the IPC channel does, and assembles them. */
function receive(transfer: TableTransfer, current?: RoutingTable): RoutingTable {
  const assembler = new TableAssembler();
  for (const piece of transfer.pieces) assembler.add(JSON.parse(JSON.stringify(piece)));
  return assembler.finish(JSON.parse(JSON.stringify({ keepRoutes: transfer.keepRoutes, routesVersion: transfer.routesVersion })), current);
}

describe('table transfer', () => {
  it('rebuilds the table exactly from pieces of bounded size', () => {
    const table = bigTable();
    const transfer = splitTable(table, false);
    expect(receive(transfer)).toEqual(table);
    const sizes = transfer.pieces.map((p) => JSON.stringify(p).length);
    expect(transfer.pieces.length).toBeGreaterThan(20);
    expect(Math.max(...sizes)).toBeLessThan(128 * 1024);
  });

  it('sends only the clusters for the same routes, and the receiver keeps its listeners', () => {
    const table = bigTable();
    const held = receive(splitTable(table, false));
    const update: RoutingTable = { ...table, clusters: table.clusters.slice(1) };
    const transfer = splitTable(update, true);
    expect(transfer.pieces.every((p) => p.kind === 'clusters')).toBe(true);
    const result = receive(transfer, held);
    expect(result.listeners).toBe(held.listeners);
    expect(result).toEqual(update);
  });

  it('refuses to keep listeners of another routes version', () => {
    const table = bigTable();
    const held = receive(splitTable({ ...table, routesVersion: 11 }, false));
    expect(() => receive(splitTable(table, true), held)).toThrow(/routes version 12/);
    expect(() => receive(splitTable(table, true), undefined)).toThrow(/routes version 12/);
  });

  it('carries an empty table', () => {
    expect(receive(splitTable({ listeners: [], clusters: [] }, false))).toEqual({ listeners: [], clusters: [] });
  });
});
