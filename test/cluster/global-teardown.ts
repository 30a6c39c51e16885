// Jest globalTeardown for jest.integration.config.js: stop the cluster globalSetup started
// (a reused cluster is left running). Self-contained: Jest loads it outside its module system.
import type { GlobalClusterSlot } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const slot = (globalThis as Record<string, unknown>)['__SLUICE_IT_CLUSTER__'] as GlobalClusterSlot | undefined;
  if (slot?.cluster && !slot.reused) await slot.cluster.stop();
}
