// The controller side of --workers N: forks N data-plane workers (node:cluster), broadcasts each
// published table to all of them, restarts a worker that dies (it gets the current table at
// once), aggregates their metrics, and drains them on shutdown.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { TableSink } from '../pipeline/pipeline.js';
import type { RoutingTable } from '../table/types.js';
import { type FromWorker, isMessage, type ToWorker, type WorkerMetricsJson } from './messages.js';

const RESTART_DELAY_MS = 1000;
const METRICS_TIMEOUT_MS = 2000;

export class WorkerPool implements TableSink {
  private readonly count: number;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private latest: { table: RoutingTable; generation: number } | undefined;
  private readonly ready = new Set<Worker>();
  private readonly acks = new Map<Worker, number>();
  private readonly waiters = new Set<() => void>();
  private metricsRequest = 0;
  private readonly metricsReplies = new Map<number, (m: WorkerMetricsJson) => void>();
  private stopping = false;

  constructor(count: number, metrics: Metrics, log: Logger) {
    this.count = count;
    this.metrics = metrics;
    this.log = log.child({ component: 'workers' });
  }

  /** Forks the workers and resolves once every one has its sockets open. */
  async start(): Promise<void> {
    // Each worker accepts on the shared socket itself (the kernel spreads connections),
    // rather than the primary accepting and handing every connection over.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    for (let i = 0; i < this.count; i++) this.fork();
    cluster.on('exit', (worker, code, signal) => {
      this.ready.delete(worker);
      this.acks.delete(worker);
      this.notify();
      if (this.stopping) return;
      this.log.error({ pid: worker.process.pid, code, signal }, 'data-plane worker died; restarting it');
      setTimeout(() => this.fork(), RESTART_DELAY_MS);
    });
    await this.until(() => this.ready.size === this.count);
  }

  /** Broadcasts a table; resolves when every live worker has installed it (or after 5 s). */
  async install(table: RoutingTable, generation: number): Promise<void> {
    this.latest = { table, generation };
    for (const w of this.ready) this.post(w, { type: 'sluice:table', generation, table });
    await Promise.race([
      this.until(() => [...this.ready].every((w) => (this.acks.get(w) ?? 0) >= generation)),
      new Promise<void>((r) => setTimeout(r, 5000).unref()),
    ]);
  }

  /** Prometheus text of the controller's metrics summed with every worker's. */
  async metricsText(): Promise<string> {
    const replies = [...this.ready].map(
      (w) =>
        new Promise<WorkerMetricsJson>((resolve) => {
          const id = ++this.metricsRequest;
          const timer = setTimeout(() => {
            this.metricsReplies.delete(id);
            resolve([]);
          }, METRICS_TIMEOUT_MS);
          this.metricsReplies.set(id, (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          this.post(w, { type: 'sluice:metrics', id });
        }),
    );
    const all = [await this.metrics.registry.getMetricsAsJSON(), ...(await Promise.all(replies))];
    return AggregatorRegistry.aggregate(all as object[]).metrics();
  }

  /** Drains every worker (each lets in-flight requests finish within drainMs) and waits for exit. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exits = workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of workers) this.post(w, { type: 'sluice:stop', drainMs });
    const hardStop = setTimeout(() => workers.forEach((w) => w.kill('SIGKILL')), drainMs + 5000);
    await Promise.all(exits);
    clearTimeout(hardStop);
  }

  private fork(): void {
    const worker = cluster.fork({ SLUICE_WORKER: '1' });
    worker.on('message', (raw: unknown) => {
      if (!isMessage<FromWorker>(raw)) return;
      if (raw.type === 'sluice:ready') {
        this.ready.add(worker);
        if (this.latest) this.post(worker, { type: 'sluice:table', ...this.latest });
      } else if (raw.type === 'sluice:installed') {
        this.acks.set(worker, raw.generation);
      } else if (raw.type === 'sluice:metrics') {
        this.metricsReplies.get(raw.id)?.(raw.metrics);
        this.metricsReplies.delete(raw.id);
      }
      this.notify();
    });
  }

  private post(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  private until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}
