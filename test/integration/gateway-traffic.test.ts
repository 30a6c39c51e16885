// Gateway API in a cluster: GatewayClass accepted (status and supportedFeatures written),
// Gateway + HTTPRoute + Service + EndpointSlice → traffic through Sluice (listener port 80 on
// --http-port), Gateway listener attachedRoutes, HTTPRoute status.parents (our entry with
// observedGeneration, another controller's entry kept), cross-namespace backendRefs only with a
// ReferenceGrant, and our own status writes never rebuilding the table.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { Backend, startBackends } from './support/backends.js';
import {
  conditionOf,
  deleteAllGateways,
  gateway,
  gatewayClass,
  GATEWAY_CONTROLLER,
  gwPaths,
  httpRoute,
  installGatewayCrds,
  objectBecomes,
  referenceGrant,
  type ConditionJson,
} from './support/gateway.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { Sluice } from './support/sluice.js';
import { closeTraffic, get } from './support/traffic.js';
import { eventually, sleep } from '../support/wait.js';

const PORT = 8080;
let c: Cluster;
let ns: string;
let other: string;
let sluice: Sluice;
const backends: Backend[] = [];
const className = () => `sluice-${ns}`;

async function fullSwaps(): Promise<number> {
  const line = (await sluice.admin('/metrics')).body.split('\n').find((l) => l.startsWith('sluice_table_swaps_total{path="full"}'));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function createBackendService(namespace: string, name: string, address: string): Promise<void> {
  await must(c, 'POST', paths.services(namespace), service(namespace, name));
  await must(c, 'POST', paths.slices(namespace), endpointSlice(namespace, `${name}-1`, name, PORT, [{ address }]));
}

beforeAll(async () => {
  c = attach();
  await installGatewayCrds(c);
  await deleteAllGateways(c);
  ns = await createNamespace(c, 'gw-traffic');
  other = await createNamespace(c, 'gw-backends');
  const id = await installRbac(c, ns);
  backends.push(...(await startBackends(['10.77.60.1', '10.77.60.2'], PORT)));
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(className()));
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`other-${ns}`, 'example.com/other-controller'));
  await must(c, 'POST', gwPaths.gateways(ns), gateway(ns, 'gw', className()));
  await createBackendService(ns, 'web', '10.77.60.1');
  await createBackendService(other, 'remote', '10.77.60.2');
  await must(c, 'POST', gwPaths.routes(ns), httpRoute(ns, 'web', { gateway: { namespace: ns, name: 'gw' }, host: 'web.gw.test', backends: [{ name: 'web' }] }));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-gateway' });
  await sluice.ready();
}, 90_000);

afterAll(async () => {
  await sluice?.stop();
  await deleteAllGateways(c);
  await Promise.all(backends.map((b) => b.close()));
  await closeTraffic();
});

test('GatewayClass of ours: Accepted, with supportedFeatures; another controller\'s class untouched', async () => {
  const gc = await objectBecomes(c, gwPaths.gatewayClass(className()), 'our GatewayClass to be accepted', (o) => conditionOf(o.status?.conditions, 'Accepted')?.status === 'True' && o);
  const accepted = conditionOf(gc.status.conditions, 'Accepted')!;
  expect(accepted).toMatchObject({ reason: 'Accepted', observedGeneration: gc.metadata.generation });
  expect(accepted.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(accepted.lastTransitionTime).not.toBe('1970-01-01T00:00:00Z');
  const features = (gc.status.supportedFeatures as { name: string }[]).map((f) => f.name);
  expect(features).toEqual(expect.arrayContaining(['Gateway', 'HTTPRoute', 'ReferenceGrant']));
  const theirs = await must(c, 'GET', gwPaths.gatewayClass(`other-${ns}`));
  expect(conditionOf(theirs.body.status?.conditions, 'Accepted')?.reason).toBe('Pending'); // the CRD's default, untouched
});

test('traffic flows: Gateway listener port 80 on --http-port → HTTPRoute → Service endpoints', async () => {
  expect(await get(sluice, 'web.gw.test')).toMatchObject({ status: 200, body: 'backend 10.77.60.1' });
  expect((await get(sluice, 'elsewhere.gw.test')).status).toBe(404);
});

test('Gateway status: Accepted, Programmed, listener attachedRoutes', async () => {
  const gw = await objectBecomes(c, gwPaths.gateway(ns, 'gw'), 'the Gateway to be programmed with one route', (o) =>
    conditionOf(o.status?.conditions, 'Programmed')?.status === 'True' && o.status?.listeners?.[0]?.attachedRoutes === 1 && o,
  );
  expect(conditionOf(gw.status.conditions, 'Accepted')).toMatchObject({ status: 'True', observedGeneration: gw.metadata.generation });
  const listener = gw.status.listeners[0];
  expect(listener.name).toBe('http');
  expect(listener.supportedKinds).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }, { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }]);
  for (const type of ['Accepted', 'Programmed', 'ResolvedRefs']) expect([type, conditionOf(listener.conditions, type)?.status]).toEqual([type, 'True']);
  expect(conditionOf(listener.conditions, 'Conflicted')?.status).toBe('False');
});

