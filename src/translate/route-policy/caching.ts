// spec.coalescing and spec.cache. Both have `enabled` (default true): enabled: false switches off
// what a less specific policy (the Gateway's) turned on, so the reading is null then.
import type { CachePolicy, CoalescingPolicy } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { ROUTE_POLICY_DEFAULTS } from './defaults.js';
import { parseQuantity } from './web.js';

export const MAX_WAITERS = 100_000;
/** 1 TiB: a bound to keep the arithmetic exact, not a recommendation. */
export const MAX_CACHE_BYTES = 1024 ** 4;

function enabled(spec: Readonly<Record<string, unknown>>, f: Fields): boolean {
  const v = spec['enabled'];
  if (v !== undefined && typeof v !== 'boolean') f.problem('enabled', `${JSON.stringify(v)} is not true or false`);
  return v !== false;
}

export function readCoalescing(value: unknown, f: Fields): CoalescingPolicy | null | undefined {
  const spec = f.object(value, 'coalescing');
  if (!spec) return undefined;
  const c = f.at('coalescing');
  const on = enabled(spec, c);
  const maxWaiters = c.integer(spec['maxWaiters'], 'maxWaiters', 1, MAX_WAITERS) ?? ROUTE_POLICY_DEFAULTS.coalescing.maxWaiters;
  const timeoutMs = c.duration(spec['timeout'], 'timeout') ?? ROUTE_POLICY_DEFAULTS.coalescing.timeoutMs;
  return on ? { maxWaiters, timeoutMs } : null;
}

export function readCache(value: unknown, f: Fields): CachePolicy | null | undefined {
  const spec = f.object(value, 'cache');
  if (!spec) return undefined;
  const c = f.at('cache');
  const on = enabled(spec, c);
  const bytes = (name: string, fallback: number): number => {
    const v = spec[name];
    if (v === undefined || v === null) return fallback;
    const n = parseQuantity(v);
    if (n === undefined) return c.problem(name, `${JSON.stringify(v)} is not a quantity of bytes ("64Mi", "1G", "4096")`), fallback;
    if (n < 1 || n > MAX_CACHE_BYTES) return c.problem(name, `${JSON.stringify(v)} is out of range (1 byte to 1Ti)`), fallback;
    return n;
  };
  const maxSizeBytes = bytes('maxSize', ROUTE_POLICY_DEFAULTS.cache.maxSizeBytes);
  const maxObjectSizeBytes = bytes('maxObjectSize', Math.min(ROUTE_POLICY_DEFAULTS.cache.maxObjectSizeBytes, maxSizeBytes));
  if (maxObjectSizeBytes > maxSizeBytes) c.problem('maxObjectSize', `must not exceed maxSize (${maxSizeBytes} bytes)`);
  const defaultTtlMs = c.duration(spec['defaultTTL'], 'defaultTTL', 0) ?? ROUTE_POLICY_DEFAULTS.cache.defaultTtlMs;
  return on ? { maxSizeBytes, maxObjectSizeBytes, defaultTtlMs } : null;
}
