// Gateway API in the integration tests: the CRDs from crds/gateway-api/ (the release's own files)
// installed through the apiserver, manifests, paths, and a sweep of Gateways between suites
// (each Sluice serves every Gateway of a class of ours, and the oldest Gateway claims port 80).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Cluster } from '../../cluster/harness.js';
import { api, must } from './kube.js';
import { eventually } from '../../support/wait.js';

export const GATEWAY_CONTROLLER = 'sluice.dev/gateway-controller';
const GROUP = 'gateway.networking.k8s.io';
const CRD_DIR = join(process.cwd(), 'crds', 'gateway-api');
const CRDS_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
/** The CRDs Sluice reads. */
export const SLUICE_CRDS = ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'tlsroutes', 'tcproutes', 'backendtlspolicies', 'referencegrants'].map((p) => `${p}.${GROUP}`);

interface Crd {
  kind: string;
  metadata: { name: string };
}

function crdManifests(): Crd[] {
  const out: Crd[] = [];
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))) {
      const obj = doc.toJS() as Crd | null;
      if (obj?.kind === 'CustomResourceDefinition') out.push(obj);
    }
  }
  return out;
}

/**
 * Installs every Gateway API CRD (already there is fine) and waits until ours are Established and
 * listable (a re-created CRD answers 429 "storage is (re)initializing" for a moment), so the
 * next suite's Sluice meets a settled apiserver.
 */
export async function installGatewayCrds(c: Cluster): Promise<void> {
  for (const crd of crdManifests()) {
    const res = await api(c, 'POST', CRDS_PATH, crd);
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating CRD ${crd.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  for (const name of SLUICE_CRDS) {
    await eventually(`CRD ${name} to be Established`, async () => {
      const res = await api(c, 'GET', `${CRDS_PATH}/${name}`);
      return (res.body?.status?.conditions ?? []).some((x: { type: string; status: string }) => x.type === 'Established' && x.status === 'True');
    }, 30_000);
  }
  for (const plural of ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'tlsroutes', 'tcproutes', 'backendtlspolicies']) {
    await eventually(`${plural} to be listable`, async () => (await api(c, 'GET', `/apis/${GROUP}/v1/${plural}`)).status === 200, 30_000);
  }
  await eventually('referencegrants to be listable', async () => (await api(c, 'GET', `/apis/${GROUP}/v1beta1/referencegrants`)).status === 200, 30_000);
}

/** Deletes the CRDs Sluice reads (and with them every such object), waiting until they are gone. */
export async function deleteGatewayCrds(c: Cluster): Promise<void> {
  for (const name of SLUICE_CRDS) {
    const res = await api(c, 'DELETE', `${CRDS_PATH}/${name}`);
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`deleting CRD ${name}: ${res.status}`);
  }
  for (const name of SLUICE_CRDS) await eventually(`CRD ${name} to be gone`, async () => (await api(c, 'GET', `${CRDS_PATH}/${name}`)).status === 404, 60_000, 250);
}

/** Deletes every Gateway in the cluster (left by an earlier suite), so none claims port 80 first. */
export async function deleteAllGateways(c: Cluster): Promise<void> {
  const list = await api(c, 'GET', `/apis/${GROUP}/v1/gateways`);
  for (const gw of list.body?.items ?? []) await api(c, 'DELETE', gwPaths.gateway(gw.metadata.namespace, gw.metadata.name));
}

export const gwPaths = {
  gatewayClasses: () => `/apis/${GROUP}/v1/gatewayclasses`,
  gatewayClass: (name: string) => `/apis/${GROUP}/v1/gatewayclasses/${name}`,
  gateways: (ns: string) => `/apis/${GROUP}/v1/namespaces/${ns}/gateways`,
  gateway: (ns: string, name: string) => `/apis/${GROUP}/v1/namespaces/${ns}/gateways/${name}`,
  routes: (ns: string) => `/apis/${GROUP}/v1/namespaces/${ns}/httproutes`,
  route: (ns: string, name: string) => `/apis/${GROUP}/v1/namespaces/${ns}/httproutes/${name}`,
  grants: (ns: string) => `/apis/${GROUP}/v1beta1/namespaces/${ns}/referencegrants`,
};

export function gatewayClass(name: string, controllerName = GATEWAY_CONTROLLER): unknown {
  return { apiVersion: `${GROUP}/v1`, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

/** A Gateway with one HTTP listener "http" on port 80 (served on Sluice's --http-port). */
export function gateway(ns: string, name: string, className: string, allowedFrom: 'Same' | 'All' = 'All'): unknown {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name, namespace: ns },
    spec: { gatewayClassName: className, listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: allowedFrom } } }] },
  };
}

export interface WeightedBackend {
  readonly name: string;
  readonly namespace?: string;
  readonly weight?: number;
}

export function httpRoute(ns: string, name: string, o: { gateway: { namespace: string; name: string }; host: string; backends: readonly WeightedBackend[]; resourceVersion?: string }): unknown {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns, ...(o.resourceVersion ? { resourceVersion: o.resourceVersion } : {}) },
    spec: {
      parentRefs: [{ name: o.gateway.name, namespace: o.gateway.namespace }],
      hostnames: [o.host],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: o.backends.map((b) => ({ name: b.name, port: 80, ...(b.namespace ? { namespace: b.namespace } : {}), ...(b.weight !== undefined ? { weight: b.weight } : {}) })),
        },
      ],
    },
  };
}

/** Lets HTTPRoutes in `fromNamespace` reference Services in `ns`. */
export function referenceGrant(ns: string, name: string, fromNamespace: string): unknown {
  return {
    apiVersion: `${GROUP}/v1beta1`,
    kind: 'ReferenceGrant',
    metadata: { name, namespace: ns },
    spec: { from: [{ group: GROUP, kind: 'HTTPRoute', namespace: fromNamespace }], to: [{ group: '', kind: 'Service' }] },
  };
}

export interface ConditionJson {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

export function conditionOf(conditions: readonly ConditionJson[] | undefined, type: string): ConditionJson | undefined {
  return (conditions ?? []).find((x) => x.type === type);
}

/** Polls an object until `check(object)` returns something truthy. */
export function objectBecomes<T>(c: Cluster, path: string, what: string, check: (obj: any) => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return eventually(what, async () => {
    const res = await must(c, 'GET', path);
    return check(res.body);
  }, timeoutMs);
}
