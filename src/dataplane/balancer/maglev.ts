// Consistent hashing by Maglev (Eisenbud et al., NSDI 2016): a lookup table of a prime size M
// where each endpoint owns about M/N slots; a request's key hash selects slot hash mod M.
// Each endpoint fills slots along its own permutation (offset, offset + skip, …, from two
// independent hashes of its key), endpoints taking turns, so adding or removing one endpoint
// moves little more than the 1/N of slots it gains or loses.
//
// Stable across processes: the table depends only on the set of endpoint keys (sorted by key,
// duplicates dropped) and the size, never on array order, clock or randomness, so every worker
// and replica given the same endpoints picks the same endpoint for the same key.
//
// Skipped endpoints (tried, ejected) are stepped over by probing the following slots, whose
// owners are spread over all endpoints: an ejected endpoint's keys are shared by the others,
// and a retry of the same key lands on the same second choice. Slow start does not apply
// (shifting shares over time would move keys). Requests without a key take turns (round robin).
//
// The table is built on the first pick that has a key, not when the endpoints change: a
// cluster whose endpoints flap without traffic costs nothing. Build time is measured by
// bench/balancers.ts (about N + M·ln M slot probes).
import type { Balancer, PickContext, SkipSet, UpstreamTarget } from './balancer.js';
import { RoundRobinBalancer } from './round-robin.js';
import { MAGLEV_OFFSET_SEED, MAGLEV_SKIP_SEED, stableHash } from './stable-hash.js';

/** Envoy's default: about 650 slots per endpoint at 100 endpoints. */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
/** Envoy's maximum; a bigger size is clamped to it (a table is 2 bytes per slot below 65535 endpoints). */
export const MAX_MAGLEV_TABLE_SIZE = 5000011;
/** Slots probed past a skipped owner before walking the endpoints in key order. */
const PROBES = 64;

export type MaglevTable = Uint16Array | Uint32Array;

export class MaglevBalancer implements Balancer {
  /** Distinct endpoints sorted by key: the table's values index this. */
  private readonly endpoints: readonly UpstreamTarget[];
  private readonly size: number;
  private readonly unkeyed: RoundRobinBalancer;
  private table: MaglevTable | undefined;

  constructor(targets: readonly UpstreamTarget[], tableSize: number | undefined) {
    this.endpoints = distinctByKey(targets);
    this.size = maglevTableSize(tableSize);
    this.unkeyed = new RoundRobinBalancer(targets);
  }

  pick(context: PickContext, skip: SkipSet | undefined): UpstreamTarget | undefined {
    const hash = context.hashKey;
    const endpoints = this.endpoints;
    if (hash === undefined || endpoints.length === 0) return this.unkeyed.pick(context, skip);
    const table = (this.table ??= buildMaglevTable(endpoints.map((e) => e.key), this.size));
    const size = this.size;
    let slot = (hash >>> 0) % size;
    const first = table[slot]!;
    let target = endpoints[first]!;
    if (!skip || !skip.skips(target)) return target;
    for (let probe = 1; probe < PROBES; probe++) {
      slot = slot + 1 === size ? 0 : slot + 1;
      target = endpoints[table[slot]!]!;
      if (!skip.skips(target)) return target;
    }
    // Almost everything is skipped: the first endpoint not skipped after the first choice in key order.
    const n = endpoints.length;
    for (let s = 1, i = first + 1 === n ? 0 : first + 1; s < n; s++, i = i + 1 === n ? 0 : i + 1) {
      if (!skip.skips(endpoints[i]!)) return endpoints[i];
    }
    return undefined;
  }
}

/**
 * The Maglev lookup table for `keys` (each slot holds an index into `keys`): identical for
 * identical keys and size. `size` must be a prime (maglevTableSize makes one), so that every
 * permutation step visits all slots.
 */
export function buildMaglevTable(keys: readonly string[], size: number): MaglevTable {
  const n = keys.length;
  const table = n < 0xffff ? new Uint16Array(size) : new Uint32Array(size);
  if (n === 0) return table;
  const taken = new Uint8Array(size);
  // Each endpoint's next candidate slot and its permutation step (1 … size − 1).
  const position = new Int32Array(n);
  const step = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    position[i] = stableHash(keys[i]!, MAGLEV_OFFSET_SEED) % size;
    step[i] = (stableHash(keys[i]!, MAGLEV_SKIP_SEED) % (size - 1)) + 1;
  }
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      let p = position[i]!;
      const s = step[i]!;
      while (taken[p]) {
        p += s;
        if (p >= size) p -= size;
      }
      table[p] = i;
      taken[p] = 1;
      p += s;
      position[i] = p >= size ? p - size : p;
      if (++filled === size) return table;
    }
  }
}

/** The table size to use for a policy's: the default when unset, else the smallest prime ≥ it within [2, MAX_MAGLEV_TABLE_SIZE]. */
export function maglevTableSize(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return DEFAULT_MAGLEV_TABLE_SIZE;
  let size = Math.min(Math.max(2, Math.ceil(requested)), MAX_MAGLEV_TABLE_SIZE);
  while (!isPrime(size)) size++;
  return size;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function distinctByKey(targets: readonly UpstreamTarget[]): UpstreamTarget[] {
  // Code-unit order (not localeCompare): the same in every process whatever its locale.
  const sorted = [...targets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.filter((t, i) => i === 0 || t.key !== sorted[i - 1]!.key);
}
