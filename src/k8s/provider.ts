// Placeholder until the Kubernetes provider lands (issue 3): fails clearly at start-up.
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Provider } from '../provider.js';
import type { Store } from '../store/store.js';
import type { Diagnostic } from '../translate/types.js';

export interface KubernetesProviderOptions {
  readonly config: Config;
  readonly store: Store;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export class KubernetesProvider implements Provider {
  constructor(_options: KubernetesProviderOptions) {}
  async start(): Promise<void> {
    throw new Error('the kubernetes provider is not available in this build; use --provider file');
  }
  async stop(): Promise<void> {}
  diagnostics(): readonly Diagnostic[] {
    return [];
  }
}
