// One list/watch of one resource, kept alive. client-node's ListWatch stops for good after any
// error other than a watch timeout or a 410 (a failed LIST, 401, 403, 500, connection refused),
// so this wrapper restarts it with exponential backoff and jitter, logs each distinct problem
// once (a repeat of the same problem goes to debug), counts every one, and reports "synced" once
// a LIST has succeeded (client-node resolves start() even when the LIST failed).
import { ADD, DELETE, ERROR, ListWatch, UPDATE, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../api/core.js';
import { describe } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { apiErrorName, KubeRequestError, summarizeApiError, type ApiErrorSummary } from './api-error.js';
import { Backoff, INFORMER_BACKOFF, type BackoffOptions } from './backoff.js';
import { toKubeObject } from './convert.js';
import { getJson, type JsonList } from './rest.js';

/** An informer that ran this long without error starts its backoff from the beginning again. */
const STABLE_AFTER_MS = 60_000;
const LIST_TIMEOUT_MS = 60_000;

export interface InformerHandlers {
  upsert(obj: KubeObject): void;
  remove(obj: KubeObject): void;
}

export interface ResourceInformerOptions {
  readonly kc: KubeConfig;
  /** What this informer watches, for logs: "secrets in all namespaces", "services in ns". */
  readonly description: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly path: string;
  readonly fieldSelector?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly handlers: InformerHandlers;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly backoff?: BackoffOptions;
}

export interface InformerProblem {
  readonly code: string;
  readonly message: string;
}

export class ResourceInformer {
  private readonly o: ResourceInformerOptions;
  private readonly log: Logger;
  private readonly informer: ListWatch<KubernetesObject>;
  private readonly backoff: Backoff;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private launchedAt = 0;
  private lastLogged: string | undefined;
  private failedSinceLaunch = false;
  private problemNow: InformerProblem | undefined;
  private markSynced!: () => void;
  /** Resolves once the first LIST has succeeded. */
  readonly synced: Promise<void>;

  constructor(options: ResourceInformerOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'informer', informer: options.description });
    this.backoff = new Backoff(options.backoff ?? INFORMER_BACKOFF);
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    const list = () => this.list();
    this.informer = new ListWatch<KubernetesObject>(options.path, new Watch(options.kc), list, false, options.labelSelector, options.fieldSelector);
    const upsert = (raw: KubernetesObject) => this.deliver(raw, (obj) => options.handlers.upsert(obj));
    this.informer.on(ADD, upsert);
    this.informer.on(UPDATE, upsert);
    this.informer.on(DELETE, (raw) => this.deliver(raw, (obj) => options.handlers.remove(obj)));
    this.informer.on(ERROR, (err: unknown) => this.failed(err));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.informer.stop();
  }

  isSynced(): boolean {
    return this.informer.latestResourceVersion() !== '';
  }

  /** The current problem, if the last attempt failed (cleared by the next successful LIST). */
  problem(): InformerProblem | undefined {
    return this.problemNow;
  }

  get description(): string {
    return this.o.description;
  }

  /** The LIST, as plain JSON (see rest.ts), with apiVersion/kind stamped on each item. */
  private async list(): Promise<{ metadata: { resourceVersion?: string }; items: KubernetesObject[] }> {
    const query = { fieldSelector: this.o.fieldSelector, labelSelector: this.o.labelSelector };
    const list = await getJson<JsonList>(this.o.kc, this.o.path, query, LIST_TIMEOUT_MS);
    const items: KubernetesObject[] = [];
    for (const raw of list.items ?? []) {
      const obj = toKubeObject(raw, this.o.apiVersion, this.o.kind);
      if (obj) items.push(obj as KubernetesObject);
    }
    return { metadata: { ...(list.metadata?.resourceVersion ? { resourceVersion: list.metadata.resourceVersion } : {}) }, items };
  }

  private async launch(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.launchedAt = Date.now();
    this.failedSinceLaunch = false;
    try {
      await this.informer.start();
    } catch (err) {
      this.failed(err); // start() itself should not throw, but a bug there must not stop us
      return;
    }
    if (this.stopped || !this.isSynced()) return;
    this.markSynced(); // the store holds a complete view even if the watch then failed
    if (this.failedSinceLaunch) return;
    if (this.problemNow) this.log.info('recovered: listing and watching again');
    this.problemNow = undefined;
    this.lastLogged = undefined;
  }

  private deliver(raw: KubernetesObject, apply: (obj: KubeObject) => void): void {
    const obj = toKubeObject(raw, this.o.apiVersion, this.o.kind);
    if (!obj) {
      this.log.warn('ignoring an object without metadata.name');
      return;
    }
    try {
      apply(obj);
    } catch (err) {
      // A store or pipeline bug must not kill the watch.
      this.log.error({ err, object: `${obj.metadata.namespace ?? ''}/${obj.metadata.name}` }, 'applying a watched object failed');
    }
  }

  private failed(err: unknown): void {
    if (this.stopped) return; // the abort of our own stop()
    const summary = summarizeApiError(err);
    const verb = err instanceof KubeRequestError ? err.verb : 'watch';
    const problem = this.describeProblem(summary, verb);
    this.problemNow = problem;
    this.failedSinceLaunch = true;
    this.o.metrics.providerErrors.labels('kubernetes', problem.code).inc();
    if (Date.now() - this.launchedAt > STABLE_AFTER_MS) this.backoff.reset();
    const retryInMs = this.backoff.next();
    // The same problem again (an outage, a missing permission) is logged once, not every retry.
    const key = `${problem.code}|${problem.message}`;
    const fields = { code: problem.code, status: summary.status, verb, retryInMs, attempt: this.backoff.attempts() };
    if (key === this.lastLogged) this.log.debug(fields, problem.message);
    else if (summary.status === 403 || summary.status === 401) this.log.error(fields, problem.message);
    else this.log.warn(fields, problem.message);
    this.lastLogged = key;
    if (!this.retryTimer) this.retryTimer = setTimeout(() => void this.launch(), retryInMs);
  }

  private describeProblem(summary: ApiErrorSummary, verb: string): InformerProblem {
    return describe(apiErrorName(summary), verb, this.o.description, summary.reason);
  }
}
