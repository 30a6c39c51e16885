// Store changes → (debounce) → translate → validate → install. EndpointSlice-only changes take
// the fast path: only the affected clusters' endpoint sets are recomputed, routes are not
// translated again, and the table keeps its routes version, so the data plane keeps its
// compiled routers (and the worker pool sends only the clusters). Nothing is built before the
// provider reports its initial sync; an invalid table is never installed.
import type { EndpointSlice } from '../api/core.js';
import { SERVICE_NAME_LABEL } from '../api/core.js';
import { fail } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Debouncer } from '../store/debounce.js';
import type { Store, StoreChange } from '../store/store.js';
import type { RoutingTable } from '../table/types.js';
import { validateTable } from '../table/validate.js';
import { resolveEndpoints } from '../translate/endpoints.js';
import { translate } from '../translate/translate.js';
import type { Diagnostic, StatusUpdate, TranslateOptions } from '../translate/types.js';
import { deepFreeze } from '../util/freeze.js';

/** What the pipeline has published: the table serving traffic and what came with it. */
export interface Published {
  readonly generation: number;
  readonly table: RoutingTable;
  readonly statuses: readonly StatusUpdate[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface TableSink {
  install(table: RoutingTable, generation: number): Promise<void>;
}

export interface PipelineOptions {
  readonly store: Store;
  readonly sink: TableSink;
  readonly translateOptions: TranslateOptions;
  readonly debounce: { readonly holdoffMs: number; readonly maxDelayMs: number };
  readonly metrics: Metrics;
  readonly log: Logger;
}

export class Pipeline {
  private readonly o: PipelineOptions;
  private readonly log: Logger;
  private readonly debouncer: Debouncer;
  private synced = false;
  private fullPending = false;
  private readonly pendingServices = new Set<string>();
  private endpointsScheduled = false;
  private generation = 0;
  private published: Published | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(p: Published) => void>();

  constructor(options: PipelineOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'pipeline' });
    this.debouncer = new Debouncer(options.debounce.holdoffMs, options.debounce.maxDelayMs, () => this.enqueue(() => this.rebuild()));
    options.store.onChange((c) => this.onChange(c));
  }

  /** Called once the provider holds a complete view; the first build happens now. */
  markSynced(): Promise<void> {
    this.synced = true;
    this.fullPending = true;
    return this.enqueue(() => this.rebuild());
  }

  current(): Published | undefined {
    return this.published;
  }

  onPublish(listener: (p: Published) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every queued build has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.running;
  }

  stop(): void {
    this.debouncer.stop();
  }

  private onChange(change: StoreChange): void {
    if (change.kind === 'EndpointSlice') {
      const svc = (change.object as EndpointSlice).metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && change.namespace) this.pendingServices.add(`${change.namespace}/${svc}`);
      if (!this.synced) return;
      // Fast path: no debounce beyond coalescing this tick's events.
      if (!this.endpointsScheduled) {
        this.endpointsScheduled = true;
        setImmediate(() => {
          this.endpointsScheduled = false;
          void this.enqueue(() => this.refreshEndpoints());
        });
      }
      return;
    }
    this.fullPending = true;
    if (this.synced) this.debouncer.trigger();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.running = this.running.then(job).catch((err: unknown) => {
      this.log.error({ err }, 'table build failed; the last good table keeps serving');
    });
    return this.running;
  }

  private async rebuild(): Promise<void> {
    if (!this.fullPending) return;
    this.fullPending = false;
    this.pendingServices.clear(); // a full translation resolves every endpoint set
    const started = performance.now();
    const result = translate(this.o.store.snapshot(), this.o.translateOptions);
    this.o.metrics.translateDuration.observe((performance.now() - started) / 1000);
    await this.publish(result.table, result.statuses, result.diagnostics, 'full');
  }

  private async refreshEndpoints(): Promise<void> {
    const prev = this.published;
    if (this.pendingServices.size === 0 || !prev) return;
    if (this.fullPending) return; // a full rebuild is queued and will include these slices
    const services = new Set(this.pendingServices);
    this.pendingServices.clear();
    const slices = this.o.store.snapshot().EndpointSlice;
    const byService = new Map<string, EndpointSlice[]>();
    for (const s of slices) {
      const key = `${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`;
      if (!services.has(key)) continue;
      let list = byService.get(key);
      if (!list) byService.set(key, (list = []));
      list.push(s);
    }
    let changed = false;
    const clusters = prev.table.clusters.map((c) => {
      const key = `${c.service.namespace}/${c.service.name}`;
      if (!services.has(key) || c.unresolved) return c;
      changed = true;
      return { ...c, endpoints: resolveEndpoints(byService.get(key) ?? [], c.portName) };
    });
    if (!changed) return;
    // Same listeners and routes version: the data plane keeps its compiled routers.
    const table = deepFreeze({ ...prev.table, clusters });
    await this.publish(table, prev.statuses, prev.diagnostics, 'endpoints');
  }

  private async publish(table: RoutingTable, statuses: readonly StatusUpdate[], diagnostics: readonly Diagnostic[], path: 'full' | 'endpoints'): Promise<void> {
    const problems = validateTable(table);
    if (problems.length > 0) {
      this.o.metrics.tableRejected.inc();
      const err = fail('TableInvalid', problems.slice(0, 10).join('; '));
      this.log.error({ code: err.code, problems }, err.message);
      return;
    }
    const generation = ++this.generation;
    // A full translation starts a new routes version (its generation); the fast path keeps it.
    const installed = path === 'full' ? deepFreeze({ ...table, routesVersion: generation }) : table;
    await this.o.sink.install(installed, generation);
    this.published = { generation, table: installed, statuses, diagnostics };
    this.o.metrics.tableSwaps.labels(path).inc();
    this.o.metrics.tableGeneration.set(generation);
    this.recordGauges(installed, diagnostics);
    this.log.info({ generation, path, listeners: installed.listeners.length, clusters: installed.clusters.length, diagnostics: diagnostics.length }, 'table installed');
    for (const l of this.listeners) l(this.published);
  }

  private recordGauges(table: RoutingTable, diagnostics: readonly Diagnostic[]): void {
    const m = this.o.metrics;
    m.endpoints.reset();
    for (const c of table.clusters) {
      let ready = 0;
      let terminating = 0;
      let notReady = 0;
      for (const e of c.endpoints) {
        if (e.ready) ready++;
        else if (e.serving && e.terminating) terminating++;
        else notReady++;
      }
      m.endpoints.labels(c.id, 'ready').set(ready);
      m.endpoints.labels(c.id, 'serving_terminating').set(terminating);
      m.endpoints.labels(c.id, 'not_ready').set(notReady);
    }
    m.diagnostics.reset();
    for (const d of diagnostics) m.diagnostics.labels(d.code, d.severity).inc();
  }
}
