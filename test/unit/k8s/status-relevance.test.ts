// The status writer relies on this: a status-only change (ours, as it comes back through the
// watch with a new resourceVersion and managedFields) is not a change that matters, so it never
// triggers a rebuild, while the store still keeps the newest status for the skip-if-equal check.
import { expect, test } from '@jest/globals';
import type { Ingress } from '../../../src/api/core.js';
import { Store } from '../../../src/store/store.js';

const base = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'ns', resourceVersion: '1', generation: 1 },
  spec: { ingressClassName: 'sluice' },
} as const;

test('a status write does not matter to the store, but the new status is kept', () => {
  const store = new Store();
  const changes: string[] = [];
  store.onChange((c) => changes.push(c.type));
  expect(store.upsert(base as unknown as Ingress)).toBe(true);
  const written = {
    ...base,
    metadata: { ...base.metadata, resourceVersion: '2', managedFields: [{ manager: 'sluice', subresource: 'status' }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
  };
  expect(store.upsert(written as unknown as Ingress)).toBe(false);
  expect(changes).toEqual(['upsert']);
  expect((store.get('Ingress', 'ns', 'web') as Ingress).status).toEqual({ loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } });
  // A spec change still matters.
  expect(store.upsert({ ...written, spec: { ingressClassName: 'other' } } as unknown as Ingress)).toBe(true);
});
