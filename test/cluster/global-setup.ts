// Jest globalSetup for jest.integration.config.js: build the binaries (no-op when cached) and
// start ONE cluster for the whole run. Tests reach it through attachCluster() (harness.ts),
// which reads $SLUICE_IT_STATE_DIR/cluster.json; the env vars below are exported for them.
//
// If SLUICE_IT_STATE_DIR is already set and names a running cluster (e.g. one from up.sh),
// that cluster is reused and left running at the end. SLUICE_IT_APISERVER_ARGS adds apiserver
// flags (space-separated).
//
// Jest loads this file outside its module system (no moduleNameMapper), so harness.ts is
// imported by absolute path at run time; Node >= 22.18 strips its types natively.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Harness from './harness.js';

/** Shared with global-teardown.ts through globalThis (same process). */
export interface GlobalClusterSlot {
  cluster?: Harness.Cluster;
  reused?: boolean;
}

const SLOT = '__SLUICE_IT_CLUSTER__';

function exportEnv(cluster: Harness.Cluster): void {
  process.env['SLUICE_IT_STATE_DIR'] = cluster.stateDir;
  process.env['SLUICE_IT_APISERVER'] = cluster.server;
  process.env['SLUICE_IT_KUBECONFIG'] = cluster.kubeconfigPath;
  process.env['SLUICE_IT_CA_FILE'] = cluster.caFile;
  process.env['SLUICE_IT_HOST_ADDR'] = cluster.hostAddress;
}

export default async function globalSetup(_global: unknown, project: { rootDir: string }): Promise<void> {
  const slot: GlobalClusterSlot = {};
  (globalThis as Record<string, unknown>)[SLOT] = slot;
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  process.env['SLUICE_REPO_ROOT'] ??= project.rootDir;
  const harnessUrl = pathToFileURL(path.join(project.rootDir, 'test', 'cluster', 'harness.ts')).href;
  const harness = (await import(harnessUrl)) as typeof Harness;

  const existing = process.env['SLUICE_IT_STATE_DIR'];
  if (existing && fs.existsSync(path.join(existing, 'cluster.json'))) {
    const cluster = harness.attachCluster(existing);
    const ready = await cluster.request('GET', '/readyz').then((r) => r.status === 200, () => false);
    if (!ready) throw new Error(`globalSetup: SLUICE_IT_STATE_DIR=${existing} has no ready apiserver`);
    log(`globalSetup: reusing the cluster at ${cluster.server} (${existing})`);
    slot.cluster = cluster;
    slot.reused = true;
    exportEnv(cluster);
    return;
  }

  const t0 = Date.now();
  log('');
  // Extra kube-apiserver flags for debugging, e.g. SLUICE_IT_APISERVER_ARGS='--v=4'.
  const extraApiserverArgs = (process.env['SLUICE_IT_APISERVER_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');
  const cluster = await harness.startCluster({ log, extraApiserverArgs });
  slot.cluster = cluster;
  exportEnv(cluster);
  log(`globalSetup: cluster ready at ${cluster.server} in ${Date.now() - t0} ms (state ${cluster.stateDir})`);
}
