// Which CRD-defined kinds (Gateway API, Sluice's own) the apiserver serves, from discovery
// (GET /apis/<group>/<version>).
// Discovery is readable by every authenticated user (the system:discovery role), so it needs no
// grant in deploy/rbac.yaml. A 404 means the version is not served (CRDs not installed).
import type { KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from './api-error.js';
import { GATEWAY_API, GATEWAY_RESOURCES, type CrdGroup, type GatewayResourceSpec } from './resources.js';
import { requestJson } from './rest.js';

const DISCOVERY_TIMEOUT_MS = 10_000;

/** Resource names (plurals, without subresources) served per version of the group. */
export type ServedResources = ReadonlyMap<string, ReadonlySet<string>>;

/** A CRD-defined kind to watch, in the served version chosen for it. */
export interface ServedGatewayResource {
  readonly spec: GatewayResourceSpec;
  readonly version: string;
}

/** Each kind we read in its most preferred served version; kinds not served are left out. */
export function chooseVersions(served: ServedResources, resources: readonly GatewayResourceSpec[] = GATEWAY_RESOURCES): ServedGatewayResource[] {
  const out: ServedGatewayResource[] = [];
  for (const spec of resources) {
    const version = spec.versions.find((v) => served.get(v)?.has(spec.plural));
    if (version) out.push({ spec, version });
  }
  return out;
}

/** The resources of one discovery document (APIResourceList); subresources ("x/status") dropped. */
export function resourceNames(list: unknown): Set<string> {
  const resources = (list as { resources?: unknown } | undefined)?.resources;
  const names = new Set<string>();
  if (!Array.isArray(resources)) return names;
  for (const r of resources) {
    const name = (r as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && !name.includes('/')) names.add(name);
  }
  return names;
}

/** Asks the apiserver about one group; rejects on anything but an answer (200, or 404 for "not served"). */
export async function discoverGroup(kc: KubeConfig, group: CrdGroup): Promise<ServedGatewayResource[]> {
  const versions = [...new Set(group.resources.flatMap((r) => r.versions))];
  const served = new Map<string, Set<string>>();
  for (const version of versions) {
    const path = `/apis/${group.group}/${version}`;
    try {
      served.set(version, resourceNames(await requestJson<unknown>(kc, 'get', path, { timeoutMs: DISCOVERY_TIMEOUT_MS })));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return chooseVersions(served, group.resources);
}

export function discoverGatewayApi(kc: KubeConfig): Promise<ServedGatewayResource[]> {
  return discoverGroup(kc, GATEWAY_API);
}
