// Policy status entries (BackendTrafficPolicy, RoutePolicy, BackendTLSPolicy): Sluice's ancestors of every policy
// of one kind in scope (the translator publishes a status for each one, valid or not, so every
// policy we watch has an entry and none needs cleaning up after). Other controllers' ancestors
// are kept.
import type { StatusUpdate } from '../../translate/types.js';
import { nextPolicyStatus } from './policy-status.js';
import { targetKey } from './target.js';
import type { StatusEntry, StatusEntrySource } from './writer.js';

export type PolicyKind = 'BackendTrafficPolicy' | 'RoutePolicy' | 'BackendTLSPolicy';

export class PolicyStatusEntries implements StatusEntrySource {
  readonly name: PolicyKind;
  private desired: StatusEntry[] = [];

  constructor(kind: PolicyKind = 'BackendTrafficPolicy') {
    this.name = kind;
  }

  publish(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, StatusEntry>();
    for (const s of statuses) {
      if (s.kind !== this.name) continue;
      const target = { kind: s.kind, namespace: s.namespace, name: s.name } as const;
      next.set(targetKey(target), { target, compute: (current, now) => nextPolicyStatus(current, s.ancestors, s.namespace, now) });
    }
    this.desired = [...next.values()];
  }

  entries(): Iterable<StatusEntry> {
    return this.desired;
  }
}
