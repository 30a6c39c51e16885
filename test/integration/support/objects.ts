// Manifests for the integration tests, and the apiserver paths to write them.
import type { Cluster } from '../../cluster/harness.js';
import { must, type Call } from './kube.js';

export const CONTROLLER = 'sluice.dev/ingress-controller';

export function ingressClass(name: string): unknown {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: CONTROLLER } };
}

export function ingress(ns: string, name: string, opts: { className: string; host: string; service: string; port?: number; path?: string }): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns },
    spec: {
      ingressClassName: opts.className,
      rules: [
        {
          host: opts.host,
          http: {
            paths: [{ path: opts.path ?? '/', pathType: 'Prefix', backend: { service: { name: opts.service, port: { number: opts.port ?? 80 } } } }],
          },
        },
      ],
    },
  };
}

export function service(ns: string, name: string, extra: { externalIPs?: string[]; type?: string } = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...extra },
  };
}

export interface EndpointState {
  readonly address: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

export function endpointSlice(ns: string, name: string, svc: string, port: number, endpoints: readonly EndpointState[], resourceVersion?: string): unknown {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc }, ...(resourceVersion ? { resourceVersion } : {}) },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.address],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
    })),
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  };
}

export const paths = {
  ingressClasses: () => '/apis/networking.k8s.io/v1/ingressclasses',
  ingresses: (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
  ingress: (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`,
  ingressStatus: (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}/status`,
  services: (ns: string) => `/api/v1/namespaces/${ns}/services`,
  service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  slices: (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
  slice: (ns: string, name: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${name}`,
  lease: (ns: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`,
};

/** Replaces an EndpointSlice's endpoints (read-modify-write on its resourceVersion). */
export async function setEndpoints(c: Cluster, ns: string, name: string, svc: string, port: number, endpoints: readonly EndpointState[]): Promise<Call> {
  const current = await must(c, 'GET', paths.slice(ns, name));
  return must(c, 'PUT', paths.slice(ns, name), endpointSlice(ns, name, svc, port, endpoints, current.body.metadata.resourceVersion));
}

/** IngressClass (cluster-scoped, unique name) + Service + EndpointSlice + Ingress for one host. */
export async function createApp(c: Cluster, ns: string, opts: { className: string; host: string; svc: string; port: number; endpoints: readonly EndpointState[] }): Promise<void> {
  await must(c, 'POST', paths.ingressClasses(), ingressClass(opts.className));
  await must(c, 'POST', paths.services(ns), service(ns, opts.svc));
  await must(c, 'POST', paths.slices(ns), endpointSlice(ns, `${opts.svc}-1`, opts.svc, opts.port, opts.endpoints));
  await must(c, 'POST', paths.ingresses(ns), ingress(ns, opts.svc, { className: opts.className, host: opts.host, service: opts.svc }));
}
