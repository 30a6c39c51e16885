import type { Published } from './pipeline/pipeline.js';
import type { Diagnostic } from './translate/types.js';

/** Where a provider can follow published tables (e.g. to write status). */
export interface PublishSource {
  onPublish(listener: (p: Published) => void): unknown;
}

/** A source of Kubernetes objects feeding the store (kubernetes informers, or a YAML directory). */
export interface Provider {
  /** Starts watching; resolves once the store holds a complete initial view (the sync gate). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Problems reading the source right now (e.g. files that do not parse), for /debug/routes. */
  diagnostics(): readonly Diagnostic[];
  /** Called once with the pipeline, for providers that act on what gets published. */
  attach?(source: PublishSource): void;
}
