// The Gateway API PolicyStatus Sluice writes on a BackendTrafficPolicy or RoutePolicy, computed from what the
// object shows now and what the translator published (pure, unit-tested). Like HTTPRoute
// status.parents: other controllers' ancestors are kept as they are, ours are replaced (an
// ancestor we no longer report loses its entry), and each condition keeps its
// lastTransitionTime while its status, reason and message stay the same. Values the CRD defaults
// (ancestorRef group and kind) are written explicitly, so an unchanged status compares equal and
// is never written again. The CRD's limits are kept: at most 16 ancestors, messages of at most
// 32768 characters.
import { GATEWAY_GROUP, type Condition, type ParentReference } from '../../api/gateway.js';
import type { PolicyAncestorStatus } from '../../api/sluice.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import { MAX_ANCESTORS } from '../../translate/policy/ancestors.js';
import { stableStringify } from '../../util/compare.js';
import { withTransitionTimes } from './gateway-status.js';

type Json = Record<string, unknown>;

export const MAX_MESSAGE_LENGTH = 32768;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function ancestorKey(ref: unknown, policyNamespace: string): string {
  const r = record(ref);
  return stableStringify({
    group: r['group'] ?? GATEWAY_GROUP,
    kind: r['kind'] ?? 'Gateway',
    namespace: r['namespace'] ?? policyNamespace,
    name: r['name'],
    sectionName: r['sectionName'],
    port: r['port'],
  });
}

function canonicalAncestorRef(ref: ParentReference, policyNamespace: string): ParentReference {
  return {
    group: ref.group ?? GATEWAY_GROUP,
    kind: ref.kind ?? 'Gateway',
    namespace: ref.namespace ?? policyNamespace,
    name: ref.name,
    ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
    ...(ref.port !== undefined ? { port: ref.port } : {}),
  };
}

function bounded(c: Condition): Condition {
  return c.message.length <= MAX_MESSAGE_LENGTH ? c : { ...c, message: `${c.message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` };
}

function isOurs(ancestor: unknown): boolean {
  return record(ancestor)['controllerName'] === GATEWAY_CONTROLLER_NAME;
}

/** status.ancestors: other controllers' entries as they are, then ours (as many as still fit). */
export function nextPolicyStatus(current: unknown, desired: readonly PolicyAncestorStatus[], policyNamespace: string, now: string): Json {
  const status = record(current);
  const ancestors = Array.isArray(status['ancestors']) ? (status['ancestors'] as unknown[]) : [];
  const others = ancestors.filter((a) => !isOurs(a));
  const before = new Map<string, Json>();
  for (const a of ancestors) if (isOurs(a)) before.set(ancestorKey(record(a)['ancestorRef'], policyNamespace), record(a));
  const ours = desired.slice(0, Math.max(0, MAX_ANCESTORS - others.length)).map((a) => ({
    ancestorRef: canonicalAncestorRef(a.ancestorRef, policyNamespace),
    controllerName: a.controllerName,
    conditions: withTransitionTimes(a.conditions.map(bounded), before.get(ancestorKey(a.ancestorRef, policyNamespace))?.['conditions'], now),
  }));
  return { ...status, ancestors: [...others, ...ours] };
}
