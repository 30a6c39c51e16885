// The one status writer over { target, compute } entries, against a fake apiserver that does
// optimistic concurrency like the real one (a replace with a stale resourceVersion is a 409):
// conflicts retried with a fresh read, nothing written when nothing changed, transition times
// kept, our route entries only, Ingress addresses cleaned up only where they are still ours,
// leader only, and updates during a pass coalesced into one more pass.
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import type { KubeObject } from '../../../src/api/core.js';
import type { Condition, GatewayStatus, RouteParentStatus } from '../../../src/api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../../src/config/config.js';
import { KubeRequestError } from '../../../src/k8s/api-error.js';
import type { LoadBalancerAddress } from '../../../src/k8s/addresses.js';
import { GatewayStatusEntries } from '../../../src/k8s/status/gateway-entries.js';
import { IngressStatusEntries } from '../../../src/k8s/status/ingress-entries.js';
import { describeTarget, statusPath, targetKey, type StatusTarget } from '../../../src/k8s/status/target.js';
import { StatusWriter, type StatusClient, type StatusEntrySource, type StatusObject } from '../../../src/k8s/status/writer.js';
import { Metrics } from '../../../src/metrics.js';
import type { StatusUpdate } from '../../../src/translate/types.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-02-02T10:00:00Z';
const OTHER_CONTROLLER = 'example.com/other';

type Json = Record<string, unknown>;

/** An apiserver's status subresources: read gives a copy, replace needs the resourceVersion read. */
class FakeApiserver implements StatusClient {
  readonly calls: string[] = [];
  /** Runs before a replace is applied (another writer getting in first). */
  beforeReplace: ((target: StatusTarget) => void) | undefined;
  private readonly objects = new Map<string, { object: Json; version: number }>();

  put(target: StatusTarget, status: unknown): void {
    const version = (this.objects.get(targetKey(target))?.version ?? 0) + 1;
    const object = { kind: target.kind, metadata: { name: target.name, namespace: target.namespace, resourceVersion: String(version) }, ...(status !== undefined ? { status } : {}) };
    this.objects.set(targetKey(target), { object, version });
  }

  status(target: StatusTarget): unknown {
    return this.objects.get(targetKey(target))?.object['status'];
  }

  /** What the store would hold with a watch that is up to date. */
  peek(target: StatusTarget): { status?: unknown } | undefined {
    const held = this.objects.get(targetKey(target));
    return held ? structuredClone(held.object) : undefined;
  }

  async read(target: StatusTarget): Promise<StatusObject> {
    this.calls.push(`read ${describeTarget(target)}`);
    const held = this.objects.get(targetKey(target));
    if (!held) throw new KubeRequestError('get', statusPath(target), 404, 'not found');
    return structuredClone(held.object);
  }

  async replace(target: StatusTarget, object: StatusObject): Promise<void> {
    this.calls.push(`replace ${describeTarget(target)}`);
    this.beforeReplace?.(target);
    const held = this.objects.get(targetKey(target));
    if (!held) throw new KubeRequestError('update', statusPath(target), 404, 'not found');
    const sent = (object['metadata'] as { resourceVersion?: string }).resourceVersion;
    if (sent !== String(held.version)) throw new KubeRequestError('update', statusPath(target), 409, 'the object has been modified; please apply your changes to the latest version and try again');
    this.put(target, object.status);
  }
}

interface Harness {
  readonly server: FakeApiserver;
  readonly writer: StatusWriter;
  readonly lines: Json[];
  readonly metrics: Metrics;
  leader: boolean;
}

/** Every writer a test started, stopped after it even when an assertion failed (no retry timer left behind). */
const started: StatusWriter[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop()));
});

function harness(sources: readonly StatusEntrySource[], options: { cached?: (t: StatusTarget) => { status?: unknown } | undefined; server?: FakeApiserver } = {}): Harness {
  const server = options.server ?? new FakeApiserver();
  const lines: Json[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Json) });
  const metrics = new Metrics({ processMetrics: false });
  const h: Harness = {
    server,
    lines,
    metrics,
    leader: true,
    writer: new StatusWriter({
      client: server,
      sources,
      cached: options.cached ?? ((t) => server.peek(t)),
      isLeader: () => h.leader,
      log,
      metrics,
      now: () => new Date(NOW),
    }),
  };
  started.push(h.writer);
  return h;
}

async function providerErrors(metrics: Metrics): Promise<number> {
  return (await metrics.providerErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
}

const accepted = (status: Condition['status'], reason = 'Accepted'): Condition => ({ type: 'Accepted', status, reason, message: reason, observedGeneration: 1 });
const programmed = (status: Condition['status'], reason = 'Programmed'): Condition => ({ type: 'Programmed', status, reason, message: reason, observedGeneration: 1 });
const gatewayRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };
const ourParent = (status: Condition['status'] = 'True'): RouteParentStatus => ({ parentRef: gatewayRef, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [accepted(status)] });
const theirParent = { parentRef: { ...gatewayRef, name: 'theirs' }, controllerName: OTHER_CONTROLLER, conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] };
const route: StatusTarget = { kind: 'HTTPRoute', namespace: 'ns', name: 'web' };
const routeStatus = (parents: readonly RouteParentStatus[]): StatusUpdate => ({ kind: 'HTTPRoute', namespace: 'ns', name: 'web', parents });
const gateway: StatusTarget = { kind: 'Gateway', namespace: 'ns', name: 'gw' };
const gatewayStatus = (status: GatewayStatus): StatusUpdate => ({ kind: 'Gateway', namespace: 'ns', name: 'gw', status });

