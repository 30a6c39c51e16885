import { describe, expect, test } from '@jest/globals';
import { WATCHED_KINDS } from '../../../src/api/kinds.js';
import { toKubeObject } from '../../../src/k8s/convert.js';
import { defaultIdentity, leaseNamespace } from '../../../src/k8s/identity.js';
import { collectionPath, HTPASSWD_SECRET_SELECTOR, RESOURCES, resourcePath, TLS_SECRET_SELECTOR } from '../../../src/k8s/resources.js';
import { HTPASSWD_SECRET_TYPE } from '../../../src/translate/route-policy/defaults.js';

describe('watched resources', () => {
  test('every Ingress-side kind the store keeps is watched, at its apiVersion', () => {
    const ingressKinds = ['IngressClass', 'Ingress', 'Service', 'EndpointSlice', 'Secret'] as const;
    expect([...new Set(RESOURCES.map((r) => r.kind))].sort()).toEqual([...ingressKinds].sort());
    for (const r of RESOURCES) expect(r.apiVersion).toBe(WATCHED_KINDS[r.kind]);
  });
  test('only TLS and htpasswd secrets, each by its type', () => {
    expect(RESOURCES.filter((r) => r.kind === 'Secret').map((r) => r.fieldSelector)).toEqual([TLS_SECRET_SELECTOR, HTPASSWD_SECRET_SELECTOR]);
    expect(TLS_SECRET_SELECTOR).toBe('type=kubernetes.io/tls');
    expect(HTPASSWD_SECRET_SELECTOR).toBe(`type=${HTPASSWD_SECRET_TYPE}`);
    expect(RESOURCES.filter((r) => r.kind !== 'Secret').every((r) => r.fieldSelector === undefined)).toBe(true);
  });
  test('paths, cluster-wide and with --watch-namespace (IngressClass stays cluster-scoped)', () => {
    const byKind = (k: string) => RESOURCES.find((r) => r.kind === k)!;
    expect(resourcePath(byKind('Service'), undefined)).toBe('/api/v1/services');
    expect(resourcePath(byKind('Service'), 'team-a')).toBe('/api/v1/namespaces/team-a/services');
    expect(resourcePath(byKind('EndpointSlice'), 'team-a')).toBe('/apis/discovery.k8s.io/v1/namespaces/team-a/endpointslices');
    expect(resourcePath(byKind('Ingress'), undefined)).toBe('/apis/networking.k8s.io/v1/ingresses');
    expect(resourcePath(byKind('IngressClass'), 'team-a')).toBe('/apis/networking.k8s.io/v1/ingressclasses');
    expect(collectionPath('v1', 'services', 'a b')).toBe('/api/v1/namespaces/a%20b/services');
  });
});

describe('toKubeObject', () => {
  test('stamps apiVersion and kind (list items lack them) and copies', () => {
    const raw = { metadata: { name: 'web', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {} };
    const obj = toKubeObject(raw, 'networking.k8s.io/v1', 'Ingress');
    expect(obj).toEqual({ ...raw, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
    expect(obj).not.toBe(raw);
  });
  test('drops what is not an object with a name', () => {
    for (const bad of [null, 'x', 3, {}, { metadata: null }, { metadata: { name: '' } }, { metadata: { name: 7 } }]) {
      expect(toKubeObject(bad, 'v1', 'Service')).toBeUndefined();
    }
  });
});

describe('identity and lease namespace', () => {
  test('POD_NAME, else hostname_pid', () => {
    expect(defaultIdentity({ POD_NAME: 'sluice-7d9f' })).toBe('sluice-7d9f');
    expect(defaultIdentity({})).toMatch(new RegExp(`_${process.pid}$`));
  });
  test('--lease-namespace, else POD_NAMESPACE, else default', () => {
    expect(leaseNamespace('ops', { POD_NAMESPACE: 'x' })).toBe('ops');
    expect(leaseNamespace(undefined, { POD_NAMESPACE: 'x' })).toBe('x');
    expect(leaseNamespace(undefined, {})).toBe('default');
  });
});
