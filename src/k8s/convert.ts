// Objects from the apiserver → the plain objects the store holds (src/api types).
import type { KubeObject } from '../api/core.js';

/** Stamps apiVersion/kind (list items lack them) and drops anything without a name. */
export function toKubeObject(raw: unknown, apiVersion: string, kind: string): KubeObject | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const meta = (raw as { metadata?: { name?: unknown } }).metadata;
  if (typeof meta !== 'object' || meta === null || typeof meta.name !== 'string' || meta.name === '') return undefined;
  return { ...(raw as object), apiVersion, kind } as KubeObject;
}
