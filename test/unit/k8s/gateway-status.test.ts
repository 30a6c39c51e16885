// The Gateway API status the writer computes: transition times kept while a condition is
// unchanged, other controllers' route entries kept, CRD defaults filled so an unchanged status
// compares equal and is not written again.
import { describe, expect, test } from '@jest/globals';
import type { Condition, RouteParentStatus } from '../../../src/api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../../src/config/config.js';
import { nextGatewayClassStatus, nextGatewayStatus, nextRouteStatus, withTransitionTimes } from '../../../src/k8s/status/gateway-status.js';
import { statusChanged, timestamp } from '../../../src/k8s/status/writer.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-02-02T10:00:00Z';
const accepted = (status: Condition['status'], reason = 'Accepted', message = 'ok', observedGeneration = 1): Condition => ({ type: 'Accepted', status, reason, message, observedGeneration });

describe('lastTransitionTime', () => {
  test('kept while status, reason and message are unchanged (observedGeneration alone does not count)', () => {
    const before = [{ ...accepted('True'), lastTransitionTime: T0 }];
    expect(withTransitionTimes([accepted('True', 'Accepted', 'ok', 2)], before, NOW)).toEqual([{ ...accepted('True', 'Accepted', 'ok', 2), lastTransitionTime: T0 }]);
  });
  test('now when status, reason or message changed, or the condition is new', () => {
    const before = [{ ...accepted('True'), lastTransitionTime: T0 }];
    expect(withTransitionTimes([accepted('False')], before, NOW)[0]!.lastTransitionTime).toBe(NOW);
    expect(withTransitionTimes([accepted('True', 'Other')], before, NOW)[0]!.lastTransitionTime).toBe(NOW);
    expect(withTransitionTimes([accepted('True', 'Accepted', 'changed')], before, NOW)[0]!.lastTransitionTime).toBe(NOW);
    expect(withTransitionTimes([accepted('True')], undefined, NOW)[0]!.lastTransitionTime).toBe(NOW);
    expect(withTransitionTimes([accepted('True')], 'garbage', NOW)[0]!.lastTransitionTime).toBe(NOW);
  });
  test('timestamps have seconds precision, as Kubernetes writes them', () => {
    expect(timestamp(new Date('2026-03-04T05:06:07.891Z'))).toBe('2026-03-04T05:06:07Z');
  });
});

describe('GatewayClass and Gateway', () => {
  test('the CRD default (Pending) is replaced; written again with the same input it is unchanged', () => {
    const pending = { conditions: [{ type: 'Accepted', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller', lastTransitionTime: '1970-01-01T00:00:00Z' }] };
    const desired = { conditions: [accepted('True')], supportedFeatures: [{ name: 'HTTPRoute' }] };
    const first = nextGatewayClassStatus(pending, desired, T0);
    expect(first).toEqual({ conditions: [{ ...accepted('True'), lastTransitionTime: T0 }], supportedFeatures: [{ name: 'HTTPRoute' }] });
    expect(statusChanged(pending, first)).toBe(true);
    expect(statusChanged(first, nextGatewayClassStatus(first, desired, NOW))).toBe(false);
  });

  test('Gateway: listener conditions keep their times by listener name; defaults filled', () => {
    const listener = (attachedRoutes: number) => ({ name: 'http', supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }], attachedRoutes, conditions: [accepted('True')] });
    const desired = { addresses: [{ type: '', value: '10.0.0.1' }], conditions: [accepted('True')], listeners: [listener(1)] };
    const first = nextGatewayStatus({}, desired, T0);
    expect(first['addresses']).toEqual([{ type: 'IPAddress', value: '10.0.0.1' }]);
    const second = nextGatewayStatus(first, { ...desired, listeners: [listener(2)] }, NOW);
    expect(second['listeners']).toEqual([{ ...listener(2), conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] }]);
    expect(statusChanged(first, second)).toBe(true);
    expect(statusChanged(second, nextGatewayStatus(second, { ...desired, listeners: [listener(2)] }, NOW))).toBe(false);
    expect(nextGatewayStatus(first, { ...desired, addresses: [] }, NOW)).not.toHaveProperty('addresses');
  });
});

describe('HTTPRoute status.parents', () => {
  const ours = (conditions: Condition[]): RouteParentStatus => ({ parentRef: { name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions });
  const theirs = { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'other' }, controllerName: 'example.com/other', conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] };

  test('other controllers\' entries are kept; ours replaced, with defaults filled and times kept', () => {
    const current = {
      parents: [
        theirs,
        { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] },
        { parentRef: { name: 'gone' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [] },
      ],
    };
    const next = nextRouteStatus(current, [ours([accepted('True', 'Accepted', 'ok', 3)])], 'ns', NOW);
    expect(next).toEqual({
      parents: [
        theirs,
        { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [{ ...accepted('True', 'Accepted', 'ok', 3), lastTransitionTime: T0 }] },
      ],
    });
    expect(statusChanged(next, nextRouteStatus(next, [ours([accepted('True', 'Accepted', 'ok', 3)])], 'ns', NOW))).toBe(false);
  });

  test('a parentRef naming the route\'s own namespace matches one that leaves it out', () => {
    const current = { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'ns', name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] }] };
    const next = nextRouteStatus(current, [ours([accepted('True')])], 'ns', NOW) as { parents: { conditions: Condition[] }[] };
    expect(next.parents[0]!.conditions[0]!.lastTransitionTime).toBe(T0);
  });

  test('no desired parents: only our entries go', () => {
    const current = { parents: [theirs, { parentRef: { name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [] }] };
    expect(nextRouteStatus(current, [], 'ns', NOW)).toEqual({ parents: [theirs] });
    expect(nextRouteStatus(undefined, [], 'ns', NOW)).toEqual({ parents: [] });
  });
});
