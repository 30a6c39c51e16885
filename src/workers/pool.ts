// The controller side: forks the data-plane workers (node:cluster; one with --workers 1, so
// parsing and translating never run on a serving loop), broadcasts each published table to all
// of them — in pieces, and only the clusters when the routes version is unchanged — restarts a
// worker that dies (it gets the current table at once), aggregates their metrics, and drains
// them on shutdown. IPC uses the default JSON serialization: for a 10k-route table, V8's
// structured clone ('advanced') measured slower to serialize and to deserialize.
import cluster, { type Worker } from 'node:cluster';
import { fail } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { exposition, type ExpositionFormat } from '../metrics-exposition.js';
import type { TableSink } from '../pipeline/pipeline.js';
import type { RoutingTable } from '../table/types.js';
import type { HealthSnapshot } from '../dataplane/health/health.js';
import type { TrafficSnapshot } from '../dataplane/stats/traffic.js';
import type { CacheSnapshot } from '../dataplane/route-policy/response-sharing.js';
import { generatedDefaultCertificate } from '../dataplane/tls/default-certificate.js';
import { type ActiveVerdict, type FromWorker, isMessage, type QueryReply, type ToWorker, type WorkerQuery } from './messages.js';
import { splitTable, type TableTransfer } from './table-transfer.js';

const RESTART_DELAY_MS = 1000;
const QUERY_TIMEOUT_MS = 2000;
/**
 * Each data-plane worker's young-generation semi-space, in MiB. V8 sizes it from the heap limit:
 * 64 MiB with the 4 GiB limit it picks on a 24 GiB host, so under load a worker's new space held 128 MiB
 * (bench/README.md, Memory). Since Sluice's own HTTP/1.1 client a request leaves little garbage.
 * Interleaved A/Bs (2026-12-03, bench/node-flags-ab.ts, 10 s rounds of wrk -c64): 8 against 16,
 * 26,564 / 26,403 req/s, 37.3 / 37.5 µs per request, group RSS 197 / 211 MiB; 4 against 16 cost
 * 4 % (27,082 / 28,185 req/s) for 17 MiB less.
 */
export const WORKER_SEMI_SPACE_MIB = 8;

/** A node flag workers get unless the operator set that option (node's flags or NODE_OPTIONS). */
interface WorkerFlag {
  readonly flag: string;
  /** Matches an operator's own setting of the option, in any spelling node accepts. */
  readonly setBy: RegExp;
  /**
   * A V8 flag, and the node major version from which on it exists (20: every node this project
   * runs on). node cannot be asked about these: process.allowedNodeEnvironmentFlags lists only
   * what NODE_OPTIONS accepts.
   */
  readonly v8Since?: number;
}

