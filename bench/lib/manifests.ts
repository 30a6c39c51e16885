// Manifests for the file provider, written the way a cluster would hold them: an IngressClass,
// Ingresses, Services, one EndpointSlice per endpoint (each endpoint has its own port on
// 127.0.0.1, and an EndpointSlice carries one port list), BackendTrafficPolicies.
//
// Edits replace files atomically by default (write a dot-file, rename), as editors and
// ConfigMap volume updates do, so the provider never reads half a file. `--in-place-writes`
// rewrites files in place instead (truncate + one write(2)): before commit 2c47150 the file
// provider's recursive fs.watch missed renamed files and only its 2 s rescan saw those edits.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NAMESPACE = 'bench';

export const INGRESS_CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
spec: { controller: sluice.dev/ingress-controller }`;

/** The GatewayClass Sluice serves (the Gateway API parts' manifests start with it). */
export const GATEWAY_CLASS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: sluice }
spec: { controllerName: sluice.dev/gateway-controller }`;

/** The GatewayClass and a Gateway `name` in the bench namespace with one listener (a YAML flow mapping, e.g. `{ name: http, port: 80, protocol: HTTP }`). */
export function gatewayYaml(name: string, listener: string): string {
  return `${GATEWAY_CLASS}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec:
  gatewayClassName: sluice
  listeners: [${listener}]`;
}

export interface EndpointSpec {
  readonly port: number;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

export function serviceYaml(name: string, endpoints: readonly EndpointSpec[]): string {
  const docs = [`apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec: { ports: [{ name: http, port: 80 }] }`];
  for (const e of endpoints) {
    const conditions = JSON.stringify({
      ready: e.ready ?? true,
      ...(e.serving !== undefined ? { serving: e.serving } : {}),
      ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
    });
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-${e.port}, namespace: ${NAMESPACE}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${e.port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: ${conditions} }]`);
  }
  return docs.join('\n---\n');
}

export interface PathRule {
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact';
  readonly service: string;
}

export function ingressYaml(name: string, rules: readonly { host?: string; paths: readonly PathRule[] }[]): string {
  const ruleText = rules
    .map((r) => {
      const paths = r.paths.map((p) => `          - { path: ${p.path}, pathType: ${p.pathType}, backend: { service: { name: ${p.service}, port: { number: 80 } } } }`).join('\n');
      return `    - ${r.host ? `host: ${r.host}\n      ` : ''}http:\n        paths:\n${paths}`;
    })
    .join('\n');
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec:
  ingressClassName: sluice
  rules:
${ruleText}`;
}

/**
 * A sluice.dev BackendTrafficPolicy targeting one Service, `spec` beside targetRefs as written
 * (field names of the issue's contract; JSON is valid YAML).
 */
export function backendTrafficPolicyYaml(name: string, service: string, spec: Record<string, unknown>): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec: ${JSON.stringify({ targetRefs: [{ group: '', kind: 'Service', name: service }], ...spec })}`;
}

export type WriteMode = 'in-place' | 'rename';

export class ManifestDir {
  readonly path: string;
  private readonly mode: WriteMode;

  constructor(path: string, mode: WriteMode = 'rename') {
    this.path = path;
    this.mode = mode;
    mkdirSync(path, { recursive: true });
  }

  write(file: string, text: string): void {
    const data = text.endsWith('\n') ? text : `${text}\n`;
    if (this.mode === 'in-place') return writeFileSync(join(this.path, file), data);
    const tmp = join(this.path, `.${file}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.path, file));
  }

  /** Moves a file written elsewhere (same filesystem) into the directory, atomically. */
  moveIn(file: string, from: string): void {
    renameSync(from, join(this.path, file));
  }

  remove(file: string): void {
    rmSync(join(this.path, file), { force: true });
  }
}

/**
 * A manifest folder with the bench's bare route: the IngressClass, the origin's Service and
 * EndpointSlice, and an Ingress sending every path of `host` to it.
 */
export function originRouteManifests(path: string, originPort: number, host: string): ManifestDir {
  const manifests = new ManifestDir(path);
  manifests.write('class.yaml', INGRESS_CLASS);
  manifests.write('origin.yaml', serviceYaml('origin', [{ port: originPort }]));
  manifests.write('ingress.yaml', ingressYaml('bench', [{ host, paths: [{ path: '/', pathType: 'Prefix', service: 'origin' }] }]));
  return manifests;
}
