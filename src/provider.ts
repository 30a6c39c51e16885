import type { Diagnostic } from './translate/types.js';

/** A source of Kubernetes objects feeding the store (kubernetes informers, or a YAML directory). */
export interface Provider {
  /** Starts watching; resolves once the store holds a complete initial view (the sync gate). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Problems reading the source right now (e.g. files that do not parse), for /debug/routes. */
  diagnostics(): readonly Diagnostic[];
}
