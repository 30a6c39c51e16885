// Ingress status entries: status.loadBalancer.ingress of every Ingress we serve becomes our
// published address (--publish-address or --publish-service); nothing is written while that
// address is not known yet. An Ingress we stop serving has our address removed, but only if the
// address there is still the one we wrote (read fresh: the store may not have seen our write).
import type { IngressStatusUpdate, StatusUpdate } from '../../translate/types.js';
import { ingressStatusAddresses, sameAddresses, type LoadBalancerAddress } from '../addresses.js';
import { targetKey, type StatusTarget } from './target.js';
import type { StatusEntry, StatusEntrySource } from './writer.js';

type Addresses = readonly LoadBalancerAddress[];

/** An entry's compute: the status with `next(addresses now)`, undefined when they stay the same. */
function towards(next: (current: Addresses) => Addresses): StatusEntry['compute'] {
  return (current) => {
    const status = (current ?? {}) as { loadBalancer?: Record<string, unknown> };
    const before = ingressStatusAddresses({ status });
    const after = next(before);
    if (sameAddresses(before, after)) return undefined;
    return { ...status, loadBalancer: { ...status.loadBalancer, ingress: after.map((a) => ({ ...a })) } };
  };
}

export class IngressStatusEntries implements StatusEntrySource {
  readonly name = 'ingress';
  /** The addresses to publish now; undefined while not known yet. */
  private readonly desiredAddresses: () => Addresses | undefined;
  private owned = new Map<string, StatusTarget>();
  /** What we last wrote (or found already right) per Ingress, to clean up after ourselves. */
  private readonly written = new Map<string, { readonly target: StatusTarget; readonly ours: Addresses }>();

  constructor(desiredAddresses: () => Addresses | undefined) {
    this.desiredAddresses = desiredAddresses;
  }

  /** The Ingresses the latest published table serves. */
  publish(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, StatusTarget>();
    for (const s of statuses) if (s.kind === 'Ingress') next.set(targetKey(s), targetOf(s));
    this.owned = next;
  }

  *entries(): Iterable<StatusEntry> {
    const desired = this.desiredAddresses();
    if (desired === undefined) return; // the provider resyncs once the address is known
    for (const [key, target] of this.owned) {
      yield {
        target,
        compute: towards(() => desired),
        settled: (outcome) => {
          if (outcome === 'gone') this.written.delete(key);
          else if (outcome !== 'failed') this.written.set(key, { target, ours: desired });
        },
      };
    }
    for (const [key, { target, ours }] of [...this.written]) {
      if (this.owned.has(key)) continue;
      yield {
        target,
        compute: towards((current) => (sameAddresses(current, ours) ? [] : current)),
        uncached: true,
        settled: (outcome) => {
          if (outcome !== 'failed') this.written.delete(key);
        },
      };
    }
  }
}

function targetOf(s: IngressStatusUpdate): StatusTarget {
  return { kind: 'Ingress', namespace: s.namespace, name: s.name };
}
