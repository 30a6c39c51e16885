// The store keeps the current objects by kind and namespace/name. upsert/remove report whether a
// change matters: only a change outside status, resourceVersion, managedFields and generation
// counts, so our own status writes never loop back into rebuilds.
import { isWatchedObject, objectKey, WATCHED_KINDS, type WatchedKind } from '../api/kinds.js';
import type { KubeObject } from '../api/core.js';
import { stableStringify } from '../util/compare.js';
import { deepFreeze } from '../util/freeze.js';
import { byNamespaceName, type Snapshot } from './snapshot.js';

export interface StoreChange {
  readonly kind: WatchedKind;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly type: 'upsert' | 'remove';
  /** The object after an upsert, or the last known object before a remove. */
  readonly object: KubeObject;
}

interface Entry {
  readonly object: KubeObject;
  readonly fingerprint: string;
}

/** What identifies a change that matters: the object without fields the apiserver or we own. */
function fingerprint(obj: KubeObject): string {
  const { status: _status, metadata, ...rest } = obj as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata as typeof metadata & {
    managedFields?: unknown;
  };
  return stableStringify({ ...rest, metadata: meta });
}

export class Store {
  private readonly byKind = new Map<WatchedKind, Map<string, Entry>>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private cached: Snapshot | undefined;
  private readonly sortedByKind = new Map<WatchedKind, readonly KubeObject[]>();

  constructor() {
    for (const kind of Object.keys(WATCHED_KINDS) as WatchedKind[]) this.byKind.set(kind, new Map());
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces an object. Returns true when the change matters (and listeners ran). */
  upsert(obj: KubeObject): boolean {
    if (!isWatchedObject(obj)) return false;
    const kind = obj.kind as WatchedKind;
    const map = this.byKind.get(kind)!;
    const key = objectKey(obj);
    const fp = fingerprint(obj);
    const prev = map.get(key);
    if (prev?.fingerprint === fp) {
      map.set(key, { object: deepFreeze(obj), fingerprint: fp }); // keep the newest resourceVersion/status
      return false;
    }
    map.set(key, { object: deepFreeze(obj), fingerprint: fp });
    this.changed({ kind, namespace: obj.metadata.namespace, name: obj.metadata.name, type: 'upsert', object: obj });
    return true;
  }

  /** Removes an object. Returns true when it was present. */
  remove(kind: WatchedKind, namespace: string | undefined, name: string): boolean {
    const map = this.byKind.get(kind);
    const key = namespace ? `${namespace}/${name}` : name;
    const prev = map?.get(key);
    if (!map || !prev) return false;
    map.delete(key);
    this.changed({ kind, namespace, name, type: 'remove', object: prev.object });
    return true;
  }

  get(kind: WatchedKind, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byKind.get(kind)?.get(namespace ? `${namespace}/${name}` : name)?.object;
  }

  /** A frozen, sorted view; the same object until the next change that matters. */
  snapshot(): Snapshot {
    if (this.cached) return this.cached;
    const s = {} as Record<WatchedKind, readonly KubeObject[]>;
    for (const [kind, map] of this.byKind) {
      let sorted = this.sortedByKind.get(kind);
      if (!sorted) {
        sorted = Object.freeze([...map.values()].map((e) => e.object).sort(byNamespaceName));
        this.sortedByKind.set(kind, sorted);
      }
      s[kind] = sorted;
    }
    this.cached = Object.freeze(s) as unknown as Snapshot;
    return this.cached;
  }

  private changed(change: StoreChange): void {
    this.cached = undefined;
    this.sortedByKind.delete(change.kind);
    for (const l of this.listeners) l(change);
  }
}
