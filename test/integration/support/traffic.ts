// Requests through Sluice: single requests and a continuous stream that records every answer.
import { Agent, request } from 'undici';
import type { Sluice } from './sluice.js';

export interface Answer {
  readonly at: number;
  readonly status: number;
  readonly body: string;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

export async function get(sluice: Sluice, host: string, path = '/'): Promise<Answer> {
  try {
    const res = await request(`http://${sluice.host}:${sluice.httpPort}${path}`, {
      headers: { host },
      dispatcher: agent,
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    return { at: performance.now(), status: res.statusCode, body: await res.body.text() };
  } catch (err) {
    return { at: performance.now(), status: 0, body: (err as Error).message };
  }
}

/** Sends requests back to back (with `concurrency` in flight) until stopped. */
export class RequestStream {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(sluice: Sluice, host: string, concurrency = 2, pauseMs = 2) {
    for (let i = 0; i < concurrency; i++) {
      this.loops.push(
        (async () => {
          while (this.running) {
            this.answers.push(await get(sluice, host));
            if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
          }
        })(),
      );
    }
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.answers;
  }

  failures(): Answer[] {
    return this.answers.filter((a) => a.status !== 200);
  }
}

export async function closeTraffic(): Promise<void> {
  await agent.close();
}

/** Which backends answered `count` requests, as a map body → hits. */
export async function spread(sluice: Sluice, host: string, count: number): Promise<Map<string, number>> {
  const hits = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const a = await get(sluice, host);
    const key = a.status === 200 ? a.body : `status ${a.status}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
  }
  return hits;
}
