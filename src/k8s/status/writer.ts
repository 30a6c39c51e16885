// The one status writer: every status Sluice writes (Ingress load-balancer addresses, Gateway
// API conditions, and whatever kind comes next) is an entry { target, compute(current, now) }
// from a small per-kind source. One pass brings every entry up to date, as the leader only:
// skip when the store's copy already shows what compute wants (no request); else
// read → compute → skip if equal → replace the status subresource, a 409 conflict retried with a
// fresh read (bounded); a pass with failures is retried with backoff (sync-loop.ts). Our writes
// come back through the watch as status-only changes, which the store ignores (no rebuild).
import { describe } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { StatusUpdate } from '../../translate/types.js';
import { stableStringify } from '../../util/compare.js';
import { isConflict, isNotFound, summarizeApiError } from '../api-error.js';
import { StatusSyncLoop } from './sync-loop.js';
import { describeTarget, type StatusTarget } from './target.js';

const CONFLICT_ATTEMPTS = 5;

export type WriteOutcome = 'written' | 'unchanged' | 'gone' | 'failed';

export interface StatusEntry {
  readonly target: StatusTarget;
  /** The status to write, given the object's current status; undefined: nothing to write. */
  readonly compute: (current: unknown, now: string) => unknown;
  /** Always read the object: the entry undoes a write of ours the store may not have seen yet. */
  readonly uncached?: boolean;
  /** How the entry ended, for a source that remembers what it wrote. */
  readonly settled?: (outcome: WriteOutcome) => void;
}

/** One kind's (or family's) contribution: its share of the published statuses, as entries. */
export interface StatusEntrySource {
  /** Names the kinds in the log line of a write: "<name> status written". */
  readonly name: string;
  /** The statuses of the latest published table (a source keeps those of its kinds). */
  publish(statuses: readonly StatusUpdate[]): void;
  /** The entries to bring up to date, read lazily during one pass. */
  entries(): Iterable<StatusEntry>;
}

/** An object as read from the apiserver; what is replaced is the same object with a new status. */
export type StatusObject = Readonly<Record<string, unknown>> & { readonly status?: unknown };

/** The writer's only way to the apiserver: the status subresource of one object. */
export interface StatusClient {
  read(target: StatusTarget): Promise<StatusObject>;
  replace(target: StatusTarget, object: StatusObject): Promise<void>;
}

export interface StatusWriterOptions {
  readonly client: StatusClient;
  readonly sources: readonly StatusEntrySource[];
  /** The store's copy of an object (its status is kept current by the watch). */
  readonly cached: (target: StatusTarget) => { readonly status?: unknown } | undefined;
  readonly isLeader: () => boolean;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
}

/** RFC 3339 with seconds, as Kubernetes writes metav1.Time: the `now` every compute is given. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Whether a status needs writing: anything differs (key order aside). */
export function statusChanged(current: unknown, next: unknown): boolean {
  return stableStringify(current ?? {}) !== stableStringify(next);
}

function needsWrite(current: unknown, next: unknown): boolean {
  return next !== undefined && statusChanged(current, next);
}

export class StatusWriter {
  private readonly o: StatusWriterOptions;
  private readonly log: Logger;
  private readonly loop: StatusSyncLoop;

  constructor(options: StatusWriterOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'status-writer' });
    this.loop = new StatusSyncLoop(() => this.syncAll(), options.isLeader);
  }

  /** The statuses of the latest published table. */
  update(statuses: readonly StatusUpdate[]): void {
    for (const source of this.o.sources) source.publish(statuses);
    this.loop.schedule();
  }

  /** Re-check every entry (leadership gained, published address changed). */
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

  /** One pass over every entry; returns how many could not be brought up to date. */
  private async syncAll(): Promise<number> {
    let failures = 0;
    for (const source of this.o.sources) {
      for (const entry of source.entries()) {
        if (this.loop.stopping || !this.o.isLeader()) return failures;
        const outcome = await this.bring(entry, source.name);
        entry.settled?.(outcome);
        if (outcome === 'failed') failures++;
      }
    }
    return failures;
  }

  private now(): string {
    return timestamp(this.o.now?.() ?? new Date());
  }

  /**
   * One entry: nothing to do on the store's copy → no request; else read → compute → skip if
   * equal → replace, a 409 conflict (the object changed under us) retried with a fresh read a
   * bounded number of times. A failure is one warn line and a provider error metric.
   */
  private async bring(entry: StatusEntry, sourceName: string): Promise<WriteOutcome> {
    const { target } = entry;
    if (!entry.uncached) {
      const cached = this.o.cached(target)?.status;
      if (!needsWrite(cached, entry.compute(cached, this.now()))) return 'unchanged';
    }
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      try {
        const object = await this.o.client.read(target);
        const next = entry.compute(object.status, this.now());
        if (!needsWrite(object.status, next)) return 'unchanged';
        await this.o.client.replace(target, { ...object, status: next });
        this.log.info({ object: describeTarget(target) }, `${sourceName} status written`);
        return 'written';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        if (isConflict(err) && attempt < CONFLICT_ATTEMPTS) continue;
        const summary = summarizeApiError(err);
        const d = describe('StatusWriteFailed', describeTarget(target), summary.reason);
        this.o.metrics.providerErrors.labels('kubernetes', d.code).inc();
        this.log.warn({ code: d.code, status: summary.status }, d.message);
        return 'failed';
      }
    }
    return 'failed';
  }
}