function gatewayEntries(routes: () => readonly KubeObject[] = () => []): GatewayStatusEntries {
  return new GatewayStatusEntries(routes);
}

describe('the apiserver path', () => {
  test('status subresource paths: namespaced, cluster-scoped, core group', () => {
    expect(statusPath({ kind: 'Ingress', namespace: 'ns', name: 'web' })).toBe('/apis/networking.k8s.io/v1/namespaces/ns/ingresses/web/status');
    expect(statusPath({ kind: 'GatewayClass', name: 'sluice' })).toBe('/apis/gateway.networking.k8s.io/v1/gatewayclasses/sluice/status');
    expect(statusPath(route)).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes/web/status');
    expect(statusPath({ kind: 'Service', namespace: 'a b', name: 'lb' })).toBe('/api/v1/namespaces/a%20b/services/lb/status');
  });

  test('a 409 conflict is retried with a fresh read, keeping what the other writer wrote', async () => {
    const h = harness([gatewayEntries()]);
    h.server.put(route, { parents: [] });
    h.server.beforeReplace = (target) => {
      h.server.beforeReplace = undefined; // once: another controller adds its entry under us
      h.server.put(target, { parents: [theirParent] });
    };
    h.writer.update([routeStatus([ourParent()])]);
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read HTTPRoute ns/web', 'replace HTTPRoute ns/web', 'read HTTPRoute ns/web', 'replace HTTPRoute ns/web']);
    expect(h.server.status(route)).toEqual({ parents: [theirParent, { ...ourParent(), conditions: [{ ...accepted('True'), lastTransitionTime: NOW }] }] });
    expect(await providerErrors(h.metrics)).toBe(0);
    });

  test('conflicts without end: given up after 5 attempts, one warn line and one provider error', async () => {
    const h = harness([gatewayEntries()]);
    h.server.put(route, { parents: [] });
    h.server.beforeReplace = (target) => h.server.put(target, { parents: [theirParent] });
    h.writer.update([routeStatus([ourParent()])]);
    await h.writer.idle();
    expect(h.server.calls.filter((c) => c.startsWith('replace'))).toHaveLength(5);
    const warnings = h.lines.filter((l) => l['code'] === 'SLUICE_STATUS_WRITE_FAILED');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ status: 409, msg: expect.stringMatching(/^cannot write the status of HTTPRoute ns\/web: the object has been modified/) });
    expect(await providerErrors(h.metrics)).toBe(1);
    });

  test('an object that is gone is not a failure', async () => {
    const h = harness([gatewayEntries()]);
    h.writer.update([routeStatus([ourParent()])]);
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read HTTPRoute ns/web']);
    expect(await providerErrors(h.metrics)).toBe(0);
    });
});

describe('skip if equal', () => {
  const desired: GatewayStatus = { addresses: [], conditions: [accepted('True'), programmed('True')], listeners: [] };

  test('the store already shows the status: no request at all', async () => {
    const h = harness([gatewayEntries()]);
    h.server.put(gateway, {});
    h.writer.update([gatewayStatus(desired)]);
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read Gateway ns/gw', 'replace Gateway ns/gw']);
    h.server.calls.length = 0;
    h.writer.update([gatewayStatus(desired)]);
    h.writer.resync();
    await h.writer.idle();
    expect(h.server.calls).toEqual([]);
    });

  test('a stale store copy costs a read, but what the apiserver shows already is not written again', async () => {
    const server = new FakeApiserver();
    const h = harness([gatewayEntries()], { server, cached: () => undefined });
    server.put(gateway, {});
    h.writer.update([gatewayStatus(desired)]);
    await h.writer.idle();
    server.calls.length = 0;
    h.writer.resync();
    await h.writer.idle();
    expect(server.calls).toEqual(['read Gateway ns/gw']);
    });
});

test('transition times: kept for a condition that did not change, now for one that did', async () => {
  const h = harness([gatewayEntries()]);
  h.server.put(gateway, {
    conditions: [
      { ...accepted('True'), lastTransitionTime: T0 },
      { ...programmed('False', 'Pending'), lastTransitionTime: T0 },
    ],
  });
  h.writer.update([gatewayStatus({ addresses: [], conditions: [accepted('True'), programmed('True')], listeners: [] })]);
  await h.writer.idle();
  expect(h.server.status(gateway)).toEqual({
    conditions: [
      { ...accepted('True'), lastTransitionTime: T0 },
      { ...programmed('True'), lastTransitionTime: NOW },
    ],
    listeners: [],
  });
});

