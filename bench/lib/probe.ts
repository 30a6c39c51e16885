// An open probe loop in its own thread: one GET every `intervalMs` whatever the answers, latency
// counted from the scheduled send, so a stall shows in every probe due during it (a closed loop
// records one slow sample per stall, which p99 then hides). Its own event loop keeps the
// orchestrator's work (writing files, reading /proc, polling metrics) out of the numbers.
// Sample times are epoch milliseconds (performance.timeOrigin + now), comparable across threads.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { HttpClient, sleep } from './net.ts';
import { percentile, round } from './stats.ts';

export interface ProbeTarget {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface ProbeSample {
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
}

export interface ProbeSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
}

/** Now, in the time base of the samples. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export function summarize(samples: readonly ProbeSample[], from: number, to: number): ProbeSummary {
  const window = samples.filter((s) => s.at >= from && s.at < to);
  const ms = window.map((s) => s.ms);
  return { count: window.length, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), maxMs: round(ms.length ? Math.max(...ms) : NaN), errors: window.filter((s) => !s.ok).length };
}

/** Starts the loop in a thread; `stop()` ends it and returns every sample. */
export function startProbeLoop(target: ProbeTarget): { stop(): Promise<ProbeSample[]> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: target });
  const samples = new Promise<ProbeSample[]>((resolve, reject) => {
    worker.once('message', (m: ProbeSample[]) => resolve(m));
    worker.once('error', reject);
  });
  let stopped: Promise<ProbeSample[]> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        worker.postMessage('stop');
        const result = await samples;
        await worker.terminate();
        return result;
      })();
      return stopped;
    },
  };
}

async function runLoop(target: ProbeTarget): Promise<void> {
  const client = new HttpClient({ maxSockets: 256 });
  const samples: ProbeSample[] = [];
  const inflight = new Set<Promise<void>>();
  let running = true;
  parentPort!.once('message', () => (running = false));
  const start = epochMs();
  for (let i = 0; running; i++) {
    const due = start + i * target.intervalMs;
    const wait = due - epochMs();
    if (wait > 0) await sleep(wait);
    const p: Promise<void> = client
      .get(target.port, target.host, target.path, target.timeoutMs)
      .then(
        (r) => void samples.push({ at: due, ms: epochMs() - due, ok: r.status === 200 }),
        () => void samples.push({ at: due, ms: epochMs() - due, ok: false }),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  client.close();
  parentPort!.postMessage(samples);
}

if (!isMainThread && (workerData as ProbeTarget | undefined)?.intervalMs) void runLoop(workerData as ProbeTarget);
