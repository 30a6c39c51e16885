// BackendTLSPolicy (gateway.networking.k8s.io/v1) → the upstream TLS of the clusters the route
// translators made, and each policy's status. Runs after every route has resolved its clusters,
// so a policy reaches a Service however it is routed to (HTTPRoute, Ingress, mirror).
//
// - Targets, conflicts (oldest wins, a port beats the whole Service) and ancestors (every Gateway
//   whose routes reach the Service port, else the Service) are the BackendTrafficPolicy rules
//   (policy/targets.ts, policy/ancestors.ts).
// - A policy with shape problems is Accepted=False/Invalid and takes part in nothing.
// - caCertificateRefs that do not resolve: ResolvedRefs=False (InvalidKind or
//   InvalidCACertificateRef); when none resolves, Accepted=False/NoValidCACertificate and the
//   policy's Services refuse every request (500) — never plaintext, never unverified.
// - A Service port with appProtocol https or kubernetes.io/wss that no policy covers refuses too:
//   Sluice does not guess what to trust (documented in the README; shown on /debug/routes).
import type { ConfigMap, Service } from '../../api/core.js';
import { GATEWAY_GROUP, type BackendTLSPolicy } from '../../api/gateway.js';
import type { Cluster, SourceRef, UpstreamTls } from '../../table/types.js';
import type { ClusterRegistry } from '../clusters.js';
import { type Diagnostics, sourceOf } from '../diagnostics.js';
import { generationOf, pass, problem, type Verdict } from '../gateway/conditions.js';
import type { BackendTLSPolicyStatusUpdate } from '../types.js';
import { serviceAncestors, type TargetVerdict } from '../policy/ancestors.js';
import { Fields } from '../policy/fields.js';
import type { RouteReach } from '../policy/reach.js';
import { admitTargets, displaySource, outcomeVerdict } from '../policy/candidates.js';
import { readTargets, resolveConflicts, type Candidate, type Target } from '../policy/targets.js';
import { readValidation, type TlsValidation } from './validation.js';

/** Service appProtocols that mean TLS to the pod (KEP-3726 kubernetes.io/wss, IANA https). */
const TLS_APP_PROTOCOLS = new Set(['https', 'kubernetes.io/wss']);

export interface BackendTlsInputs {
  /** The policies in scope (--watch-namespace), sorted by namespace/name. */
  readonly policies: readonly BackendTLSPolicy[];
  readonly services: ReadonlyMap<string, Service>;
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  /** Built on first use: only policies need it. */
  readonly reach: () => RouteReach;
}

interface Valid {
  readonly policy: BackendTLSPolicy;
  readonly source: SourceRef;
  readonly tls: UpstreamTls;
  readonly verdict: Verdict;
  readonly resolvedRefs: Verdict;
}


export function applyBackendTlsPolicies(inputs: BackendTlsInputs, clusters: ClusterRegistry, diagnostics: Diagnostics): BackendTLSPolicyStatusUpdate[] {
  const results = new Map<BackendTLSPolicy, TargetVerdict[]>();
  const candidates: Candidate<Valid>[] = [];
  /** "ns/service" → port names ('*': every port) an invalid policy targets: refused unless a valid policy wins them. */
  const broken = new Map<string, Map<string, SourceRef>>();
  for (const policy of inputs.policies) {
    const source = sourceOf(policy);
    const read = readPolicy(policy, inputs);
    if (!read.valid) {
      const message = read.problems.join('; ');
      diagnostics.error(source, 'BackendTlsPolicyInvalid', message);
      results.set(policy, read.targets.map((target) => ({ target, verdict: problem('Invalid', message) })));
      for (const t of read.targets) {
        const key = `${t.namespace}/${t.service}`;
        if (!broken.has(key)) broken.set(key, new Map());
        broken.get(key)!.set(t.sectionName ?? '*', source);
      }
      continue;
    }
    for (const key of Object.keys(policy.spec?.options ?? {})) diagnostics.warning(source, 'FieldNotImplemented', `spec.options[${JSON.stringify(key)}]`);
    const v = effect(policy, source, read.valid, diagnostics);
    const own = admitTargets(v, policy, read.targets, inputs.services, candidates, diagnostics);
    results.set(policy, own);
  }

  const resolution = resolveConflicts(candidates, inputs.services);
  clusters.update((c) => {
    const winner = resolution.winners.get(`${c.service.namespace}/${c.service.name}`)?.get(c.portName);
    if (winner) return { ...c, upstreamTls: winner.tls };
    const by = broken.get(`${c.service.namespace}/${c.service.name}`);
    const invalid = by?.get(c.portName) ?? by?.get('*');
    if (invalid) return { ...c, upstreamTls: { type: 'refuse', source: invalid, reason: `${displaySource(invalid)} targets it and is invalid` } };
    return refuseUncovered(c, inputs.services, diagnostics);
  });
  for (const c of candidates) {
    const outcome = resolution.outcomes.get(c)!;
    // A winner without a usable CA keeps its own verdict (NoValidCACertificate): it refuses traffic.
    const verdict = outcome.type === 'applied' && !c.owner.verdict.ok ? c.owner.verdict : outcomeVerdict(c, outcome, diagnostics, (target) => `TLS to ${target}: ${c.owner.verdict.message}`);
    results.get(c.owner.policy)!.push({ target: c.target, verdict, resolvedRefs: c.owner.resolvedRefs });
  }

  return inputs.policies.map((policy) => ({
    kind: 'BackendTLSPolicy',
    namespace: policy.metadata.namespace ?? 'default',
    name: policy.metadata.name,
    ancestors: serviceAncestors([...results.get(policy)!].sort((a, b) => a.target.index - b.target.index), inputs.reach(), generationOf(policy)),
  }));
}