test('ours only: a route we no longer serve loses our entry, other controllers keep theirs', async () => {
  const server = new FakeApiserver();
  const inStore = (): KubeObject[] => [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { namespace: 'ns', name: 'web' }, ...server.peek(route) }];
  const h = harness([gatewayEntries(inStore)], { server });
  server.put(route, { parents: [theirParent, { ...ourParent(), conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] }] });
  h.writer.update([]);
  await h.writer.idle();
  expect(server.status(route)).toEqual({ parents: [theirParent] });
  // Without an entry of ours left, nothing is asked of the apiserver any more.
  server.calls.length = 0;
  h.writer.resync();
  await h.writer.idle();
  expect(server.calls).toEqual([]);
});

describe('Ingress addresses', () => {
  const web: StatusTarget = { kind: 'Ingress', namespace: 'ns', name: 'web' };
  const ingressStatus = (...names: string[]): StatusUpdate[] => names.map((name) => ({ kind: 'Ingress', namespace: 'ns', name }));
  const ours: LoadBalancerAddress[] = [{ ip: '192.0.2.1' }, { hostname: 'lb.test' }];

  test('waits for the published address, then writes it, keeping the rest of loadBalancer', async () => {
    let published: LoadBalancerAddress[] | undefined;
    const h = harness([new IngressStatusEntries(() => published)]);
    h.server.put(web, { loadBalancer: { extra: 1 } });
    h.writer.update(ingressStatus('web'));
    await h.writer.idle();
    expect(h.server.calls).toEqual([]);
    published = ours;
    h.writer.resync();
    await h.writer.idle();
    expect(h.server.status(web)).toEqual({ loadBalancer: { extra: 1, ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.test' }] } });
    expect(h.lines.filter((l) => l['msg'] === 'ingress status written')).toHaveLength(1);
    });

  test('an Ingress we stop serving loses our address, read fresh even when the store has not seen our write', async () => {
    const h = harness([new IngressStatusEntries(() => ours)], { cached: () => undefined });
    h.server.put(web, {});
    h.writer.update(ingressStatus('web'));
    await h.writer.idle();
    expect(h.server.status(web)).toEqual({ loadBalancer: { ingress: ours } });
    h.writer.update([]);
    await h.writer.idle();
    expect(h.server.status(web)).toEqual({ loadBalancer: { ingress: [] } });
    });

  test('an address someone else wrote since is left alone', async () => {
    const h = harness([new IngressStatusEntries(() => ours)]);
    h.server.put(web, {});
    h.writer.update(ingressStatus('web'));
    await h.writer.idle();
    h.server.put(web, { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } });
    h.server.calls.length = 0;
    h.writer.update([]);
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read Ingress ns/web']);
    expect(h.server.status(web)).toEqual({ loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } });
    });
});

describe('leader only', () => {
  test('nothing is read or written while not leader; leadership gained → the pass runs', async () => {
    const h = harness([gatewayEntries()]);
    h.leader = false;
    h.server.put(route, {});
    h.writer.update([routeStatus([ourParent()])]);
    await h.writer.idle();
    expect(h.server.calls).toEqual([]);
    h.leader = true;
    h.writer.resync();
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read HTTPRoute ns/web', 'replace HTTPRoute ns/web']);
    });

  test('leadership lost mid-pass: no further entry is touched', async () => {
    const h = harness([gatewayEntries()]);
    const second: StatusTarget = { kind: 'HTTPRoute', namespace: 'ns', name: 'second' };
    h.server.put(route, {});
    h.server.put(second, {});
    h.server.beforeReplace = () => (h.leader = false);
    h.writer.update([routeStatus([ourParent()]), { kind: 'HTTPRoute', namespace: 'ns', name: 'second', parents: [ourParent()] }]);
    await h.writer.idle();
    expect(h.server.calls).toEqual(['read HTTPRoute ns/web', 'replace HTTPRoute ns/web']);
    });
});

test('updates during a pass coalesce into one more pass, which sees the latest statuses', async () => {
  const passes: string[][] = [];
  let release: () => void = () => {};
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const gateways = gatewayEntries();
  const counting: StatusEntrySource = {
    name: 'Gateway API',
    publish: (statuses) => gateways.publish(statuses),
    entries: () => {
      const entries = [...gateways.entries()];
      passes.push(entries.map((e) => describeTarget(e.target)));
      return entries;
    },
  };
  const h = harness([counting]);
  h.server.put(route, {});
  const read = h.server.read.bind(h.server);
  h.server.read = async (target) => {
    await blocked;
    return read(target);
  };
  h.writer.update([routeStatus([ourParent('False')])]);
  h.writer.update([routeStatus([ourParent('Unknown')])]);
  h.writer.resync();
  h.writer.update([routeStatus([ourParent('True')])]);
  release();
  await h.writer.idle();
  expect(passes).toHaveLength(2);
  expect((h.server.status(route) as { parents: RouteParentStatus[] }).parents[0]!.conditions[0]!.status).toBe('True');
});
