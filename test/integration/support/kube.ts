// Talking to the test apiserver as admin, test namespaces, and ServiceAccounts bound to the
// RBAC of deploy/rbac.yaml (the same file the Helm chart uses), so a permission missing there
// fails the tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { attachCluster, type Cluster } from '../../cluster/harness.js';
import { eventually } from '../../support/wait.js';

export interface Call {
  readonly status: number;
  readonly body: any; // test JSON
}

export function cluster(): Cluster {
  return attachCluster();
}

export async function api(c: Cluster, method: string, path: string, body?: unknown): Promise<Call> {
  const res = await c.request(method, path, body === undefined ? {} : { body });
  let parsed: unknown = undefined;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = res.body;
  }
  return { status: res.status, body: parsed };
}

/** Like api() but throws unless the apiserver answered 2xx. */
export async function must(c: Cluster, method: string, path: string, body?: unknown): Promise<Call> {
  const res = await api(c, method, path, body);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** A fresh namespace (namespaces are never deleted: without kube-controller-manager they hang). */
export async function createNamespace(c: Cluster, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await must(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface RbacObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const REPO = process.cwd();

/** deploy/rbac.yaml as objects. */
export function rbacManifests(): RbacObject[] {
  const text = readFileSync(join(REPO, 'deploy', 'rbac.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as RbacObject).filter(Boolean);
}

const PATHS: Record<string, (ns: string) => string> = {
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
};

export interface SluiceIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly clusterRole: string;
  readonly token: string;
  readonly kubeconfig: string;
}

/**
 * Creates deploy/rbac.yaml's objects for namespace `ns` (cluster-scoped names get a `-<ns>`
 * suffix so tests do not share them), with `editRules` applied to the ClusterRole's rules
 * (to take a permission away), then a token for the ServiceAccount and a kubeconfig using it.
 */
export async function installRbac(c: Cluster, ns: string, editRules: (rules: Rule[]) => Rule[] = (r) => r): Promise<SluiceIdentity> {
  let saName = '';
  let clusterRole = '';
  for (const obj of rbacManifests()) {
    const clusterScoped = obj.kind === 'ClusterRole' || obj.kind === 'ClusterRoleBinding';
    const copy: RbacObject = structuredClone(obj);
    if (clusterScoped) copy.metadata.name = `${obj.metadata.name}-${ns}`;
    else copy.metadata.namespace = ns;
    if (copy.roleRef?.kind === 'ClusterRole') copy.roleRef.name = `${copy.roleRef.name}-${ns}`;
    for (const s of copy.subjects ?? []) if (s.kind === 'ServiceAccount') s.namespace = ns;
    if (copy.kind === 'ClusterRole') {
      copy.rules = editRules(copy.rules ?? []);
      clusterRole = copy.metadata.name;
    }
    if (copy.kind === 'ServiceAccount') saName = copy.metadata.name;
    const path = PATHS[copy.kind];
    if (!path) throw new Error(`deploy/rbac.yaml: unexpected kind ${copy.kind}`);
    await must(c, 'POST', path(ns), copy);
  }
  const token = await c.createServiceAccountToken(ns, saName, { expirationSeconds: 3600 });
  const kubeconfig = c.kubeconfigForToken(token, `sluice-${ns}`);
  // The RBAC authorizer learns about new bindings through its own informer: wait for it.
  await eventually('the RBAC binding to take effect', async () => (await canI(c, token, 'list', 'networking.k8s.io', 'ingressclasses')) || undefined, 10_000);
  return { namespace: ns, serviceAccount: saName, clusterRole, token, kubeconfig };
}

/** Replaces the test's ClusterRole rules (e.g. to grant a permission back). */
export async function setClusterRoleRules(c: Cluster, id: SluiceIdentity, rules: Rule[]): Promise<void> {
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${id.clusterRole}`;
  const current = await must(c, 'GET', path);
  await must(c, 'PUT', path, { ...current.body, rules });
}

export function clusterRoleRules(): Rule[] {
  return structuredClone(rbacManifests().find((o) => o.kind === 'ClusterRole')?.rules ?? []);
}

/** SelfSubjectAccessReview with the given token. */
export async function canI(c: Cluster, token: string, verb: string, group: string, resource: string, namespace?: string, subresource?: string): Promise<boolean> {
  const res = await c.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    token,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}), ...(subresource ? { subresource } : {}) } },
    },
  });
  if (res.status !== 201) return false;
  return (JSON.parse(res.body) as { status?: { allowed?: boolean } }).status?.allowed === true;
}
