// The status writer: the only code that writes Ingress status. On each published table it makes
// status.loadBalancer.ingress of every Ingress we serve equal to our published address
// (--publish-address or --publish-service). Leader only. Per Ingress: skip when the store's
// copy already shows the address (no request at all); else get → compare → replace the status
// subresource, retrying a 409 conflict with a fresh get (bounded). An Ingress we stop serving
// has our address removed, but only if the address there is still the one we wrote.
// Status-only changes never trigger rebuilds: the store's fingerprint ignores status.
import { NetworkingV1Api, type KubeConfig, type V1Ingress } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { IngressStatusUpdate, StatusUpdate } from '../translate/types.js';
import { withTimeout } from './api-error.js';
import { ingressStatusAddresses, sameAddresses, type LoadBalancerAddress } from './addresses.js';
import { StatusSyncLoop, type WriteOutcome, writeStatus } from './status-sync.js';

const CALL_TIMEOUT_MS = 10_000;

export interface StatusWriterOptions {
  readonly kc: KubeConfig;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The addresses to publish now; undefined while not known yet (nothing is written then). */
  readonly desiredAddresses: () => readonly LoadBalancerAddress[] | undefined;
  /** The store's copy of an Ingress (its status is kept current by the watch). */
  readonly cachedIngress: (namespace: string, name: string) => unknown;
  readonly isLeader: () => boolean;
}

function keyOf(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

export class StatusWriter {
  private readonly o: StatusWriterOptions;
  private readonly log: Logger;
  private readonly api: NetworkingV1Api;
  private owned = new Map<string, IngressStatusUpdate>();
  /** What we last wrote (or found already right) per Ingress, to clean up after ourselves. */
  private readonly written = new Map<string, readonly LoadBalancerAddress[]>();
  private readonly loop: StatusSyncLoop;

  constructor(options: StatusWriterOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'status-writer' });
    this.api = options.kc.makeApiClient(NetworkingV1Api);
    this.loop = new StatusSyncLoop(() => this.syncAll(), options.isLeader);
  }

  /** The Ingresses the latest published table serves. */
  update(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, IngressStatusUpdate>();
    for (const s of statuses) if (s.kind === 'Ingress') next.set(keyOf(s), s);
    this.owned = next;
    this.loop.schedule();
  }

  /** Re-check every Ingress (leadership gained, published address changed). */
  resync(): void {
    this.loop.schedule();
  }

  /** Resolves when no write is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every Ingress; returns how many could not be brought up to date. */
  private async syncAll(): Promise<number> {
    const desired = this.o.desiredAddresses();
    if (desired === undefined) return 0; // resync() runs once the address is known
    let failures = 0;
    for (const [key, ref] of this.owned) {
      if (this.loop.stopping || !this.o.isLeader()) return failures;
      if (sameAddresses(ingressStatusAddresses(this.o.cachedIngress(ref.namespace, ref.name)), desired)) {
        this.written.set(key, desired);
        continue;
      }
      const outcome = await this.write(ref, () => desired);
      if (outcome === 'gone') this.written.delete(key);
      else if (outcome !== 'failed') this.written.set(key, desired);
      else failures++;
    }
    for (const [key, ours] of [...this.written]) {
      if (this.owned.has(key) || this.loop.stopping || !this.o.isLeader()) continue;
      const [namespace = '', name = ''] = key.split('/');
      // Remove our address only where it is still what we wrote.
      const outcome = await this.write({ kind: 'Ingress', namespace, name }, (current) => (sameAddresses(current, ours) ? [] : current));
      if (outcome !== 'failed') this.written.delete(key);
      else failures++;
    }
    return failures;
  }

  /** Brings one Ingress's addresses to `compute(current)`. */
  private write(ref: IngressStatusUpdate, compute: (current: LoadBalancerAddress[]) => readonly LoadBalancerAddress[]): Promise<WriteOutcome> {
    const { namespace, name } = ref;
    return writeStatus(`Ingress ${namespace}/${name}`, async () => {
      const ingress: V1Ingress = await withTimeout(this.api.readNamespacedIngressStatus({ name, namespace }), CALL_TIMEOUT_MS, 'ingress status read');
      const current = ingressStatusAddresses(ingress);
      const next = compute(current);
      if (sameAddresses(current, next)) return 'unchanged';
      ingress.status = { ...ingress.status, loadBalancer: { ...ingress.status?.loadBalancer, ingress: next.map((a) => ({ ...a })) } };
      await withTimeout(this.api.replaceNamespacedIngressStatus({ name, namespace, body: ingress }), CALL_TIMEOUT_MS, 'ingress status write');
      this.log.info({ ingress: `${namespace}/${name}`, addresses: next }, 'ingress status written');
      return 'written';
    }, this.o);
  }
}
