// One route's stored responses: an LRU bounded by total bytes (body plus headers) with a per-entry
// ceiling. Entries are grouped by primary key (key.ts); a group remembers the Vary names of its
// latest response and holds one variant per secondary key. A response whose Vary names differ from
// its group's replaces the whole group (the origin changed what it varies on). Memory only, per
// worker process: workers do not share entries.
import type { IncomingHttpHeaders } from 'node:http';
import type { Freshness } from './freshness.js';
import { NO_NAMES } from './key.js';

/** Per-entry bookkeeping counted against maxSize besides headers and body. */
const ENTRY_OVERHEAD = 256;

export interface StoredResponse extends Freshness {
  readonly status: number;
  /** As the client gets them, without Age, X-Cache and Connection. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly varyNames: readonly string[];
  /** public, s-maxage or must-revalidate: may answer requests that carry Authorization (RFC 9111 §3.5). */
  readonly authorizedSharing: boolean;
}

export interface Entry {
  readonly response: StoredResponse;
  readonly size: number;
  readonly primary: string;
  readonly secondary: string;
}

interface Group {
  varyNames: readonly string[];
  readonly variants: Map<string, Entry>;
}

export function entrySize(r: Pick<StoredResponse, 'headers' | 'body'>): number {
  let size = ENTRY_OVERHEAD + r.body.length;
  for (const [name, value] of Object.entries(r.headers)) {
    if (value === undefined) continue;
    size += name.length + 4 + (Array.isArray(value) ? value.reduce((n, v) => n + v.length + 4, 0) : String(value).length);
  }
  return size;
}

export class CacheStore {
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
  private readonly groups = new Map<string, Group>();
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly lru = new Set<Entry>();
  private used = 0;
  /** Called after every change (the size gauges). */
  onChange: (() => void) | undefined;

  constructor(maxBytes: number, maxObjectBytes: number) {
    this.maxBytes = maxBytes;
    this.maxObjectBytes = Math.min(maxObjectBytes, maxBytes);
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.used;
  }

  /** The Vary names the group's latest response listed (none when unknown). */
  varyOf(primary: string): readonly string[] {
    return this.groups.get(primary)?.varyNames ?? NO_NAMES;
  }

  /** The variant for `secondary` (computed with varyOf's names), marked as recently used. */
  get(primary: string, secondary: string): Entry | undefined {
    const entry = this.groups.get(primary)?.variants.get(secondary);
    if (entry) {
      this.lru.delete(entry);
      this.lru.add(entry);
    }
    return entry;
  }

  /** Stores (or replaces) a variant; false when it is larger than maxObjectSize. */
  put(primary: string, secondary: string, response: StoredResponse): boolean {
    const size = entrySize(response);
    if (size > this.maxObjectBytes) return false;
    let group = this.groups.get(primary);
    if (group && !sameNames(group.varyNames, response.varyNames)) {
      this.invalidate(primary);
      group = undefined;
    }
    if (!group) this.groups.set(primary, (group = { varyNames: response.varyNames, variants: new Map() }));
    const old = group.variants.get(secondary);
    if (old) this.drop(old);
    const entry: Entry = { response, size, primary, secondary };
    group.variants.set(secondary, entry);
    this.lru.add(entry);
    this.used += size;
    while (this.used > this.maxBytes) this.remove(this.lru.values().next().value!);
    this.onChange?.();
    return true;
  }

  /** Drops every variant of a primary key (an unsafe method succeeded on it, RFC 9111 §4.4). */
  invalidate(primary: string): void {
    const group = this.groups.get(primary);
    if (!group) return;
    for (const entry of group.variants.values()) this.drop(entry);
    this.groups.delete(primary);
    this.onChange?.();
  }

  /** Drops one entry (and its group when it was the last variant). */
  remove(entry: Entry): void {
    this.drop(entry);
    const group = this.groups.get(entry.primary);
    if (!group || group.variants.get(entry.secondary) !== entry) return;
    group.variants.delete(entry.secondary);
    if (group.variants.size === 0) this.groups.delete(entry.primary);
    this.onChange?.();
  }

  private drop(entry: Entry): void {
    if (this.lru.delete(entry)) this.used -= entry.size;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
