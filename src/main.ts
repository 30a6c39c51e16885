#!/usr/bin/env node
// Entry point: parses the config, then runs this process's side. The first process is the
// controller (controller.ts: provider, store, translation, status, admin), which forks --workers
// data-plane worker processes (1 by default, workers/worker.ts) that receive every published
// table over IPC: YAML parsing and translating a large table never delay a request. Each side is
// imported only in its own process, so neither carries the other's modules.
import cluster from 'node:cluster';
import { helpText, parseConfig } from './cli.js';
import type { Config } from './config/config.js';
import { SluiceError } from './errors.js';
import { createLogger } from './log.js';

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
  if (cluster.isWorker) {
    const { runWorker } = await import('./workers/worker.js');
    return runWorker(config, log.child({ worker: cluster.worker?.id }));
  }
  const { runController } = await import('./controller.js');
  return runController(config, log);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A coded error (e.g. no kubeconfig) is a clear sentence; anything else is a bug: show the stack.
  if (err instanceof SluiceError) console.error(`sluice: ${err.message} [${err.code}]`);
  else console.error('sluice: fatal:', err);
  process.exit(1);
});
