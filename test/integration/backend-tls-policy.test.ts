// BackendTLSPolicy in a cluster: the Gateway API CRD installed in the real apiserver, a policy
// targeting a Service routed by an HTTPRoute gets PolicyAncestorStatus with the Gateway as its
// ancestor (Accepted and ResolvedRefs True) from the least-privilege RBAC of deploy/rbac.yaml;
// its CA ConfigMap is watched, so emptying ca.crt turns the status to
// Accepted=False/NoValidCACertificate and ResolvedRefs=False/InvalidCACertificateRef, and
// restoring it turns it back. A policy naming a Secret as CA gets ResolvedRefs=False/InvalidKind.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Cluster } from '../cluster/harness.js';
import { makeCa } from '../e2e/support/pki.js';
import { type ConditionJson, conditionOf, deleteAllGateways, gateway, gatewayClass, gwPaths, httpRoute, installGatewayCrds, objectBecomes } from './support/gateway.js';
import { cluster as attach, createNamespace, installRbac, must } from './support/kube.js';
import { endpointSlice, paths, service } from './support/objects.js';
import { Sluice } from './support/sluice.js';

const GROUP = 'gateway.networking.k8s.io';
let c: Cluster;
let ns: string;
let sluice: Sluice;
const ca = makeCa('integration-ca');
const policies = (namespace: string) => `/apis/${GROUP}/v1/namespaces/${namespace}/backendtlspolicies`;
const configMaps = (namespace: string) => `/api/v1/namespaces/${namespace}/configmaps`;

function policy(namespace: string, name: string, service: string, caRef: { kind: string; name: string }): unknown {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'BackendTLSPolicy',
    metadata: { name, namespace },
    spec: { targetRefs: [{ group: '', kind: 'Service', name: service }], validation: { caCertificateRefs: [{ group: '', ...caRef }], hostname: `${service}.internal` } },
  };
}

beforeAll(async () => {
  c = attach();
  await installGatewayCrds(c);
  await deleteAllGateways(c);
  ns = await createNamespace(c, 'backend-tls');
  const id = await installRbac(c, ns);
  await must(c, 'POST', gwPaths.gatewayClasses(), gatewayClass(`sluice-${ns}`));
  await must(c, 'POST', gwPaths.gateways(ns), gateway(ns, 'gw', `sluice-${ns}`));
  for (const name of ['secure', 'wrong']) {
    await must(c, 'POST', paths.services(ns), service(ns, name));
    await must(c, 'POST', paths.slices(ns), endpointSlice(ns, `${name}-1`, name, 8443, [{ address: '10.77.61.1' }]));
    await must(c, 'POST', gwPaths.routes(ns), httpRoute(ns, name, { gateway: { namespace: ns, name: 'gw' }, host: `${name}.tls.test`, backends: [{ name }] }));
  }
  await must(c, 'POST', configMaps(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'backend-ca', namespace: ns }, data: { 'ca.crt': ca.cert } });
  await must(c, 'POST', policies(ns), policy(ns, 'secure', 'secure', { kind: 'ConfigMap', name: 'backend-ca' }));
  await must(c, 'POST', policies(ns), policy(ns, 'wrong', 'wrong', { kind: 'Secret', name: 'backend-ca' }));
  sluice = await Sluice.start({ kubeconfig: id.kubeconfig, ingressClass: `sluice-${ns}`, name: 'sluice-backend-tls' });
  await sluice.ready();
}, 90_000);

afterAll(async () => {
  await sluice?.stop();
  await deleteAllGateways(c);
});

type Ancestor = { ancestorRef: { kind: string; name: string; namespace: string }; controllerName: string; conditions: ConditionJson[] };

function ours(o: { status?: { ancestors?: Ancestor[] } }): Ancestor | undefined {
  return o.status?.ancestors?.find((a) => a.controllerName === 'sluice.dev/gateway-controller');
}

const has = (a: Ancestor | undefined, type: string, status: string, reason: string) => {
  const cond = conditionOf(a?.conditions, type);
  return cond?.status === status && cond.reason === reason;
};

test('a valid policy: the Gateway is its ancestor, Accepted and ResolvedRefs True', async () => {
  const a = await objectBecomes(c, `${policies(ns)}/secure`, 'the policy to be accepted', (o) => {
    const mine = ours(o);
    return has(mine, 'Accepted', 'True', 'Accepted') && has(mine, 'ResolvedRefs', 'True', 'ResolvedRefs') && mine;
  });
  expect(a.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'gw', namespace: ns });
});

test('a Secret as CA: Accepted=False/NoValidCACertificate, ResolvedRefs=False/InvalidKind', async () => {
  await objectBecomes(c, `${policies(ns)}/wrong`, 'InvalidKind', (o) => has(ours(o), 'Accepted', 'False', 'NoValidCACertificate') && has(ours(o), 'ResolvedRefs', 'False', 'InvalidKind'));
});

test('the CA ConfigMap is watched: emptied, the policy has no valid CA; restored, it is accepted again', async () => {
  const path = `${configMaps(ns)}/backend-ca`;
  const current = (await must(c, 'GET', path)).body;
  await must(c, 'PUT', path, { ...current, data: { 'ca.crt': '' } });
  await objectBecomes(c, `${policies(ns)}/secure`, 'NoValidCACertificate', (o) => has(ours(o), 'Accepted', 'False', 'NoValidCACertificate') && has(ours(o), 'ResolvedRefs', 'False', 'InvalidCACertificateRef'));
  const emptied = (await must(c, 'GET', path)).body;
  await must(c, 'PUT', path, { ...emptied, data: { 'ca.crt': ca.cert } });
  await objectBecomes(c, `${policies(ns)}/secure`, 'accepted again', (o) => has(ours(o), 'Accepted', 'True', 'Accepted'));
});
