// Builds snapshots from YAML text, the same way the file provider reads manifests.
import type { KubeObject } from '../../../src/api/core.js';
import type { WatchedKind } from '../../../src/api/kinds.js';
import { parseManifest } from '../../../src/file/provider.js';
import { snapshotOf, type Snapshot } from '../../../src/store/snapshot.js';

export function objectsFromYaml(text: string, file = 'test.yaml'): KubeObject[] {
  const { objects, problems } = parseManifest(file, text);
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('\n'));
  return objects;
}

export function snapshotFromObjects(objects: readonly KubeObject[]): Snapshot {
  const byKind: Record<string, KubeObject[]> = {};
  for (const o of objects) (byKind[o.kind] ??= []).push(o);
  return snapshotOf(byKind as Partial<Record<WatchedKind, never[]>>);
}

export function snapshotFromYaml(text: string): Snapshot {
  return snapshotFromObjects(objectsFromYaml(text));
}
