// The controller process: provider, store, translation, status, admin and active health checks;
// it forks the data-plane workers (src/workers/pool.ts). Imported only by the controller, so a
// worker never loads the provider, YAML, translation or the admin server.
import { startAdmin } from './admin/server.js';
import type { Config } from './config/config.js';
import { socketPortFor } from './dataplane/ports.js';
import { FileProvider } from './file/provider.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { ActiveHealthChecker } from './healthcheck/prober.js';
import { Pipeline, type TableSink } from './pipeline/pipeline.js';
import type { Provider } from './provider.js';
import { Store } from './store/store.js';
import { startMemoryReclaimer } from './util/reclaim.js';
import { WorkerPool } from './workers/pool.js';

/** Controller RSS growth worth a memory-reducing GC once it settles, and how often to look. */
const RECLAIM = { growthBytes: 64 * 1024 * 1024, checkMs: 2000 } as const;

async function createProvider(config: Config, store: Store, deps: { log: Logger; metrics: Metrics }): Promise<Provider> {
  if (config.provider === 'file') return new FileProvider({ dir: config.manifestsDir!, maxManifestBytes: config.maxManifestBytes, store, ...deps });
  // Loaded lazily: only the kubernetes provider imports @kubernetes/client-node.
  const { KubernetesProvider } = await import('./k8s/provider.js');
  return new KubernetesProvider({ config, store, ...deps });
}

export async function runController(config: Config, log: Logger): Promise<void> {
  const reclaimer = startMemoryReclaimer({ ...RECLAIM, log: log.child({ component: 'memory' }) });
  const metrics = new Metrics();
  const store = new Store();
  const serving = new WorkerPool(config.workers, metrics, log);
  // Active health checks run here, once per Sluice process; every worker gets the verdicts.
  const checker = new ActiveHealthChecker({
    onVerdict: (clusterId, key, healthy) => serving.broadcastVerdicts([{ clusterId, key, healthy }]),
    metrics: {
      result: (r) => metrics.healthChecks.labels(r).inc(),
      tlsFailure: (clusterId, reason) => metrics.healthCheckTlsFailures.labels(clusterId, reason).inc(),
    },
    log: log.child({ component: 'health-checks' }),
  });
  serving.setVerdictSource(() => checker.verdicts());
  const sink: TableSink = {
    install: (table, generation) => {
      checker.update(table);
      return serving.install(table, generation);
    },
  };
  const pipeline = new Pipeline({
    store,
    sink,
    translateOptions: {
      ingressClass: config.ingressClass,
      watchNamespace: config.watchNamespace,
      publishAddresses: config.publishAddress,
      defaultCertificate: config.defaultCertificate,
      gatewayAddressPool: config.gatewayAddressPool,
    },
    debounce: config.debounce,
    metrics,
    log,
  });
  pipeline.onPublish(() => reclaimer.noteWork());
  const provider = await createProvider(config, store, { log, metrics });
  provider.attach?.(pipeline);
  let accepting = true;
  const admin = await startAdmin(
    {
      metrics: (format) => serving.exposition(format),
      health: () => serving.health(),
      traffic: () => serving.traffic(),
      cache: () => serving.cache(),
      activeChecks: () => checker.snapshot(),
      published: () => pipeline.current(),
      providerDiagnostics: () => provider.diagnostics(),
      socketPort: (l) => socketPortFor(l.port, config),
      accepting: () => accepting,
    },
    { host: config.adminBindAddress, port: config.adminPort, debugRemote: config.debugRemote },
  );
  await serving.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    accepting = false;
    log.info({ signal, drainMs: config.drainTimeoutMs }, 'shutting down: draining in-flight requests');
    pipeline.stop();
    await checker.stop();
    await provider.stop().catch((err: unknown) => log.warn({ err }, 'provider stop failed'));
    await serving.stop(config.drainTimeoutMs);
    await admin.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await provider.start();
  await pipeline.markSynced();
  log.info({ provider: config.provider, httpPort: config.httpPort, adminPort: config.adminPort, workers: config.workers }, 'sluice started');
}