const WORKER_FLAGS: readonly WorkerFlag[] = [
  { flag: `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`, setBy: /^--max[-_]semi[-_]space[-_]size(=|$)/ },
  // Node 24 keeps an AsyncContextFrame for AsyncLocalStorage and swaps it around every callback
  // and nextTick, used or not; a worker uses no AsyncLocalStorage (spans travel on the exchange),
  // so the swaps are pure cost. Interleaved A/B (2026-12-04, wrk -c64, 3 B, 8 × 4 s, nginx
  // 61,905 req/s in the same rounds): 27,538 → 29,202 req/s, 36.1 → 34.9 µs per request. With
  // the flag AsyncLocalStorage still works (on async_hooks); measure again if a worker adopts it.
  { flag: '--no-async-context-frame', setBy: /^--(no[-_])?(experimental-)?async[-_]context[-_]frame$/ },
  // V8 scavenges the young generation with helper threads besides the main one. A worker's
  // scavenges are short (little survives a request), and there is a worker per core: the
  // helpers have no core of their own and preempt the serving thread (or another worker), so the
  // pause grows instead of shrinking. Worker pinned to one CPU, wrk -c64, 4 × 5 s each,
  // interleaved (2026-12-07, --trace-gc): scavenge pause mean 0.42 → 0.34 ms, p99 1.27 → 0.87
  // ms. wrk's own saturation p99 in three interleaved A/Bs (bench/node-flags-ab.ts, 8–10 × 5 s):
  // −23 %, −9 %, 0 %; req/s +2 %, +3 %, −4 % — within the rounds' spread, RSS the same.
  // --single-threaded-gc shortens pauses too but costs ≈ 50 MiB RSS (no concurrent sweeping).
  { flag: '--no-parallel-scavenge', setBy: /^--(no[-_]?)?parallel[-_]scavenge$/, v8Since: 20 },
  // After a mark-compact V8 sets the next old-generation limit from the live size times a factor
  // it derives from GC and allocation speeds. A worker promotes little, so it picks the minimum
  // (1.1) and the limit lands the minimum step (16 MiB) above ≈ 15 MiB live: V8 then starts the
  // next incremental marking at once, and once a first mark-compact has run (e.g. after an idle
  // spell) the worker mark-compacts about once a second, 5–9 ms each on the serving thread.
  // Seen 2026-12-07 (--trace-gc, --trace-incremental-marking: "[HeapController] factor 1.1",
  // "Start (task) … limit 31MB / slack 16MB"), on 16 KiB bodies. A fixed factor of 2.5 leaves the
  // limit far enough above: interleaved A/B of 10 s rounds after 30 s of idle each (wrk -c64,
  // 16 KiB, 8 rounds, nginx in the same rounds): mark-compacts per round 6 → 0, p99 5.8 → 2.6 ×
  // nginx's (15.4 → 7.0 ms), req/s 0.47 → 0.49 × nginx, group RSS 199.5 → 203.4 MiB; small body
  // (1 mark-compact per round before): p99 and req/s within the rounds' spread, RSS +12 MiB.
  { flag: '--heap-growing-percent=150', setBy: /^--heap[-_]growing[-_]percent(=|$)/, v8Since: 20 },
  // When allocation goes quiet V8's memory reducer runs mark-compacts that favor memory, and
  // those keep nothing alive that optimized code refers to only weakly: after an idle spell such
  // objects (maps of per-request and per-connection objects, by all signs) are gone, the hot code
  // that embeds them is deoptimized ("embedded weak objects cleared": 86–166 code objects in
  // two of four idle spells of 50 s), and the next load re-optimizes 80–90 functions at once
  // (650–880 ms of TurboFan on V8's helper threads, which share the serving thread's core):
  // p99.9 of that round 49–240 ms (bench/README.md, "A stall at the start of a round"). Without favoring
  // memory the reducer still collects in idle spells, and keeps the code. Interleaved A/B
  // (2026-12-07, bench/node-flags-ab.ts, 8 rounds of wrk -c64 × 10 s, 50 s idle before each, 45 s
  // warm-up, nginx in the same rounds): worst round's p99.9 240 → 22 ms, median p99.9 26.2 →
  // 16.4 ms, p99 3.22 → 2.48 × nginx's, req/s 0.370 → 0.396 × nginx, group RSS +7 MiB under load
  // and before the rounds (+30 MiB in the first rounds: the idle heap shrinks less).
  { flag: '--no-memory-reducer-favors-memory', setBy: /^--(no[-_]?)?memory[-_]reducer[-_]favors[-_]memory$/, v8Since: 24 },
];

/**
 * The node flags a worker is forked with: the controller's, plus each of WORKER_FLAGS the
 * operator did not set and this node knows (an older node refuses a flag it does not know).
 */
export function workerExecArgv(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  nodeKnows: (flag: string) => boolean = (f) => process.allowedNodeEnvironmentFlags.has(f),
  nodeMajor: number = Number(process.versions.node.split('.')[0]),
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const known = (w: WorkerFlag) => (w.v8Since !== undefined ? nodeMajor >= w.v8Since : nodeKnows(w.flag.split('=')[0]!));
  const added = WORKER_FLAGS.filter((w) => !given.some((a) => w.setBy.test(a)) && known(w)).map((w) => w.flag);
  return [...execArgv, ...added];
}

export class WorkerPool implements TableSink {
  private readonly count: number;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private latest: { table: RoutingTable; generation: number } | undefined;
  private readonly ready = new Set<Worker>();
  private readonly acks = new Map<Worker, number>();
  private readonly waiters = new Set<() => void>();
  private lastQuery = 0;
  private readonly replies = new Map<number, (reply: FromWorker) => void>();
  private stopping = false;
  private started = false;
  /** Every current active health-check verdict, for a worker that (re)starts. */
  private activeVerdicts: () => Iterable<ActiveVerdict> = () => [];

  constructor(count: number, metrics: Metrics, log: Logger) {
    this.count = count;
    this.metrics = metrics;
    this.log = log.child({ component: 'workers' });
  }

  /**
   * Forks the workers and resolves once every one has its sockets open; rejects if one exits
   * before that (e.g. its port is taken: it has printed why).
   */
  async start(): Promise<void> {
    // Each worker accepts on the shared socket itself (the kernel spreads connections),
    // rather than the primary accepting and handing every connection over.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env['NODE_OPTIONS']) });
    let startFailed: (err: Error) => void = () => undefined;
    const failure = new Promise<never>((_resolve, reject) => (startFailed = reject));
    for (let i = 0; i < this.count; i++) this.fork();
    cluster.on('exit', (worker, code, signal) => {
      this.ready.delete(worker);
      this.acks.delete(worker);
      this.notify();
      if (this.stopping) return;
      if (!this.started) return startFailed(fail('WorkerStartFailed', signal ?? `exit code ${code}`));
      this.log.error({ pid: worker.process.pid, code, signal }, 'data-plane worker died; restarting it');
      setTimeout(() => this.fork(), RESTART_DELAY_MS);
    });
    await Promise.race([this.until(() => this.ready.size === this.count), failure]);
    this.started = true;
  }

