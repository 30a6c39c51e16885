// Watches the kinds of one CRD-defined API group (Gateway API, Sluice's own) once their CRDs are
// served. Discovery runs at start: the kinds served then are watched and count for the sync gate;
// kinds not served (CRDs not installed) do not hold the gate back, and discovery is repeated
// every RECHECK_MS until all are watched, so a cluster that installs the CRDs after Sluice
// started needs no restart. Companions (Namespaces, for Gateway API) are watched along with the
// group's first kind.
import type { KubeConfig } from '@kubernetes/client-node';
import type { WatchedKind } from '../api/kinds.js';
import { describe } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { apiErrorName, summarizeApiError } from './api-error.js';
import { Backoff } from './backoff.js';
import { discoverGroup, type ServedGatewayResource } from './discovery.js';
import type { InformerProblem, ResourceInformer } from './informer.js';
import { crdResourcePath, type CrdGroup, type ResourceSpec } from './resources.js';

/** How often discovery is repeated while some kind of the group is not served. */
export const RECHECK_MS = 15_000;

/** A resource watched along with a group's first kind (it matters only once that kind does). */
export interface CrdCompanion {
  readonly spec: ResourceSpec;
  readonly path: string;
  readonly fieldSelector: string | undefined;
}

export interface CrdWatchOptions {
  readonly kc: KubeConfig;
  readonly watchNamespace: string | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Builds (does not start) an informer feeding the store. */
  readonly makeInformer: (spec: ResourceSpec, path: string, fieldSelector: string | undefined) => ResourceInformer;
  readonly recheckMs?: number;
  readonly discover?: (kc: KubeConfig) => Promise<ServedGatewayResource[]>;
}

export class CrdWatch {
  private readonly o: CrdWatchOptions;
  private readonly group: CrdGroup;
  private readonly companions: readonly CrdCompanion[];
  private readonly log: Logger;
  private readonly watching = new Map<WatchedKind, ResourceInformer>();
  private readonly failures = new Backoff({ initialMs: 1000, maxMs: 15_000, jitter: 0.2 });
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private announcedAbsent = false;
  private problemNow: InformerProblem | undefined;

  constructor(group: CrdGroup, options: CrdWatchOptions, companions: readonly CrdCompanion[] = []) {
    this.o = options;
    this.group = group;
    this.companions = companions;
    this.log = options.log.child({ component: `${group.name.toLowerCase().replaceAll(' ', '-')}-discovery` });
  }

  /** "Gateway API discovery", as diagnostics name it. */
  get description(): string {
    return `${this.group.name} discovery`;
  }

  /** Resolves once the first discovery has answered (or failed) and what it found has synced. */
  async start(): Promise<void> {
    const started = await this.check();
    await Promise.all(started.map((i) => i.synced));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.watching.values()].map((i) => i.stop()));
  }

  informers(): ResourceInformer[] {
    return [...this.watching.values()];
  }

  /** The discovery problem, if the last attempt failed. */
  problem(): InformerProblem | undefined {
    return this.problemNow;
  }

  /** One discovery pass; starts informers for newly served kinds and returns them. */
  private async check(): Promise<ResourceInformer[]> {
    this.timer = undefined;
    if (this.stopped) return [];
    let served: ServedGatewayResource[];
    try {
      served = await (this.o.discover ?? ((kc) => discoverGroup(kc, this.group)))(this.o.kc);
    } catch (err) {
      this.discoveryFailed(err);
      return [];
    }
    if (this.problemNow) this.log.info(`${this.group.name} discovery works again`);
    this.problemNow = undefined;
    this.failures.reset();
    if (this.stopped) return [];
    const started = served.filter((r) => !this.watching.has(r.spec.kind)).map((r) => this.watch(r));
    if (started.length > 0) {
      for (const c of this.companions) if (!this.watching.has(c.spec.kind)) started.push(this.add(c.spec.kind, this.o.makeInformer(c.spec, c.path, c.fieldSelector)));
    }
    const missing = this.group.resources.filter((r) => !this.watching.has(r.kind)).map((r) => r.plural);
    if (started.length > 0) this.log.info({ watching: served.map((r) => `${r.spec.plural}.${r.version}`), missing }, `${this.group.name} CRDs found: watching them`);
    if (missing.length > 0) {
      if (!this.announcedAbsent) this.log.info({ missing, recheckMs: this.recheckMs() }, `${this.group.name} CRDs not (all) installed: checking again periodically`);
      this.announcedAbsent = true;
      this.timer = setTimeout(() => void this.check(), this.recheckMs());
    }
    return started;
  }

  private watch(r: ServedGatewayResource): ResourceInformer {
    const path = crdResourcePath(this.group, r.spec, r.version, this.o.watchNamespace);
    return this.add(r.spec.kind, this.o.makeInformer(r.spec, path, undefined));
  }

  private add(kind: WatchedKind, informer: ResourceInformer): ResourceInformer {
    this.watching.set(kind, informer);
    informer.start();
    return informer;
  }

  private recheckMs(): number {
    return this.o.recheckMs ?? RECHECK_MS;
  }

  private discoveryFailed(err: unknown): void {
    const summary = summarizeApiError(err);
    const problem = describe(apiErrorName(summary), 'discover', `the ${this.group.name} group`, summary.reason);
    const repeated = this.problemNow?.message === problem.message;
    this.problemNow = problem;
    this.o.metrics.providerErrors.labels('kubernetes', problem.code).inc();
    const retryInMs = this.failures.next();
    const fields = { code: problem.code, status: summary.status, retryInMs };
    if (repeated) this.log.debug(fields, problem.message);
    else this.log.warn(fields, problem.message);
    if (!this.stopped) this.timer = setTimeout(() => void this.check(), retryInMs);
  }
}
