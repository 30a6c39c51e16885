// A load generator in its own thread that keeps every request's outcome. The load: N
// keep-alive connections in a closed loop, each sending the next GET as soon as the previous
// one ended (the clients; their throughput and latency are the figures). Beside it an open-loop
// probe stream, one GET every 1/R s whatever the answers: when every client waits on a hung
// endpoint the closed loop sends nothing, so only the probes show whether the proxy would still
// pick that endpoint. wrk gives totals only; the failure scenarios need to know *when* requests
// failed (before or after an ejection) and how slow they were in each window. Times are epoch
// ms (Date.now()), the clock of the origin's arrival buckets and of the fault injection.
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { percentile } from './stats.ts';

export interface LoadTarget {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly connections: number;
  /** A request without a complete answer after this long counts as failed (status -1). */
  readonly timeoutMs: number;
  /** Requests per second of the open-loop probe stream (0: none). */
  readonly probeRatePerS: number;
}

/** One entry per finished request: send time, latency, status (0: connection error, -1: timeout), 1 when a probe. */
export interface LoadRecords {
  readonly at: Float64Array;
  readonly ms: Float64Array;
  readonly status: Int16Array;
  readonly probe: Uint8Array;
}

export interface WindowSummary {
  /** Of the clients (closed loop): requests, throughput, latency. */
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Of every request sent, clients and probes: how many, and which did not get a 200. */
  readonly sent: number;
  /** Anything but 200: 5xx answers, connection errors, timeouts. */
  readonly failed: number;
  readonly status5xx: number;
  readonly errors: number;
}

/** Requests sent in [from, to) (epoch ms). */
export function summarizeWindow(r: LoadRecords, from: number, to: number): WindowSummary {
  const ms: number[] = [];
  let sent = 0;
  let failed = 0;
  let status5xx = 0;
  let errors = 0;
  for (let i = 0; i < r.at.length; i++) {
    const at = r.at[i]!;
    if (at < from || at >= to) continue;
    sent++;
    const s = r.status[i]!;
    if (s !== 200) failed++;
    if (s >= 500) status5xx++;
    if (s <= 0) errors++;
    if (!r.probe[i]) ms.push(r.ms[i]!);
  }
  return { requests: ms.length, rps: ms.length / ((to - from) / 1000), p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), sent, failed, status5xx, errors };
}

/** Starts the load in a thread; `stop()` ends it (in-flight requests finish or time out) and returns every record. */
export function startLoad(target: LoadTarget): { stop(): Promise<LoadRecords> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: target });
  const records = new Promise<LoadRecords>((resolve, reject) => {
    worker.once('message', (m: LoadRecords) => resolve(m));
    worker.once('error', reject);
  });
  let stopped: Promise<LoadRecords> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        worker.postMessage('stop');
        const result = await records;
        await worker.terminate();
        return result;
      })();
      return stopped;
    },
  };
}

function once(agent: Agent, t: LoadTarget): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number) => {
      if (!done) {
        done = true;
        resolve(status);
      }
    };
    const req = request({ host: '127.0.0.1', port: t.port, path: t.path, agent, headers: { host: t.host } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', () => finish(0));
    });
    req.setTimeout(t.timeoutMs, () => {
      finish(-1);
      req.destroy();
    });
    req.on('error', () => finish(0));
    req.end();
  });
}

async function run(t: LoadTarget): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: t.connections, maxFreeSockets: t.connections });
  const probeAgent = new Agent({ keepAlive: true });
  const at: number[] = [];
  const ms: number[] = [];
  const status: number[] = [];
  const probe: number[] = [];
  let running = true;
  parentPort!.once('message', () => (running = false));
  const send = async (a: Agent, isProbe: number) => {
    const start = Date.now();
    const t0 = performance.now();
    const s = await once(a, t);
    at.push(start);
    ms.push(performance.now() - t0);
    status.push(s);
    probe.push(isProbe);
    return s;
  };
  const loop = async () => {
    while (running) {
      // A refused connection fails at once: do not spin on it.
      if ((await send(agent, 0)) === 0) await new Promise((r) => setTimeout(r, 1));
    }
  };
  const probes = async () => {
    const inflight = new Set<Promise<unknown>>();
    const interval = 1000 / t.probeRatePerS;
    const start = performance.now();
    for (let i = 1; running; i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, start + i * interval - performance.now())));
      if (!running) break;
      const p = send(probeAgent, 1).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  };
  await Promise.all([...Array.from({ length: t.connections }, loop), ...(t.probeRatePerS > 0 ? [probes()] : [])]);
  agent.destroy();
  probeAgent.destroy();
  const out: LoadRecords = { at: Float64Array.from(at), ms: Float64Array.from(ms), status: Int16Array.from(status), probe: Uint8Array.from(probe) };
  parentPort!.postMessage(out, [out.at.buffer as ArrayBuffer, out.ms.buffer as ArrayBuffer, out.status.buffer as ArrayBuffer, out.probe.buffer as ArrayBuffer]);
}

if (!isMainThread && (workerData as LoadTarget | undefined)?.connections) void run(workerData as LoadTarget);