  /** Broadcasts a table; resolves when every live worker has installed it (or after 5 s). */
  async install(table: RoutingTable, generation: number): Promise<void> {
    // Every ready worker was sent `latest`: an unchanged routes version needs only the clusters.
    const keepRoutes = table.routesVersion !== undefined && table.routesVersion === this.latest?.table.routesVersion;
    this.latest = { table, generation };
    const transfer = splitTable(table, keepRoutes);
    for (const w of this.ready) this.sendTable(w, transfer, generation);
    await Promise.race([
      this.until(() => [...this.ready].every((w) => (this.acks.get(w) ?? 0) >= generation)),
      new Promise<void>((r) => setTimeout(r, 5000).unref()),
    ]);
  }

  /** Where a (re)started worker gets the active health-check verdicts so far. */
  setVerdictSource(source: () => Iterable<ActiveVerdict>): void {
    this.activeVerdicts = source;
  }

  /** Sends active health-check verdicts to every ready worker. */
  broadcastVerdicts(verdicts: readonly ActiveVerdict[]): void {
    if (verdicts.length === 0) return;
    for (const w of this.ready) this.post(w, { type: 'sluice:active-health', verdicts });
  }

  /** The controller's metrics summed with every worker's (with their exemplars in OpenMetrics). */
  async exposition(format: ExpositionFormat): Promise<string> {
    const replies = await this.ask('sluice:metrics');
    return exposition([await this.metrics.registry.getMetricsAsJSON(), ...replies.map((r) => r?.metrics ?? [])], format);
  }

  /** Endpoint health as each live worker's balancers see it (each worker keeps its own). */
  async health(): Promise<HealthSnapshot[]> {
    return (await this.ask('sluice:health')).map((r) => r?.health ?? {});
  }

  /** Each live worker's rolling minute of traffic (merged by the admin server). */
  async traffic(): Promise<TrafficSnapshot[]> {
    return (await this.ask('sluice:stats')).flatMap((r) => (r ? [r.stats] : []));
  }

  /** Each live worker's cache and coalescing figures per route (each worker has its own). */
  async cache(): Promise<CacheSnapshot[]> {
    return (await this.ask('sluice:cache')).map((r) => r?.cache ?? {});
  }

  /** Asks every ready worker; a worker that does not answer in time counts as undefined. */
  private ask<Q extends WorkerQuery>(type: Q): Promise<(QueryReply<Q> | undefined)[]> {
    return Promise.all(
      [...this.ready].map(
        (w) =>
          new Promise<QueryReply<Q> | undefined>((resolve) => {
            const id = ++this.lastQuery;
            const timer = setTimeout(() => {
              this.replies.delete(id);
              resolve(undefined);
            }, QUERY_TIMEOUT_MS);
            this.replies.set(id, (reply) => {
              clearTimeout(timer);
              resolve(reply as QueryReply<Q>);
            });
            this.post(w, { type, id });
          }),
      ),
    );
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
      if (raw.type === 'sluice:ready' || raw.type === 'sluice:resync') {
        this.ready.add(worker);
        if (raw.type === 'sluice:ready') this.post(worker, { type: 'sluice:default-certificate', pair: generatedDefaultCertificate() });
        if (this.latest) this.sendTable(worker, splitTable(this.latest.table, false), this.latest.generation);
        // After the table, so the verdicts meet the clusters they name.
        if (raw.type === 'sluice:ready') this.post(worker, { type: 'sluice:active-health', verdicts: [...this.activeVerdicts()] });
      } else if (raw.type === 'sluice:installed') {
        this.acks.set(worker, raw.generation);
      } else if (raw.type === 'sluice:metrics' || raw.type === 'sluice:health' || raw.type === 'sluice:stats' || raw.type === 'sluice:cache') {
        this.replies.get(raw.id)?.(raw);
        this.replies.delete(raw.id);
      }
      this.notify();
    });
  }

  private sendTable(worker: Worker, transfer: TableTransfer, generation: number): void {
    for (const piece of transfer.pieces) this.post(worker, { type: 'sluice:table-piece', generation, piece });
    this.post(worker, { type: 'sluice:table-end', generation, keepRoutes: transfer.keepRoutes, routesVersion: transfer.routesVersion });
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
