// Global rate limits: token buckets kept in Redis so that every Sluice replica (and every
// worker) draws from the same bucket. One request is one EVALSHA round trip of an atomic Lua
// script that refills by Redis's own clock (TIME: replicas with skewed clocks still agree) and
// takes a token; its state expires once the bucket would be full again. The numbers are those
// of token-bucket.ts (integer units). When Redis cannot answer in time — down, restarting,
// unreachable — the take reports an error and the caller lets the request through (fail open):
// an outage of the limiter must not become an outage of the routes.
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import type { Logger } from '../../log.js';
import { type BucketShape, outcome, type Take } from './token-bucket.js';

/** KEYS[1] bucket; ARGV capacity, cost, refill per ms (units). Returns { allowed, units left }. */
const SCRIPT = `
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'units', 'at')
local units = tonumber(state[1])
local at = tonumber(state[2])
if units == nil or at == nil then
  units = capacity
  at = now
elseif now > at then
  units = math.min(capacity, units + (now - at) * refill)
  at = now
end
local allowed = 0
if units >= cost then
  units = units - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'units', string.format('%.0f', units), 'at', string.format('%.0f', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - units) / refill) + 1000)
return { allowed, string.format('%.0f', units) }
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Where Global buckets live; `undefined` from take means "could not ask": fail open (the caller counts it). */
export interface GlobalBuckets {
  take(key: string, shape: BucketShape): Promise<Take | undefined>;
  close(): Promise<void>;
}

export interface RedisBucketsOptions {
  readonly url: string;
  readonly log: Logger;
  /** Longest wait for Redis's answer before the request passes (fail open). */
  readonly timeoutMs?: number;
}

/** Errors are logged at most once per this many ms (with the count of those left out). */
const LOG_EVERY_MS = 10_000;

export class RedisBuckets implements GlobalBuckets {
  private readonly client: ReturnType<typeof createClient>;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private lastLog = -Infinity;
  private unlogged = 0;
  private closed = false;

  constructor(options: RedisBucketsOptions) {
    this.log = options.log;
    this.timeoutMs = options.timeoutMs ?? 250;
    this.client = createClient({
      url: options.url,
      // Commands fail at once while disconnected rather than queue behind a reconnect.
      disableOfflineQueue: true,
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000) },
    });
    // A client without an error listener would crash the process on the first disconnect.
    this.client.on('error', (err: Error) => this.failed(err));
    this.client.connect().catch((err: unknown) => this.failed(err));
  }

  async take(key: string, shape: BucketShape): Promise<Take | undefined> {
    if (!this.client.isReady) {
      this.failed(new Error('redis is not connected'));
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        this.run(key, shape),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, this.timeoutMs, 'timeout'))),
      ]);
      if (reply === 'timeout') throw new Error(`redis did not answer within ${this.timeoutMs} ms`);
      const [allowed, units] = reply as [number, string];
      return outcome(shape, Number(units), allowed === 1);
    } catch (err) {
      this.failed(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(key: string, shape: BucketShape): Promise<unknown> {
    const options = { keys: [key], arguments: [String(shape.capacity), String(shape.cost), String(shape.refillPerMs)] };
    try {
      return await this.client.evalSha(SCRIPT_SHA, options);
    } catch (err) {
      // First use on this Redis (or after SCRIPT FLUSH / a restart): send the script itself.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await this.client.eval(SCRIPT, options);
    }
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastLog < LOG_EVERY_MS) {
      this.unlogged++;
      return;
    }
    this.log.warn({ err, suppressed: this.unlogged }, 'global rate limit: redis unavailable, requests pass (fail open)');
    this.lastLog = now;
    this.unlogged = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}
