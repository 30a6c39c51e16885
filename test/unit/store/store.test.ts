import { describe, expect, it, jest } from '@jest/globals';
import { Store, type StoreChange } from '../../../src/store/store.js';
import { Debouncer } from '../../../src/store/debounce.js';
import type { Service } from '../../../src/api/core.js';

const svc = (name: string, extra: Partial<Service> = {}, meta: Record<string, unknown> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'ns', resourceVersion: '1', ...meta },
  spec: { ports: [{ port: 80 }] },
  ...extra,
});

describe('Store', () => {
  it('reports only changes that matter: not status, resourceVersion, managedFields or generation', () => {
    const store = new Store();
    const changes: StoreChange[] = [];
    store.onChange((c) => changes.push(c));
    expect(store.upsert(svc('a'))).toBe(true);
    expect(store.upsert(svc('a', {}, { resourceVersion: '2', generation: 7, managedFields: [{ manager: 'x' }] }))).toBe(false);
    expect(store.upsert(svc('a', { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }, { resourceVersion: '3' }))).toBe(false);
    expect(store.upsert(svc('a', { spec: { ports: [{ port: 81 }] } }))).toBe(true);
    expect(store.upsert(svc('a', {}, { labels: { team: 'x' } }))).toBe(true);
    expect(changes.map((c) => c.type)).toEqual(['upsert', 'upsert', 'upsert']);
  });

  it('keeps the newest object even when the change does not matter', () => {
    const store = new Store();
    store.upsert(svc('a'));
    store.upsert(svc('a', {}, { resourceVersion: '9' }));
    expect(store.get('Service', 'ns', 'a')?.metadata.resourceVersion).toBe('9');
  });

  it('ignores kinds and apiVersions it does not watch', () => {
    const store = new Store();
    expect(store.upsert({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'ns' } })).toBe(false);
    expect(store.upsert({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'x', namespace: 'ns' } })).toBe(false);
  });

  it('gives a frozen, sorted snapshot that is reused until the next change', () => {
    const store = new Store();
    store.upsert(svc('b'));
    store.upsert(svc('a'));
    const s1 = store.snapshot();
    expect(s1.Service.map((s) => s.metadata.name)).toEqual(['a', 'b']);
    expect(Object.isFrozen(s1.Service[0])).toBe(true);
    expect(store.snapshot()).toBe(s1);
    expect(store.remove('Service', 'ns', 'a')).toBe(true);
    expect(store.remove('Service', 'ns', 'a')).toBe(false);
    expect(store.snapshot().Service.map((s) => s.metadata.name)).toEqual(['b']);
  });
});

describe('Debouncer', () => {
  it('waits for a quiet period but never longer than the ceiling', () => {
    jest.useFakeTimers();
    try {
      const run = jest.fn();
      const d = new Debouncer(50, 200, run);
      d.trigger();
      jest.advanceTimersByTime(40);
      d.trigger();
      jest.advanceTimersByTime(40);
      expect(run).not.toHaveBeenCalled();
      jest.advanceTimersByTime(20);
      expect(run).toHaveBeenCalledTimes(1);
      // A steady stream every 30 ms: the ceiling fires at 200 ms.
      for (let t = 0; t < 190; t += 30) {
        d.trigger();
        jest.advanceTimersByTime(30);
      }
      expect(run).toHaveBeenCalledTimes(2);
      d.stop();
      d.trigger();
      jest.advanceTimersByTime(500);
      expect(run).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
