import { WATCHED_KINDS, type KindToObject, type WatchedKind } from '../api/kinds.js';

/** A frozen, sorted (namespace, then name) view of every stored object, by kind. */
export type Snapshot = { readonly [K in WatchedKind]: readonly KindToObject[K][] };

export function emptySnapshot(): Snapshot {
  const s = {} as Record<WatchedKind, readonly unknown[]>;
  for (const kind of Object.keys(WATCHED_KINDS) as WatchedKind[]) s[kind] = Object.freeze([]);
  return Object.freeze(s) as Snapshot;
}

/** Builds a snapshot from loose objects (tests, golden files): sorts and freezes. */
export function snapshotOf(objects: Partial<{ [K in WatchedKind]: readonly KindToObject[K][] }>): Snapshot {
  const s = { ...emptySnapshot() } as Record<WatchedKind, readonly unknown[]>;
  for (const [kind, list] of Object.entries(objects) as [WatchedKind, KindToObject[WatchedKind][]][]) {
    s[kind] = Object.freeze([...list].sort(byNamespaceName));
  }
  return Object.freeze(s) as Snapshot;
}

export function byNamespaceName(
  a: { metadata: { namespace?: string; name: string } },
  b: { metadata: { namespace?: string; name: string } },
): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
