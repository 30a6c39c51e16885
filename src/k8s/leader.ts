// Leader election on a coordination.k8s.io/v1 Lease, in the manner of client-go: a candidate
// takes the Lease when it is free or when its record has not changed for a whole lease duration
// as observed on the candidate's own clock (no clock-skew assumptions); the leader renews every
// retry period and steps down when it could not renew within the renew deadline. Losing the
// lease (conflict, apiserver down) never ends the process: the instance keeps serving traffic,
// stops writing status and keeps campaigning. On stop, a leader releases the Lease so another
// replica can take over without waiting for it to expire.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { describe } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { isConflict, isNotFound, summarizeApiError, withTimeout } from './api-error.js';

export interface LeaderElectorOptions {
  readonly kc: KubeConfig;
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  readonly durationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Called on every change of leadership (true: became leader; false: lost or released it). */
  readonly onChange: (leading: boolean) => void;
}

export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private readonly log: Logger;
  private readonly api: CoordinationV1Api;
  private leading = false;
  private stopped = true;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private lastRenewAt = 0;
  /** The last Lease record seen (holder and renew time) and when it was first seen, locally. */
  private observedRecord = '';
  private observedAt = 0;
  private lastProblem: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.api = options.kc.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.log.info('campaigning for leadership');
    this.loop = this.run();
  }

  /** Stops campaigning; a leader releases the Lease (bounded wait). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await this.release().catch((err: unknown) => this.log.warn({ reason: summarizeApiError(err).reason }, 'could not release the lease'));
      this.setLeading(false, 'stopped');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.tick();
      await this.sleep(this.o.retryPeriodMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async tick(): Promise<void> {
    try {
      const held = await withTimeout(this.tryAcquireOrRenew(), this.callTimeoutMs(), 'lease request');
      if (this.stopped) return;
      this.lastProblem = undefined;
      if (held) {
        this.lastRenewAt = Date.now();
        if (!this.leading) this.setLeading(true, 'acquired the lease');
      } else if (this.leading) {
        this.setLeading(false, 'another replica holds the lease');
      }
    } catch (err) {
      this.problem(err);
      if (this.leading && Date.now() - this.lastRenewAt > this.o.renewDeadlineMs) {
        this.setLeading(false, `could not renew within the renew deadline (${this.o.renewDeadlineMs} ms)`);
      }
    }
  }

  private callTimeoutMs(): number {
    return Math.max(1000, this.o.renewDeadlineMs);
  }

  /** One attempt: true when this instance holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.o;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return this.create();
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${String(spec.renewTime ?? '')}|${spec.leaseDurationSeconds ?? ''}`;
    const now = Date.now();
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now;
    }
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.o.durationMs / 1000)) * 1000;
    const mine = holder === this.o.identity;
    if (!mine && holder !== '' && now - this.observedAt < durationMs) return false;

    lease.spec = {
      ...spec,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.leaseSeconds(),
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : new V1MicroTime(),
      renewTime: new V1MicroTime(),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      const updated = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // someone else wrote it first; re-read next round
      throw err;
    }
  }

  private async create(): Promise<boolean> {
    const { name, namespace } = this.o;
    const now = new V1MicroTime();
    try {
      const created = await this.api.createNamespacedLease({
        namespace,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: this.leaseSeconds(), acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      this.observe(created);
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // another replica created it first
      throw err;
    }
  }

  /** Gives the Lease up: no holder and a 1 s duration, so the next candidate takes it at once. */
  private async release(): Promise<void> {
    const { name, namespace } = this.o;
    const lease = await withTimeout(this.api.readNamespacedLease({ name, namespace }), 2000, 'lease read');
    if (lease.spec?.holderIdentity !== this.o.identity) return;
    lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() };
    await withTimeout(this.api.replaceNamespacedLease({ name, namespace, body: lease }), 2000, 'lease release');
    this.log.info('released the lease');
  }

  private observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    this.observedRecord = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}|${spec.leaseDurationSeconds ?? ''}`;
    this.observedAt = Date.now();
  }

  private leaseSeconds(): number {
    return Math.max(1, Math.ceil(this.o.durationMs / 1000));
  }

  private setLeading(leading: boolean, why: string): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) this.log.info({ why }, 'became the leader: this instance writes status');
    else this.log.warn({ why }, 'not the leader any more: status writes stop, campaigning continues');
    try {
      this.o.onChange(leading);
    } catch (err) {
      this.log.error({ err }, 'leadership change handler failed');
    }
  }

  private problem(err: unknown): void {
    const summary = summarizeApiError(err);
    const d = describe('LeaseFailed', `${this.o.namespace}/${this.o.name}`, summary.reason);
    this.o.metrics.providerErrors.labels('kubernetes', d.code).inc();
    const key = `${summary.status}|${summary.reason}`;
    if (key === this.lastProblem) this.log.debug({ code: d.code, status: summary.status }, d.message);
    else this.log.warn({ code: d.code, status: summary.status }, d.message);
    this.lastProblem = key;
  }
}