test('our own status writes (and anyone else\'s) never rebuild the table', async () => {
  await objectBecomes(c, gwPaths.route(ns, 'web'), 'the route status to be written', (o) => (o.status?.parents ?? []).length > 0);
  await sleep(1500); // every status write of ours has come back through the watch by now
  expect(await fullSwaps()).toBe(1); // nothing but status changed since the first build
  const generation = (await sluice.routes()).generation;
  // Someone else writes a status (the other controller's class): a status-only change, ignored.
  const theirs = await must(c, 'GET', `${gwPaths.gatewayClass(`other-${ns}`)}/status`);
  const condition = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' };
  await must(c, 'PUT', `${gwPaths.gatewayClass(`other-${ns}`)}/status`, { ...theirs.body, status: { conditions: [condition] } });
  await sleep(1500);
  expect(await fullSwaps()).toBe(1);
  expect((await sluice.routes()).generation).toBe(generation);
});

test('HTTPRoute status.parents: our entry with observedGeneration; another controller\'s entry is kept', async () => {
  const route = await objectBecomes(c, gwPaths.route(ns, 'web'), 'our parent entry', (o) => o.status?.parents?.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER) && o);
  const ours = route.status.parents.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER);
  expect(ours.parentRef).toMatchObject({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: ns });
  expect(conditionOf(ours.conditions, 'Accepted')).toMatchObject({ status: 'True', observedGeneration: route.metadata.generation });
  expect(conditionOf(ours.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True', observedGeneration: route.metadata.generation });
  const acceptedAt = conditionOf(ours.conditions, 'Accepted')!.lastTransitionTime;

  // Another controller adds its own entry (as it would for its own parent).
  const foreign = {
    parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'theirs', namespace: ns },
    controllerName: 'example.com/other-controller',
    conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', observedGeneration: route.metadata.generation, lastTransitionTime: '2026-01-01T00:00:00Z' }],
  };
  const current = await must(c, 'GET', `${gwPaths.route(ns, 'web')}/status`);
  await must(c, 'PUT', `${gwPaths.route(ns, 'web')}/status`, { ...current.body, status: { parents: [...current.body.status.parents, foreign] } });

  // A spec change: our entry follows the new generation, theirs stays, our time is kept.
  const spec = await must(c, 'GET', gwPaths.route(ns, 'web'));
  await must(c, 'PUT', gwPaths.route(ns, 'web'), { ...spec.body, spec: { ...spec.body.spec, hostnames: ['web.gw.test', 'www.gw.test'] } });
  const updated = await objectBecomes(c, gwPaths.route(ns, 'web'), 'our entry at the new generation', (o) => {
    const mine = o.status?.parents?.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER);
    return conditionOf(mine?.conditions, 'Accepted')?.observedGeneration === o.metadata.generation && o.metadata.generation > route.metadata.generation && o;
  });
  expect(updated.status.parents).toContainEqual(foreign);
  const mine = updated.status.parents.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER);
  expect(conditionOf(mine.conditions, 'Accepted')!.lastTransitionTime).toBe(acceptedAt);
  await eventually('www.gw.test to be served', async () => (await get(sluice, 'www.gw.test')).status === 200);
});

test('cross-namespace backendRef: RefNotPermitted without a ReferenceGrant, served with one', async () => {
  await must(c, 'POST', gwPaths.routes(ns), httpRoute(ns, 'remote', { gateway: { namespace: ns, name: 'gw' }, host: 'remote.gw.test', backends: [{ name: 'remote', namespace: other }] }));
  const denied = await objectBecomes(c, gwPaths.route(ns, 'remote'), 'ResolvedRefs=False/RefNotPermitted', (o) => {
    const mine = o.status?.parents?.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER);
    const resolved: ConditionJson | undefined = conditionOf(mine?.conditions, 'ResolvedRefs');
    return resolved?.status === 'False' && resolved.reason === 'RefNotPermitted' && mine;
  });
  expect(conditionOf(denied.conditions, 'Accepted')?.status).toBe('True');
  expect((await get(sluice, 'remote.gw.test')).status).toBe(500); // every backend of the rule is invalid
  await objectBecomes(c, gwPaths.gateway(ns, 'gw'), 'attachedRoutes 2', (o) => o.status?.listeners?.[0]?.attachedRoutes === 2);

  await must(c, 'POST', gwPaths.grants(other), referenceGrant(other, 'allow-routes', ns));
  await objectBecomes(c, gwPaths.route(ns, 'remote'), 'ResolvedRefs=True', (o) => {
    const mine = o.status?.parents?.find((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER);
    return conditionOf(mine?.conditions, 'ResolvedRefs')?.status === 'True';
  });
  await eventually('remote.gw.test to be served by the other namespace', async () => (await get(sluice, 'remote.gw.test')).body === 'backend 10.77.60.2');
});

test('a route that stops naming our Gateway loses our entry (only ours)', async () => {
  const spec = await must(c, 'GET', gwPaths.route(ns, 'remote'));
  await must(c, 'PUT', gwPaths.route(ns, 'remote'), { ...spec.body, spec: { ...spec.body.spec, parentRefs: [{ name: 'nowhere' }] } });
  await objectBecomes(c, gwPaths.route(ns, 'remote'), 'our entry to be removed', (o) => !(o.status?.parents ?? []).some((p: { controllerName: string }) => p.controllerName === GATEWAY_CONTROLLER));
  await objectBecomes(c, gwPaths.gateway(ns, 'gw'), 'attachedRoutes back to 1', (o) => o.status?.listeners?.[0]?.attachedRoutes === 1);
  expect(sluice.alive()).toBe(true);
});