function readPolicy(policy: BackendTLSPolicy, inputs: BackendTlsInputs): { targets: Target[]; problems: string[]; valid?: TlsValidation } {
  const problems: string[] = [];
  try {
    const f = new Fields('spec', (m) => problems.push(m));
    const targets = readTargets(policy, f);
    const namespace = policy.metadata.namespace ?? 'default';
    const valid = readValidation(policy, f, { configMaps: inputs.configMaps, from: { group: GATEWAY_GROUP, kind: 'BackendTLSPolicy', namespace } });
    return { targets, problems, ...(valid && problems.length === 0 ? { valid } : {}) };
  } catch {
    // Malformed beyond what the readers expect (possible in file mode): this policy only is dropped.
    return { targets: [], problems: ['malformed BackendTLSPolicy (its spec does not follow the schema)'] };
  }
}

/** What the policy does to the clusters it wins, and its verdicts. */
function effect(policy: BackendTLSPolicy, source: SourceRef, v: TlsValidation, diagnostics: Diagnostics): Valid {
  const names = v.subjectAltNames ? v.subjectAltNames.map((s) => `${s.type} ${s.value}`).join(', ') : v.serverName;
  if (v.trust === 'system') {
    const tls: UpstreamTls = { type: 'verify', source, serverName: v.serverName, trust: 'system', ...(v.subjectAltNames ? { subjectAltNames: v.subjectAltNames } : {}) };
    return { policy, source, tls, verdict: pass('Accepted', `SNI ${v.serverName}, verified against the system CAs for ${names}`), resolvedRefs: pass('ResolvedRefs', 'no references (system CAs)') };
  }
  const bundle = v.trust;
  const messages = bundle.problems.map((p) => p.message).join('; ');
  if (bundle.problems.length > 0) diagnostics.error(source, 'BackendTlsCaInvalid', messages, bundle.resolved > 0);
  const resolvedRefs = bundle.problems.length === 0 ? pass('ResolvedRefs', 'every caCertificateRef resolved') : problem(bundle.problems[0]!.reason, messages);
  if (bundle.resolved === 0) {
    const reason = `no usable CA certificate (${messages})`;
    return { policy, source, tls: { type: 'refuse', source, reason }, verdict: problem('NoValidCACertificate', reason), resolvedRefs };
  }
  const tls: UpstreamTls = { type: 'verify', source, serverName: v.serverName, trust: 'bundle', caPem: bundle.pem, ...(v.subjectAltNames ? { subjectAltNames: v.subjectAltNames } : {}) };
  return { policy, source, tls, verdict: pass('Accepted', `SNI ${v.serverName}, verified against the CA bundle for ${names}`), resolvedRefs };
}

/** An https/wss Service port no policy covers: refused (500), with a diagnostic on the Service. */
function refuseUncovered(c: Cluster, services: ReadonlyMap<string, Service>, diagnostics: Diagnostics): Cluster {
  const service = services.get(`${c.service.namespace}/${c.service.name}`);
  const port = service?.spec?.ports?.find((p) => p.port === c.servicePort);
  const app = port?.appProtocol?.toLowerCase();
  if (!service || !app || !TLS_APP_PROTOCOLS.has(app)) return c;
  const source = sourceOf(service);
  const reason = `port ${c.servicePort} has appProtocol ${port!.appProtocol} and no BackendTLSPolicy says how to verify its pods`;
  diagnostics.error(source, 'BackendTlsWithoutPolicy', String(c.servicePort), port!.appProtocol!);
  return { ...c, upstreamTls: { type: 'refuse', source, reason } };
}
