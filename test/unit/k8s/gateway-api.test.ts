// Gateway API watches: discovery decides which kinds (and versions) are watched; kinds not served
// do not hold back the sync gate and are picked up by a later discovery pass.
import { describe, expect, test } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeRequestError } from '../../../src/k8s/api-error.js';
import { chooseVersions, resourceNames, type ServedGatewayResource } from '../../../src/k8s/discovery.js';
import { GatewayApiWatch } from '../../../src/k8s/gateway-api.js';
import { CrdWatch } from '../../../src/k8s/crd-watch.js';
import type { ResourceInformer } from '../../../src/k8s/informer.js';
import { SLUICE_API, type ResourceSpec } from '../../../src/k8s/resources.js';
import { silentLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/metrics.js';

const served = (byVersion: Record<string, string[]>) => new Map(Object.entries(byVersion).map(([v, names]) => [v, new Set(names)]));

describe('discovery', () => {
  test('each kind in its preferred served version; ReferenceGrant v1beta1, else v1', () => {
    const all = chooseVersions(served({ v1: ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants', 'backendtlspolicies'], v1beta1: ['referencegrants'] }));
    expect(all.map((r) => `${r.spec.kind}@${r.version}`)).toEqual(['GatewayClass@v1', 'Gateway@v1', 'HTTPRoute@v1', 'GRPCRoute@v1', 'ReferenceGrant@v1beta1', 'BackendTLSPolicy@v1']);
    const v1Only = chooseVersions(served({ v1: ['referencegrants'] }));
    expect(v1Only.map((r) => `${r.spec.kind}@${r.version}`)).toEqual(['ReferenceGrant@v1']);
    expect(v1Only[0]!.spec.apiVersion).toBe('gateway.networking.k8s.io/v1beta1'); // what the store keeps
    expect(chooseVersions(new Map())).toEqual([]);
  });
  test('resource names without subresources; junk tolerated', () => {
    expect([...resourceNames({ resources: [{ name: 'gateways' }, { name: 'gateways/status' }, null, { name: 3 }] })]).toEqual(['gateways']);
    expect([...resourceNames('junk')]).toEqual([]);
  });
});

interface FakeInformer {
  readonly path: string;
  readonly fieldSelector: string | undefined;
  started: boolean;
  synced: Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

function harness(answers: (() => ServedGatewayResource[])[], watchNamespace?: string) {
  const made: FakeInformer[] = [];
  let calls = 0;
  const watch = new GatewayApiWatch({
    kc: {} as KubeConfig,
    watchNamespace,
    log: silentLogger,
    metrics: new Metrics(),
    recheckMs: 10,
    discover: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      return answer();
    },
    makeInformer: (_spec: ResourceSpec, path: string, fieldSelector: string | undefined) => {
      const fake: FakeInformer = { path, fieldSelector, started: false, synced: Promise.resolve(), start: () => void (fake.started = true), stop: async () => undefined };
      made.push(fake);
      return fake as unknown as ResourceInformer;
    },
  });
  return { watch, made, calls: () => calls };
}

const everything = () => chooseVersions(served({ v1: ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants', 'backendtlspolicies'], v1beta1: ['referencegrants'] }));

describe('GatewayApiWatch', () => {
  test('served at start: every kind and Namespaces watched, no recheck', async () => {
    const h = harness([everything], 'team-a');
    await h.watch.start();
    expect(h.made.map((i) => i.path)).toEqual([
      '/apis/gateway.networking.k8s.io/v1/gatewayclasses',
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-a/gateways',
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-a/httproutes',
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-a/grpcroutes',
      '/apis/gateway.networking.k8s.io/v1beta1/namespaces/team-a/referencegrants',
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-a/backendtlspolicies',
      '/api/v1/namespaces',
      '/api/v1/namespaces/team-a/configmaps',
    ]);
    expect(h.made.at(-2)!.fieldSelector).toBe('metadata.name=team-a');
    expect(h.made.at(-1)!.fieldSelector).toBeUndefined();
    expect(h.made.every((i) => i.started)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.calls()).toBe(1);
    await h.watch.stop();
  });

  test('not served at start: start() resolves at once; installed later: picked up', async () => {
    const h = harness([() => [], () => [], everything]);
    await h.watch.start();
    expect(h.made).toEqual([]);
    for (let i = 0; i < 50 && h.made.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.made.length).toBe(8);
    expect(h.made.at(-2)!.fieldSelector).toBeUndefined();
    await h.watch.stop();
  });

  test('discovery failing: reported as a problem, no crash, retried', async () => {
    const h = harness([() => { throw new KubeRequestError('get', '/apis/gateway.networking.k8s.io/v1', 503, 'unavailable'); }, everything]);
    await h.watch.start();
    expect(h.watch.problem()?.code).toBe('SLUICE_K8S_REQUEST_FAILED');
    await h.watch.stop();
  });
});

describe('CrdWatch for the Sluice API group', () => {
  test('BackendTrafficPolicy watched once served, in the namespace watched, without Namespaces', async () => {
    const made: string[] = [];
    let calls = 0;
    const watch = new CrdWatch(SLUICE_API, {
      kc: {} as KubeConfig,
      watchNamespace: 'team-a',
      log: silentLogger,
      metrics: new Metrics(),
      recheckMs: 10,
      discover: async () => (calls++ === 0 ? [] : chooseVersions(served({ v1alpha1: ['backendtrafficpolicies'] }), SLUICE_API.resources)),
      makeInformer: (_spec: ResourceSpec, path: string) => {
        made.push(path);
        return { synced: Promise.resolve(), start: () => undefined, stop: async () => undefined } as unknown as ResourceInformer;
      },
    });
    await watch.start();
    expect(made).toEqual([]);
    for (let i = 0; i < 50 && made.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(made).toEqual(['/apis/sluice.dev/v1alpha1/namespaces/team-a/backendtrafficpolicies']);
    expect(watch.description).toBe('Sluice API discovery');
    await watch.stop();
  });

  test('RoutePolicy installed after BackendTrafficPolicy: watched as well, without restarting the first watch', async () => {
    const made: string[] = [];
    let calls = 0;
    const watch = new CrdWatch(SLUICE_API, {
      kc: {} as KubeConfig,
      watchNamespace: undefined,
      log: silentLogger,
      metrics: new Metrics(),
      recheckMs: 10,
      discover: async () => chooseVersions(served({ v1alpha1: calls++ === 0 ? ['backendtrafficpolicies'] : ['backendtrafficpolicies', 'routepolicies'] }), SLUICE_API.resources),
      makeInformer: (_spec: ResourceSpec, path: string) => {
        made.push(path);
        return { synced: Promise.resolve(), start: () => undefined, stop: async () => undefined } as unknown as ResourceInformer;
      },
    });
    await watch.start();
    expect(made).toEqual(['/apis/sluice.dev/v1alpha1/backendtrafficpolicies']);
    for (let i = 0; i < 50 && made.length === 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(made).toEqual(['/apis/sluice.dev/v1alpha1/backendtrafficpolicies', '/apis/sluice.dev/v1alpha1/routepolicies']);
    expect(watch.informers().length).toBe(2);
    await watch.stop();
  });

  test('discovery asks only the group\'s own versions', () => {
    expect(chooseVersions(served({ v1alpha1: ['backendtrafficpolicies'], v1: ['gateways'] }), SLUICE_API.resources).map((r) => `${r.spec.kind}@${r.version}`)).toEqual([
      'BackendTrafficPolicy@v1alpha1',
    ]);
    expect(chooseVersions(served({ v1alpha1: ['backendtrafficpolicies'] }))).toEqual([]); // the Gateway API group's resources by default
  });
});
