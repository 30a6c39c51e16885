// The status writer: the only code that writes Ingress status. On each published table it makes
// status.loadBalancer.ingress of every Ingress we serve equal to our published address
// (--publish-address or --publish-service). Leader only. Per Ingress: skip when the store's
// copy already shows the address (no request at all); else get → compare → replace the status
// subresource, retrying a 409 conflict with a fresh get (bounded). An Ingress we stop serving
// has our address removed, but only if the address there is still the one we wrote.
// Status-only changes never trigger rebuilds: the store's fingerprint ignores status.
import { NetworkingV1Api, type KubeConfig, type V1Ingress } from '@kubernetes/client-node';
import { describe } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { IngressStatusUpdate, StatusUpdate } from '../translate/types.js';
import { isConflict, isNotFound, summarizeApiError, withTimeout } from './api-error.js';
import { ingressStatusAddresses, sameAddresses, type LoadBalancerAddress } from './addresses.js';
import { Backoff } from './backoff.js';

const CONFLICT_ATTEMPTS = 5;
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

type Outcome = 'written' | 'unchanged' | 'gone';

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
  private pending = false;
  private running: Promise<void> | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryBackoff = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2 });

  constructor(options: StatusWriterOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'status-writer' });
    this.api = options.kc.makeApiClient(NetworkingV1Api);
  }

  /** The Ingresses the latest published table serves. */
  update(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, IngressStatusUpdate>();
    for (const s of statuses) if (s.kind === 'Ingress') next.set(keyOf(s), s);
    this.owned = next;
    this.schedule();
  }

  /** Re-check every Ingress (leadership gained, published address changed). */
  resync(): void {
    this.schedule();
  }

  /** Resolves when no write is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.idle();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.pending = true;
    if (!this.running) this.running = this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.stopped) {
      this.pending = false;
      if (!this.o.isLeader()) return;
      const failures = await this.syncAll();
      if (failures > 0) {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.schedule(), this.retryBackoff.next());
      } else {
        this.retryBackoff.reset();
      }
    }
  }

  /** One pass over every Ingress; returns how many could not be brought up to date. */
  private async syncAll(): Promise<number> {
    const desired = this.o.desiredAddresses();
    if (desired === undefined) return 0; // resync() runs once the address is known
    let failures = 0;
    for (const [key, ref] of this.owned) {
      if (this.stopped || !this.o.isLeader()) return failures;
      if (sameAddresses(ingressStatusAddresses(this.o.cachedIngress(ref.namespace, ref.name)), desired)) {
        this.written.set(key, desired);
        continue;
      }
      const ok = await this.write(ref, () => desired);
      if (ok === 'gone') this.written.delete(key);
      else if (ok) this.written.set(key, desired);
      else failures++;
    }
    for (const [key, ours] of [...this.written]) {
      if (this.owned.has(key) || this.stopped || !this.o.isLeader()) continue;
      const [namespace = '', name = ''] = key.split('/');
      // Remove our address only where it is still what we wrote.
      const ok = await this.write({ kind: 'Ingress', namespace, name }, (current) => (sameAddresses(current, ours) ? [] : current));
      if (ok) this.written.delete(key);
      else failures++;
    }
    return failures;
  }

  /** get → compute → skip if equal → replace; retries conflicts. False when it gave up. */
  private async write(ref: IngressStatusUpdate, compute: (current: LoadBalancerAddress[]) => readonly LoadBalancerAddress[]): Promise<Outcome | false> {
    const { namespace, name } = ref;
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      try {
        const ingress: V1Ingress = await withTimeout(this.api.readNamespacedIngressStatus({ name, namespace }), CALL_TIMEOUT_MS, 'ingress status read');
        const current = ingressStatusAddresses(ingress);
        const next = compute(current);
        if (sameAddresses(current, next)) return 'unchanged';
        ingress.status = { ...ingress.status, loadBalancer: { ...ingress.status?.loadBalancer, ingress: next.map((a) => ({ ...a })) } };
        await withTimeout(this.api.replaceNamespacedIngressStatus({ name, namespace, body: ingress }), CALL_TIMEOUT_MS, 'ingress status write');
        this.log.info({ ingress: `${namespace}/${name}`, addresses: next }, 'ingress status written');
        return 'written';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        if (isConflict(err) && attempt < CONFLICT_ATTEMPTS) continue; // changed under us: fresh get
        const summary = summarizeApiError(err);
        const d = describe('StatusWriteFailed', `Ingress ${namespace}/${name}`, summary.reason);
        this.o.metrics.providerErrors.labels('kubernetes', d.code).inc();
        this.log.warn({ code: d.code, status: summary.status }, d.message);
        return false;
      }
    }
    return false;
  }
}
