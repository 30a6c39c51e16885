// SNI routing of a TLS passthrough listener: exact names first, then the longest wildcard
// suffix (one or more labels, never the bare domain), then "*".
import { describe, expect, it } from '@jest/globals';
import { L4Table } from '../../../../src/dataplane/l4/l4-table.js';
import type { L4Route, RoutingTable } from '../../../../src/table/types.js';

function route(id: string, hostnames: string[], backends = [{ cluster: `c/${id}:1`, weight: 1 }]): L4Route {
  return { id, source: { kind: 'TLSRoute', namespace: 'ns', name: id }, hostnames, backends };
}

function table(routes: L4Route[], protocol: 'TLSPassthrough' | 'TCP' = 'TLSPassthrough', routesVersion?: number): RoutingTable {
  return { listeners: [], l4Listeners: [{ name: 'l', protocol, port: 8443, routes }], clusters: [], ...(routesVersion !== undefined ? { routesVersion } : {}) };
}

describe('L4Table', () => {
  const t = new L4Table(
    table([route('exact', ['a.example.com']), route('wild', ['*.example.com']), route('deeper', ['*.b.example.com']), route('any', ['*'])]),
    undefined,
  );
  const sni = t.listeners.get('|8443')!.sni!;
  const match = (name: string) => sni.match(name)?.route.id;

  it('prefers an exact name, then the longest wildcard, then "*"', () => {
    expect(match('a.example.com')).toBe('exact');
    expect(match('x.example.com')).toBe('wild');
    expect(match('x.y.example.com')).toBe('wild');
    expect(match('x.b.example.com')).toBe('deeper');
    expect(match('b.example.com')).toBe('wild');
    expect(match('example.com')).toBe('any');
    expect(match('other.test')).toBe('any');
  });

  it('matches nothing without a "*" route', () => {
    const only = new L4Table(table([route('wild', ['*.example.com'])]), undefined).listeners.get('|8443')!.sni!;
    expect(only.match('example.com')).toBeUndefined();
    expect(only.match('a.example.org')).toBeUndefined();
  });

  it('picks backends by weight, never one weighted 0', () => {
    const r = route('w', ['*'], [{ cluster: 'a', weight: 3 }, { cluster: 'b', weight: 1 }, { cluster: 'z', weight: 0 }]);
    const rt = new L4Table(table([r]), undefined).listeners.get('|8443')!.sni!.match('x')!;
    const picks = Array.from({ length: 8 }, () => rt.pickBackend()!.cluster);
    expect(picks.filter((c) => c === 'a')).toHaveLength(6);
    expect(picks.filter((c) => c === 'b')).toHaveLength(2);
    const none = new L4Table(table([route('n', ['*'], [{ cluster: 'z', weight: 0 }])]), undefined).listeners.get('|8443')!.sni!.match('x')!;
    expect(none.pickBackend()).toBeUndefined();
  });

  it('keeps its compilation for a table of the same routes version', () => {
    const first = new L4Table(table([route('tcp', [])], 'TCP', 7), undefined);
    expect(first.listeners.get('|8443')!.route!.route.id).toBe('tcp');
    expect(new L4Table(table([route('tcp', [])], 'TCP', 7), first).listeners).toBe(first.listeners);
    expect(new L4Table(table([route('tcp', [])], 'TCP', 8), first).listeners).not.toBe(first.listeners);
  });

  it('compiles the Ingress passthrough hosts of an HTTPS listener, "*." for one label only', () => {
    const ingress: L4Route = { ...route('ing', ['*.apps.example.com']), wildcardLabels: 'one' };
    const t = new L4Table({ listeners: [{ name: 'https', protocol: 'HTTPS', port: 443, virtualHosts: [], tls: { certificates: [] }, passthrough: [ingress, route('vault', ['vault.example.com'])] }], clusters: [] }, undefined);
    const p = t.passthroughs.get('|443')!;
    expect(p.name).toBe('https');
    expect(p.sni.match('vault.example.com')?.route.id).toBe('vault');
    expect(p.sni.match('a.apps.example.com')?.route.id).toBe('ing');
    expect(p.sni.match('a.b.apps.example.com')).toBeUndefined();
    expect(p.sni.match('apps.example.com')).toBeUndefined();
    expect(t.listeners.size).toBe(0);
  });
});
