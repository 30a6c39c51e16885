#!/usr/bin/env node
// Composition root: config → provider → store → pipeline → data plane, plus the admin server,
// signals and graceful shutdown. The only place that knows every part.
import { startAdmin } from './admin/server.js';
import { helpText, parseConfig } from './cli.js';
import type { Config } from './config/config.js';
import { DataPlane } from './dataplane/dataplane.js';
import { SluiceError } from './errors.js';
import { FileProvider } from './file/provider.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { Provider } from './provider.js';
import { Store } from './store/store.js';

async function createProvider(config: Config, store: Store, deps: { log: ReturnType<typeof createLogger>; metrics: Metrics }): Promise<Provider> {
  if (config.provider === 'file') return new FileProvider({ dir: config.manifestsDir!, store, ...deps });
  // Loaded lazily: only the kubernetes provider imports @kubernetes/client-node.
  const { KubernetesProvider } = await import('./k8s/provider.js');
  return new KubernetesProvider({ config, store, ...deps });
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return;
  }
  let config: Config;
  try {
    config = parseConfig(argv);
  } catch (err) {
    if (err instanceof SluiceError) {
      console.error(`sluice: ${err.message} [${err.code}]`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const metrics = new Metrics();
  const store = new Store();
  const dataplane = new DataPlane({ config, metrics, log });
  const pipeline = new Pipeline({
    store,
    sink: dataplane,
    translateOptions: { ingressClass: config.ingressClass, watchNamespace: config.watchNamespace },
    debounce: config.debounce,
    metrics,
    log,
  });
  const provider = await createProvider(config, store, { log, metrics });
  let accepting = true;
  const admin = await startAdmin(
    {
      metrics,
      published: () => pipeline.current(),
      providerDiagnostics: () => provider.diagnostics(),
      socketPort: (l) => dataplane.socketPort(l),
      accepting: () => accepting,
    },
    config.adminBindAddress,
    config.adminPort,
  );
  await dataplane.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    accepting = false;
    log.info({ signal, drainMs: config.drainTimeoutMs }, 'shutting down: draining in-flight requests');
    pipeline.stop();
    await provider.stop().catch((err: unknown) => log.warn({ err }, 'provider stop failed'));
    await dataplane.stop(config.drainTimeoutMs);
    await admin.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await provider.start();
  await pipeline.markSynced();
  log.info({ provider: config.provider, httpPort: config.httpPort, adminPort: config.adminPort }, 'sluice started');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error('sluice: fatal:', err);
  process.exit(1);
});
