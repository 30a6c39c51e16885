// The BackendTrafficPolicy status the writer computes: our ancestors replaced, other
// controllers' kept, transition times kept while a condition is unchanged, CRD defaults written
// so the next pass finds nothing to write, and the CRD's limits (16 ancestors, message length) held.
import { describe, expect, test } from '@jest/globals';
import type { Condition } from '../../../src/api/gateway.js';
import type { PolicyAncestorStatus } from '../../../src/api/sluice.js';
import { GATEWAY_CONTROLLER_NAME } from '../../../src/config/config.js';
import { MAX_MESSAGE_LENGTH, nextPolicyStatus } from '../../../src/k8s/status/policy-status.js';
import { PolicyStatusEntries } from '../../../src/k8s/status/policy-entries.js';
import { statusPath } from '../../../src/k8s/status/target.js';
import { statusChanged } from '../../../src/k8s/status/writer.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-02-02T10:00:00Z';
const accepted = (status: Condition['status'], reason = 'Accepted', message = 'applied'): Condition => ({ type: 'Accepted', status, reason, message, observedGeneration: 2 });
const gatewayAncestor = (name: string, conditions: Condition[]): PolicyAncestorStatus => ({
  ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop', name },
  controllerName: GATEWAY_CONTROLLER_NAME,
  conditions,
});
const theirs = { ancestorRef: { name: 'gw' }, controllerName: 'example.com/other', conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] };

describe('nextPolicyStatus', () => {
  test('first write: our ancestors after the others, with times; the second pass changes nothing', () => {
    const first = nextPolicyStatus({ ancestors: [theirs] }, [gatewayAncestor('gw', [accepted('True')])], 'shop', T0);
    expect(first).toEqual({ ancestors: [theirs, { ...gatewayAncestor('gw', [{ ...accepted('True'), lastTransitionTime: T0 }]) }] });
    expect(statusChanged(first, nextPolicyStatus(first, [gatewayAncestor('gw', [accepted('True')])], 'shop', NOW))).toBe(false);
  });

  test('a condition that changes gets a new time; an ancestor no longer reported goes', () => {
    const current = nextPolicyStatus(undefined, [gatewayAncestor('a', [accepted('True')]), gatewayAncestor('b', [accepted('True')])], 'shop', T0);
    const next = nextPolicyStatus(current, [gatewayAncestor('a', [accepted('False', 'Conflicted', 'lost')])], 'shop', NOW) as { ancestors: PolicyAncestorStatus[] };
    expect(next.ancestors.map((a) => [a.ancestorRef.name, a.conditions[0]!.reason, a.conditions[0]!.lastTransitionTime])).toEqual([['a', 'Conflicted', NOW]]);
  });

  test('a Service ancestor keeps group "" and its namespace; an ancestor written without defaults matches ours', () => {
    const service: PolicyAncestorStatus = { ancestorRef: { group: '', kind: 'Service', namespace: 'shop', name: 'cart' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [accepted('True')] };
    const first = nextPolicyStatus({}, [service], 'shop', T0) as { ancestors: PolicyAncestorStatus[] };
    expect(first.ancestors[0]!.ancestorRef).toEqual({ group: '', kind: 'Service', namespace: 'shop', name: 'cart' });
    const bare = { ancestors: [{ ancestorRef: { name: 'gw' }, controllerName: GATEWAY_CONTROLLER_NAME, conditions: [{ ...accepted('True'), lastTransitionTime: T0 }] }] };
    const next = nextPolicyStatus(bare, [gatewayAncestor('gw', [accepted('True')])], 'shop', NOW) as { ancestors: PolicyAncestorStatus[] };
    expect(next.ancestors[0]!.conditions[0]!.lastTransitionTime).toBe(T0);
  });

  test('at most 16 ancestors in all, others first; messages cut to the CRD limit', () => {
    const others = Array.from({ length: 10 }, (_, i) => ({ ...theirs, ancestorRef: { name: `other-${i}` } }));
    const ours = Array.from({ length: 10 }, (_, i) => gatewayAncestor(`gw-${i}`, [accepted('False', 'Invalid', 'x'.repeat(40_000))]));
    const next = nextPolicyStatus({ ancestors: others }, ours, 'shop', T0) as { ancestors: PolicyAncestorStatus[] };
    expect(next.ancestors.length).toBe(16);
    expect(next.ancestors.filter((a) => a.controllerName === GATEWAY_CONTROLLER_NAME).length).toBe(6);
    expect(next.ancestors.at(-1)!.conditions[0]!.message.length).toBe(MAX_MESSAGE_LENGTH);
  });
});

describe('PolicyStatusEntries', () => {
  test('one entry per published policy, at its status subresource; other kinds ignored', () => {
    const source = new PolicyStatusEntries();
    source.publish([
      { kind: 'Ingress', namespace: 'shop', name: 'web' },
      { kind: 'BackendTrafficPolicy', namespace: 'shop', name: 'api', ancestors: [gatewayAncestor('gw', [accepted('True')])] },
    ]);
    const entries = [...source.entries()];
    expect(entries.map((e) => statusPath(e.target))).toEqual(['/apis/sluice.dev/v1alpha1/namespaces/shop/backendtrafficpolicies/api/status']);
    expect(entries[0]!.compute(undefined, T0)).toEqual({ ancestors: [gatewayAncestor('gw', [{ ...accepted('True'), lastTransitionTime: T0 }])] });
    source.publish([]);
    expect([...source.entries()]).toEqual([]);
  });
  test('a RoutePolicy source takes RoutePolicy statuses only, at their status subresource', () => {
    const source = new PolicyStatusEntries('RoutePolicy');
    const ancestors = [gatewayAncestor('gw', [accepted('True')])];
    source.publish([
      { kind: 'BackendTrafficPolicy', namespace: 'shop', name: 'api', ancestors },
      { kind: 'RoutePolicy', namespace: 'shop', name: 'edge', ancestors },
    ]);
    const entries = [...source.entries()];
    expect(source.name).toBe('RoutePolicy');
    expect(entries.map((e) => statusPath(e.target))).toEqual(['/apis/sluice.dev/v1alpha1/namespaces/shop/routepolicies/edge/status']);
    expect(entries[0]!.compute(undefined, T0)).toEqual({ ancestors: [gatewayAncestor('gw', [{ ...accepted('True'), lastTransitionTime: T0 }])] });
  });
});
