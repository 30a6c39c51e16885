// One RoutePolicy's spec (everything but targetRefs) → a reading per block. Unlike a
// BackendTrafficPolicy, a RoutePolicy is judged block by block: a valid block applies even when
// another is broken. A broken block is `invalid` with its problems; route-policy.ts drops it, or
// — for the security blocks — denies every request to the routes it targets (fail closed).
import type { Secret, Service } from '../../api/core.js';
import type { RoutePolicy } from '../../api/sluice.js';
import type { CachePolicy, CoalescingPolicy, CompressionPolicy, CorsPolicy, BasicAuthPolicy, ForwardAuthPolicy, IpAccessPolicy, RateLimitPolicy, SourceRef } from '../../table/types.js';
import type { ClusterRegistry } from '../clusters.js';
import { Fields } from '../policy/fields.js';
import { readBasicAuth } from './basic-auth.js';
import { readCache, readCoalescing } from './caching.js';
import { readCompression } from './compression.js';
import { readCors } from './cors.js';
import { readForwardAuth } from './forward-auth.js';
import { readIpAccess } from './ip-access.js';
import { readRateLimit } from './rate-limit.js';

/** What each block puts on a route; null: switched off (enabled: false). */
export interface BlockValues {
  readonly rateLimit: RateLimitPolicy;
  readonly compression: CompressionPolicy;
  readonly cors: CorsPolicy;
  readonly ipAccess: IpAccessPolicy;
  readonly basicAuth: BasicAuthPolicy;
  readonly forwardAuth: ForwardAuthPolicy;
  readonly coalescing: CoalescingPolicy | null;
  readonly cache: CachePolicy | null;
}

export type Block = keyof BlockValues;

/** In the order a request meets them (and the table lists them). */
export const BLOCKS: readonly Block[] = ['ipAccess', 'rateLimit', 'cors', 'basicAuth', 'forwardAuth', 'coalescing', 'cache', 'compression'];

/** Blocks that keep requests out: broken, they deny everything rather than let everything in. */
export const SECURITY_BLOCKS: ReadonlySet<Block> = new Set<Block>(['ipAccess', 'basicAuth', 'forwardAuth']);

export type Reading<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };
export type BlockReading<B extends Block> = Reading<BlockValues[B]>;

export type SpecReadings = { -readonly [B in Block]?: BlockReading<B> };

export interface SpecInputs {
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly services: ReadonlyMap<string, Service>;
  readonly clusters: ClusterRegistry;
}

/** One block read with its own problem list; undefined when the spec does not have it. */
function readBlock<T>(spec: Readonly<Record<string, unknown>>, block: Block, reader: (value: unknown, f: Fields) => T | undefined): Reading<T> | undefined {
  const value = spec[block];
  if (value === undefined || value === null) return undefined;
  const problems: string[] = [];
  const result = reader(value, new Fields('spec', (m) => problems.push(m)));
  if (problems.length > 0 || result === undefined) return { ok: false, problems: problems.length > 0 ? problems : [`spec.${block}: is not usable`] };
  return { ok: true, value: result };
}

export function readRoutePolicySpec(policy: RoutePolicy, source: SourceRef, inputs: SpecInputs): SpecReadings {
  const namespace = policy.metadata.namespace ?? 'default';
  const raw: unknown = policy.spec;
  const spec = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Readonly<Record<string, unknown>>) : {};
  const out: SpecReadings = {};
  const set = <B extends Block>(block: B, reading: BlockReading<B> | undefined): void => {
    if (reading) out[block] = reading as SpecReadings[B];
  };
  set('ipAccess', readBlock(spec, 'ipAccess', readIpAccess));
  set('rateLimit', readBlock(spec, 'rateLimit', readRateLimit));
  set('cors', readBlock(spec, 'cors', readCors));
  set('basicAuth', readBlock(spec, 'basicAuth', (v, f) => readBasicAuth(v, f, namespace, inputs.secrets)));
  const forwardAuth = readBlock(spec, 'forwardAuth', (v, f) => readForwardAuth(v, f, namespace, inputs.services));
  if (forwardAuth) {
    // The auth Service becomes a cluster only once its block is valid.
    if (!forwardAuth.ok) set('forwardAuth', forwardAuth);
    else {
      const { backend, ...rest } = forwardAuth.value;
      set('forwardAuth', { ok: true, value: { ...rest, cluster: inputs.clusters.resolve(backend, source) } });
    }
  }
  set('coalescing', readBlock(spec, 'coalescing', readCoalescing));
  set('cache', readBlock(spec, 'cache', readCache));
  set('compression', readBlock(spec, 'compression', readCompression));
  return out;
}
