// Gateway spec.tls: the client certificate Sluice presents to TLS backends (backend
// .clientCertificateRef, for every route of the Gateway) and the client-certificate validation
// of its HTTPS listeners (frontend.default, overridden per port by frontend.perPort).
//
// - A clientCertificateRef that does not resolve: the Gateway gets ResolvedRefs=False
//   (InvalidClientCertificateRef or RefNotPermitted) and presents no certificate (backends that
//   require one refuse: fail closed). One that resolves: ResolvedRefs=True, or
//   False/ListenersNotResolved while a listener's own references do not resolve.
// - Frontend caCertificateRefs that do not resolve: the HTTPS listeners on that port get
//   ResolvedRefs=False (InvalidCACertificateRef, InvalidCACertificateKind, RefNotPermitted);
//   when none resolves, Accepted=False/NoValidCACertificate and the listener is not served —
//   never served without the validation it asks for.
// - AllowInsecureFallback anywhere: the Gateway's InsecureFrontendValidationMode=True condition.
import type { ConfigMap, Secret } from '../../api/core.js';
import { GATEWAY_GROUP, type Condition, type FrontendTLSValidation, type Gateway } from '../../api/gateway.js';
import type { ClientValidation, TlsCertificate } from '../../table/types.js';
import { type CaRefProblemReason, readCaBundle } from '../ca-bundle.js';
import { sourceOf } from '../diagnostics.js';
import { decodeKeyPair } from '../tls.js';
import { condition, pass, problem, type Verdict } from './conditions.js';
import type { ReferenceGrants } from './references.js';

export interface GatewayTlsInputs {
  readonly secrets: ReadonlyMap<string, Secret>;
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  readonly grants: ReferenceGrants;
}

/** What the HTTPS listeners of one port get from the frontend validation. */
export interface FrontendVerdict {
  /** Absent when no reference resolved (the listener is then not Accepted). */
  readonly validation?: ClientValidation;
  readonly resolvedRefs: Verdict;
  readonly accepted: Verdict;
}

export interface GatewayTls {
  readonly backendClientCertificate?: TlsCertificate;
  /** Why spec.tls.backend.clientCertificateRef is unusable. */
  readonly backendProblem?: Verdict;
  /** The validation of HTTPS listeners on `port`; undefined: none asked for. */
  frontend(port: number): FrontendVerdict | undefined;
  readonly insecureFallback: boolean;
}

/** Listener reasons for frontend CA references (the Gateway API names differ from BackendTLSPolicy's). */
const LISTENER_REASON: Readonly<Record<CaRefProblemReason, string>> = {
  InvalidKind: 'InvalidCACertificateKind',
  InvalidCACertificateRef: 'InvalidCACertificateRef',
  RefNotPermitted: 'RefNotPermitted',
};

export function readGatewayTls(gw: Gateway, inputs: GatewayTlsInputs): GatewayTls {
  const namespace = gw.metadata.namespace ?? 'default';
  const source = sourceOf(gw);
  const tls = gw.spec?.tls;
  const from = { group: GATEWAY_GROUP, kind: 'Gateway', namespace };

  let backendClientCertificate: TlsCertificate | undefined;
  let backendProblem: Verdict | undefined;
  const ref = tls?.backend?.clientCertificateRef;
  if (ref) {
    const ns = ref.namespace ?? namespace;
    const name = `${ns}/${ref.name}`;
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') backendProblem = problem('InvalidClientCertificateRef', `spec.tls.backend.clientCertificateRef ${ref.kind} ${name}: only core Secrets are supported`);
    else if (!inputs.grants.permits(from, { group: '', kind: 'Secret', namespace: ns, name: ref.name })) {
      backendProblem = problem('RefNotPermitted', `spec.tls.backend.clientCertificateRef Secret ${name} is in another namespace and no ReferenceGrant allows it`);
    } else {
      const pair = decodeKeyPair(inputs.secrets.get(name), name);
      if (typeof pair === 'string') backendProblem = problem('InvalidClientCertificateRef', `spec.tls.backend.clientCertificateRef: ${pair}`);
      else backendClientCertificate = { secret: { kind: 'Secret', namespace: ns, name: ref.name }, hostnames: [], ...pair };
    }
  }

  const judge = (v: FrontendTLSValidation | undefined, where: string): FrontendVerdict | undefined => {
    if (!v) return undefined;
    const mode = v.mode ?? 'AllowValidOnly';
    if (mode !== 'AllowValidOnly' && mode !== 'AllowInsecureFallback') {
      const bad = problem('UnsupportedValue', `${where}.mode ${JSON.stringify(mode)} is not AllowValidOnly or AllowInsecureFallback`);
      return { resolvedRefs: pass('ResolvedRefs', 'all references resolved'), accepted: bad };
    }
    const bundle = readCaBundle(v.caCertificateRefs ?? [], { configMaps: inputs.configMaps, grants: inputs.grants, from });
    const messages = bundle.problems.map((p) => `${where}: ${p.message}`).join('; ');
    const resolvedRefs = bundle.problems.length === 0 ? pass('ResolvedRefs', 'all references resolved') : problem(LISTENER_REASON[bundle.problems[0]!.reason], messages);
    if (bundle.resolved === 0) return { resolvedRefs, accepted: problem('NoValidCACertificate', messages || `${where} names no CA certificate`) };
    return { validation: { source, caPem: bundle.pem, mode }, resolvedRefs, accepted: pass('Accepted', 'listener is accepted') };
  };
  const fallback = judge(tls?.frontend?.default?.validation, 'spec.tls.frontend.default.validation');
  const perPort = new Map<number, FrontendVerdict | undefined>();
  (tls?.frontend?.perPort ?? []).forEach((p, i) => perPort.set(p.port, judge(p.tls?.validation, `spec.tls.frontend.perPort[${i}].tls.validation`)));
  const modes = [tls?.frontend?.default?.validation?.mode, ...(tls?.frontend?.perPort ?? []).map((p) => p.tls?.validation?.mode)];
  return {
    ...(backendClientCertificate ? { backendClientCertificate } : {}),
    ...(backendProblem ? { backendProblem } : {}),
    frontend: (port) => (perPort.has(port) ? perPort.get(port) : fallback),
    insecureFallback: modes.includes('AllowInsecureFallback'),
  };
}

/**
 * The Gateway conditions spec.tls adds: ResolvedRefs when the Gateway has references of its own
 * (spec.tls.backend.clientCertificateRef) — False with their reason, else False/ListenersNotResolved
 * while a listener's references do not resolve (the condition summarises the listeners' too),
 * else True/ResolvedRefs — and InsecureFrontendValidationMode.
 */
export function gatewayTlsConditions(tls: GatewayTls, unresolvedListeners: readonly string[], generation: number): Condition[] {
  const out: Condition[] = [];
  if (tls.backendProblem) out.push(condition('ResolvedRefs', tls.backendProblem, generation));
  else if (tls.backendClientCertificate) {
    const resolved = unresolvedListeners.length === 0
      ? pass('ResolvedRefs', 'all references resolved')
      : problem('ListenersNotResolved', `listeners with references that do not resolve: ${unresolvedListeners.join(', ')}`);
    out.push(condition('ResolvedRefs', resolved, generation));
  }
  if (tls.insecureFallback) {
    out.push(condition('InsecureFrontendValidationMode', pass('ConfigurationChanged', 'a frontend validation allows connections without a valid client certificate (AllowInsecureFallback)'), generation));
  }
  return out;
}
