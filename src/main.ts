#!/usr/bin/env node
// Composition root: config → provider → store → pipeline → data plane, plus the admin server,
// signals and graceful shutdown. The only place that knows every part.
//
// This process is the controller (provider, store, translation, status, admin) and forks
// --workers data-plane worker processes (1 by default) that receive every published table over
// IPC: YAML parsing and translating a large table never delay a request.
import cluster from 'node:cluster';
import { startAdmin } from './admin/server.js';
import { helpText, parseConfig } from './cli.js';
import type { Config } from './config/config.js';
import { socketPortFor } from './dataplane/ports.js';
import { SluiceError } from './errors.js';
import { FileProvider } from './file/provider.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { ActiveHealthChecker } from './healthcheck/prober.js';
import { Pipeline, type TableSink } from './pipeline/pipeline.js';
import type { Provider } from './provider.js';
import { Store } from './store/store.js';
import { startMemoryReclaimer } from './util/reclaim.js';
import { WorkerPool } from './workers/pool.js';
import { runWorker } from './workers/worker.js';

/** Controller RSS growth worth a memory-reducing GC once it settles, and how often to look. */
const RECLAIM = { growthBytes: 64 * 1024 * 1024, checkMs: 2000 } as const;

async function createProvider(config: Config, store: Store, deps: { log: Logger; metrics: Metrics }): Promise<Provider> {
  if (config.provider === 'file') return new FileProvider({ dir: config.manifestsDir!, maxManifestBytes: config.maxManifestBytes, store, ...deps });
  // Loaded lazily: only the kubernetes provider imports @kubernetes/client-node.
  const { KubernetesProvider } = await import('./k8s/provider.js');
  return new KubernetesProvider({ config, store, ...deps });
}

async function runController(config: Config, log: Logger): Promise<void> {
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
  // Not in workers: a memory-reducing GC there stalled requests for 100-300 ms.
  if (cluster.isWorker) return runWorker(config, log.child({ worker: cluster.worker?.id }));
  return runController(config, log);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A coded error (e.g. no kubeconfig) is a clear sentence; anything else is a bug: show the stack.
  if (err instanceof SluiceError) console.error(`sluice: ${err.message} [${err.code}]`);
  else console.error('sluice: fatal:', err);
  process.exit(1);
});
