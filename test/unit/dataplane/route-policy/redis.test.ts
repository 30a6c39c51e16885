// Global rate limits on a real redis-server: two independent limiters (Redis clients, and two
// data planes) share one limit and their sum stays within it; the script survives a SCRIPT
// FLUSH; with Redis gone requests pass (fail open), counted as errors, with the log rate limited.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createClient } from '@redis/client';
import { pino } from 'pino';
import { RedisBuckets } from '../../../../src/dataplane/route-policy/redis-limiter.js';
import { bucketShape } from '../../../../src/dataplane/route-policy/token-bucket.js';
import { silentLogger } from '../../../../src/log.js';
import { eventually, freePort } from '../../../support/wait.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { BACKEND, type Backend, closeServer, cluster, counterValue, get, type Plane, policyRoute, startBackend, startPlane } from './support.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

async function ready(b: RedisBuckets, key: string, shape = bucketShape({ requests: 1, unitMs: 1000, burst: 1 })): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await b.take(key, shape)) !== undefined) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('redis client never became ready');
}

describe('Redis buckets', () => {
  it('two independent limiters share one limit: their sum stays within limit + burst', async () => {
    const a = new RedisBuckets({ url: redis.url, log: silentLogger });
    const b = new RedisBuckets({ url: redis.url, log: silentLogger });
    try {
      await ready(a, 'warmup-a');
      await ready(b, 'warmup-b');
      const rule = { requests: 20, unitMs: 1000, burst: 10 };
      const shape = bucketShape(rule);
      const started = Date.now();
      let allowed = 0;
      let asked = 0;
      while (Date.now() - started < 500) {
        const takes = await Promise.all([a.take('shared', shape), b.take('shared', shape), a.take('shared', shape), b.take('shared', shape)]);
        for (const t of takes) {
          expect(t).toBeDefined();
          asked++;
          if (t!.allowed) allowed++;
        }
      }
      const elapsed = Date.now() - started;
      expect(asked).toBeGreaterThan(allowed);
      expect(allowed).toBeGreaterThanOrEqual(rule.burst);
      expect(allowed).toBeLessThanOrEqual(rule.burst + Math.ceil((elapsed * rule.requests) / rule.unitMs));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sends the script again after SCRIPT FLUSH (a restarted Redis)', async () => {
    const buckets = new RedisBuckets({ url: redis.url, log: silentLogger });
    const admin = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    try {
      await ready(buckets, 'flush-warmup');
      await admin.connect();
      await admin.sendCommand(['SCRIPT', 'FLUSH']);
      const shape = bucketShape({ requests: 1, unitMs: 60_000, burst: 2 });
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await buckets.take('flushed', shape));
      expect(results.map((r) => r?.allowed)).toEqual([true, true, false]);
      expect(results[2]!.retryAfterMs).toBeGreaterThan(59_000);
      expect(results[2]!.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await admin.close();
      await buckets.close();
    }
  });

  it('fails open while Redis is unreachable, with the log rate limited', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const buckets = new RedisBuckets({ url: `redis://127.0.0.1:${await freePort()}`, log: pino({ level: 'warn' }, sink), timeoutMs: 100 });
    try {
      const shape = bucketShape({ requests: 1, unitMs: 1000, burst: 1 });
      for (let i = 0; i < 20; i++) expect(await buckets.take('k', shape)).toBeUndefined();
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(lines[0]).toContain('fail open');
    } finally {
      await buckets.close();
    }
  });
});

describe('Global rate limit on two data planes', () => {
  let backend: Backend;
  let planes: Plane[];
  const route = policyRoute('global', '/', {
    rateLimit: { type: 'Global', rules: [{ clientSelectors: [{ headers: [{ name: 'x-api-key', type: 'Distinct' }] }], requests: 1, unitMs: 60_000, burst: 3 }] },
  });

  beforeAll(async () => {
    backend = await startBackend();
    planes = [];
    // Two data planes (as two replicas, each with two workers): a Global limit is not split.
    for (let i = 0; i < 2; i++) planes.push(await startPlane([route], [cluster(BACKEND, backend.port)], { redisUrl: redis.url, workers: 2 }));
  });

  afterAll(async () => {
    for (const p of planes) await p.stop();
    await closeServer(backend.server);
  });

  it('enforces one limit across both: exactly the burst passes, per key', async () => {
    // Until the planes' Redis clients are connected, requests pass: wait on an unrelated key.
    for (const p of planes) {
      for (let i = 0; i < 100 && (await counterValue(p.metrics, 'sluice_ratelimit_total', { route: 'global', result: 'allowed' })) === 0; i++) {
        await get(p.port, '/', { 'x-api-key': `warmup-${p.port}` });
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(planes[i % 2]!.port, '/', { 'x-api-key': 'k1' })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
    const other = await get(planes[1]!.port, '/', { 'x-api-key': 'k2' });
    expect(other.status).toBe(200);
  });

  it('lets requests through when Redis is down, counting errors; the route keeps serving', async () => {
    await redis.stop();
    const before = await counterValue(planes[0]!.metrics, 'sluice_ratelimit_total', { route: 'global', result: 'error' });
    for (let i = 0; i < 5; i++) expect((await get(planes[0]!.port, '/', { 'x-api-key': 'k1' })).status).toBe(200);
    expect(await counterValue(planes[0]!.metrics, 'sluice_ratelimit_total', { route: 'global', result: 'error' })).toBe(before + 5);
    redis = await startRedis(redis.port);
    // The client reconnects by itself: limiting resumes.
    const allowed = () => counterValue(planes[0]!.metrics, 'sluice_ratelimit_total', { route: 'global', result: 'allowed' });
    const was = await allowed();
    await eventually('limiting to resume after Redis is back', async () => (await get(planes[0]!.port, '/', { 'x-api-key': 'k3' }), (await allowed()) > was), 10_000, 100);
  });
});
