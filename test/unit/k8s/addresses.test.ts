import { describe, expect, test } from '@jest/globals';
import type { Service } from '../../../src/api/core.js';
import { addressesFromList, addressesFromService, ingressStatusAddresses, sameAddresses } from '../../../src/k8s/addresses.js';

function svc(spec: Record<string, unknown>, status?: Record<string, unknown>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'ns' }, spec, ...(status ? { status } : {}) } as unknown as Service;
}

describe('--publish-address', () => {
  test('IPs become ip, names become hostname; sorted and deduplicated', () => {
    expect(addressesFromList(['lb.example.com', '192.0.2.10', '2001:db8::1', '192.0.2.10'])).toEqual([
      { ip: '192.0.2.10' },
      { ip: '2001:db8::1' },
      { hostname: 'lb.example.com' },
    ]);
    expect(addressesFromList([])).toEqual([]);
  });
});

describe('--publish-service', () => {
  test('load-balancer ingress wins', () => {
    const s = svc({ clusterIP: '10.96.0.5', externalIPs: ['192.0.2.1'] }, { loadBalancer: { ingress: [{ hostname: 'a.elb.example' }, { ip: '198.51.100.7', ports: [] }] } });
    expect(addressesFromService(s)).toEqual([{ ip: '198.51.100.7' }, { hostname: 'a.elb.example' }]);
  });
  test('else external IPs', () => {
    expect(addressesFromService(svc({ clusterIP: '10.96.0.5', externalIPs: ['192.0.2.2', '192.0.2.1'] }, { loadBalancer: {} }))).toEqual([
      { ip: '192.0.2.1' },
      { ip: '192.0.2.2' },
    ]);
  });
  test('else the cluster IP; a headless or missing Service has none', () => {
    expect(addressesFromService(svc({ clusterIP: '10.96.0.5' }))).toEqual([{ ip: '10.96.0.5' }]);
    expect(addressesFromService(svc({ clusterIP: 'None' }))).toEqual([]);
    expect(addressesFromService(undefined)).toEqual([]);
  });
});

describe('comparing with what an Ingress has', () => {
  test('order, duplicates and extra fields do not matter; content does', () => {
    const current = ingressStatusAddresses({ status: { loadBalancer: { ingress: [{ hostname: 'x' }, { ip: '1.2.3.4', ports: [{ port: 80 }] }] } } });
    expect(sameAddresses(current, [{ ip: '1.2.3.4' }, { hostname: 'x' }])).toBe(true);
    expect(sameAddresses(current, [{ ip: '1.2.3.4' }])).toBe(false);
    expect(sameAddresses([], [])).toBe(true);
  });
  test('malformed status is treated as empty, never thrown on', () => {
    for (const bad of [undefined, null, {}, { status: null }, { status: { loadBalancer: { ingress: 'x' } } }, { status: { loadBalancer: { ingress: [null, 3, {}] } } }]) {
      expect(ingressStatusAddresses(bad)).toEqual([]);
    }
  });
});
