// Gateway → listener states and socket claims.
//
// How Gateways map to listening sockets (so a route attached to one Gateway is never reachable
// through another): a socket is (address, port). A Gateway's sockets are its listener ports
// times its spec.addresses (IPAddress only); a Gateway without addresses uses the configured
// bind address. Each socket belongs to exactly one Gateway: the oldest Gateway (creation time,
// then namespace/name) claims it, and a younger Gateway's listeners on a taken socket get
// Accepted=False/PortUnavailable. So two Gateways on the same port need different addresses.
// Sockets already used by the Ingress translator (port 80, no address) are shared when the
// protocol matches. The data plane serves listener port 80 on --http-port and 443 on
// --https-port, other ports as they are (socketPortFor in src/dataplane/ports.ts).
import { isIP } from 'node:net';
import type { Secret } from '../../api/core.js';
import { decodeKeyPair } from '../tls.js';
import { GATEWAY_GROUP, type Gateway, type GatewayListener, type SecretObjectReference } from '../../api/gateway.js';
import type { SourceRef, TlsCertificate } from '../../table/types.js';
import { compareStrings } from '../../util/compare.js';
import { sourceOf } from '../diagnostics.js';
import { pass, problem, type Verdict } from './conditions.js';
import { checkHostname } from './hostnames.js';
import type { ReferenceGrants } from './references.js';
import { assignPoolAddresses, type AddressPool } from './address-pool.js';
import { type GatewayTls, readGatewayTls } from './gateway-tls.js';
import type { ConfigMap } from '../../api/core.js';

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP';

/** Protocols served by the L4 data plane (src/dataplane/l4/): bytes pass untouched. */
export function isL4Protocol(p: ListenerProtocol): p is 'TLS' | 'TCP' {
  return p === 'TLS' || p === 'TCP';
}

function isListenerProtocol(p: string): p is ListenerProtocol {
  return p === 'HTTP' || p === 'HTTPS' || p === 'TLS' || p === 'TCP';
}

export interface ListenerState {
  readonly gateway: GatewayState;
  readonly spec: GatewayListener;
  /** Lower-cased; undefined = any host. */
  readonly hostname: string | undefined;
  readonly protocol: ListenerProtocol | undefined;
  accepted: Verdict;
  /** ok = no conflict. */
  conflicted: Verdict;
  /** Route kinds and certificate references together (the ResolvedRefs condition). */
  resolvedRefs: Verdict;
  /** Certificate references alone: an HTTPS listener without usable certificates is not served. */
  readonly certificateRefs: Verdict;
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[];
  readonly certificates: readonly TlsCertificate[];
  /** Socket keys (see socketKey) this listener is served on. */
  readonly sockets: string[];
  /** Routes attached ("Kind/ns/name": an HTTPRoute and a GRPCRoute of one name are two routes). */
  readonly attached: Set<string>;
}

export interface GatewayState {
  readonly gateway: Gateway;
  readonly source: SourceRef;
  readonly namespace: string;
  /** "creationTimestamp|namespace/name": claim order. */
  readonly age: string;
  accepted: Verdict;
  /** IP addresses from spec.addresses, else the one from the address pool; empty = the configured bind address. */
  readonly addresses: readonly string[];
  readonly listeners: ListenerState[];
  /** spec.tls: the backend client certificate and the frontend client-certificate validation. */
  readonly tls: GatewayTls;
}

/** Routes may attach: the listener is accepted and not in conflict. */
export function attachable(l: ListenerState): boolean {
  return l.gateway.accepted.ok && l.accepted.ok && l.conflicted.ok;
}

/**
 * Routes attached to the listener are served: attachable, a socket, and (HTTPS) every
 * certificate reference resolved. Unsupported extra route kinds do not stop HTTPRoutes.
 */
export function programmed(l: ListenerState): boolean {
  return attachable(l) && l.certificateRefs.ok && l.sockets.length > 0;
}

export function socketKey(address: string | undefined, port: number): string {
  return `${address ?? ''}|${port}`;
}

export interface SocketClaim {
  readonly address: string | undefined;
  readonly port: number;
  readonly protocol: ListenerProtocol;
  readonly owner: GatewayState;
}

export interface GatewayInputs {
  readonly classes: ReadonlyMap<string, Verdict>;
  readonly secrets: ReadonlyMap<string, Secret>;
  /** CA bundles (ca.crt) of spec.tls.frontend. */
  readonly configMaps: ReadonlyMap<string, ConfigMap>;
  readonly grants: ReferenceGrants;
  /** Sockets other translators use, with their protocol; shared when the protocol matches. */
  readonly shared: ReadonlyMap<string, ListenerProtocol>;
  /** --gateway-address-pool: addresses for Gateways without spec.addresses. */
  readonly addressPool?: AddressPool | undefined;
}

/** The route kinds each listener protocol serves (the default of allowedRoutes.kinds, and all it may name), in supportedKinds order. */
const KINDS_BY_PROTOCOL: Readonly<Record<ListenerProtocol, readonly string[]>> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
};

function gatewayKey(gw: Gateway): string {
  return `${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`;
}

function gatewayAge(gw: Gateway): string {
  return `${gw.metadata.creationTimestamp ?? '9999'}|${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`;
}

function judgeAddresses(gw: Gateway): { addresses: string[]; verdict: Verdict | undefined } {
  const addresses: string[] = [];
  for (const a of gw.spec?.addresses ?? []) {
    const type = a.type ?? 'IPAddress';
    if (type !== 'IPAddress') return { addresses, verdict: problem('UnsupportedAddress', `address type ${type} is not supported; use IPAddress`) };
    if (isIP(a.value) === 0) return { addresses, verdict: problem('UnsupportedAddress', `${JSON.stringify(a.value)} is not an IP address`) };
    if (!addresses.includes(a.value)) addresses.push(a.value);
  }
  return { addresses, verdict: undefined };
}

function judgeKinds(l: GatewayListener, protocol: ListenerProtocol): { kinds: { group: string; kind: string }[]; verdict: Verdict } {
  const served = KINDS_BY_PROTOCOL[protocol];
  const wanted = l.allowedRoutes?.kinds;
  if (wanted === undefined || wanted.length === 0) return { kinds: served.map((kind) => ({ group: GATEWAY_GROUP, kind })), verdict: pass('ResolvedRefs', 'all references resolved') };
  const kinds: { group: string; kind: string }[] = [];
  const bad: string[] = [];
  for (const k of wanted) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && served.includes(k.kind)) {
      if (!kinds.some((x) => x.kind === k.kind)) kinds.push({ group, kind: k.kind });
    } else bad.push(`${group}/${k.kind}`);
  }
  return bad.length > 0
    ? { kinds, verdict: problem('InvalidRouteKinds', `route kinds ${bad.join(', ')} are not supported on a ${l.protocol} listener; supported: ${served.join(', ')}`) }
    : { kinds, verdict: pass('ResolvedRefs', 'all references resolved') };
}

/** Decodes and checks one certificateRef; returns the key pair or why it is unusable. */
function resolveCertificate(
  ref: SecretObjectReference,
  gw: Gateway,
  inputs: GatewayInputs,
  hostname: string | undefined,
): TlsCertificate | Verdict {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Secret';
  const gwNs = gw.metadata.namespace ?? 'default';
  const ns = ref.namespace ?? gwNs;
  const name = `${ns}/${ref.name}`;
  if (group !== '' || kind !== 'Secret') return problem('InvalidCertificateRef', `certificateRef ${group || 'core'}/${kind} ${name}: only core Secrets are supported`);
  if (!inputs.grants.permits({ group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'Secret', namespace: ns, name: ref.name })) {
    return problem('RefNotPermitted', `certificateRef Secret ${name} is in another namespace and no ReferenceGrant allows it`);
  }
  const pair = decodeKeyPair(inputs.secrets.get(name), name);
  if (typeof pair === 'string') return problem('InvalidCertificateRef', pair);
  const { certPem, keyPem } = pair;
  return { secret: { kind: 'Secret', namespace: ns, name: ref.name }, hostnames: hostname ? [hostname] : [], certPem, keyPem };
}

function buildListener(gateway: GatewayState, spec: GatewayListener, inputs: GatewayInputs): ListenerState {
  const protocol = isListenerProtocol(spec.protocol) ? spec.protocol : undefined;
  // A TCP listener matches no hostname (the spec: ignored where there is nothing to match).
  const hostname = protocol === 'TCP' ? undefined : spec.hostname?.toLowerCase();
  let accepted = pass('Accepted', 'listener is accepted');
  // A tls.mode Sluice does not serve on this protocol: the listener is not accepted and serves no kind.
  const modeUnsupported =
    (protocol === 'HTTPS' && (spec.tls?.mode ?? 'Terminate') !== 'Terminate') || (protocol === 'TLS' && spec.tls?.mode !== 'Passthrough');
  if (!protocol) accepted = problem('UnsupportedProtocol', `protocol ${spec.protocol} is not supported; Sluice serves HTTP, HTTPS, TLS (Passthrough) and TCP`);
  else if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) accepted = problem('UnsupportedValue', `port ${spec.port} is not valid`);
  else if (hostname !== undefined && checkHostname(hostname)) accepted = problem('UnsupportedValue', `hostname ${JSON.stringify(spec.hostname)} ${checkHostname(hostname)}`);
  else if (protocol === 'HTTPS' && modeUnsupported) accepted = problem('UnsupportedValue', `tls.mode ${spec.tls?.mode} is not supported on HTTPS listeners; use Terminate`);
  // TLS termination in front of TLSRoute/TCPRoute is an extended feature Sluice does not have:
  // a TLS listener must pass the stream through (tls.mode defaults to Terminate, so it is required).
  else if (protocol === 'TLS' && modeUnsupported) accepted = problem('UnsupportedValue', `tls.mode ${spec.tls?.mode ?? 'Terminate (the default)'} is not supported on TLS listeners; use Passthrough`);

  const { kinds, verdict: kindsVerdict } = protocol ? judgeKinds(spec, protocol) : { kinds: [], verdict: pass('ResolvedRefs', 'all references resolved') };
  let certificateRefs = pass('ResolvedRefs', 'all references resolved');
  const certificates: TlsCertificate[] = [];
  if (protocol === 'HTTPS' && accepted.ok) {
    const refs = spec.tls?.certificateRefs ?? [];
    if (refs.length === 0) certificateRefs = problem('InvalidCertificateRef', 'an HTTPS listener needs tls.certificateRefs');
    for (const ref of refs) {
      const got = resolveCertificate(ref, gateway.gateway, inputs, hostname);
      if ('ok' in got) {
        if (certificateRefs.ok) certificateRefs = got;
      } else certificates.push(got);
    }
  }
  let resolvedRefs = certificateRefs.ok ? kindsVerdict : certificateRefs;
  // Client-certificate validation for this port: an HTTPS listener is never served without it.
  const frontend = protocol === 'HTTPS' && accepted.ok ? gateway.tls.frontend(spec.port) : undefined;
  if (frontend && !frontend.accepted.ok) accepted = frontend.accepted;
  if (frontend && !frontend.resolvedRefs.ok && resolvedRefs.ok) resolvedRefs = frontend.resolvedRefs;
  return {
    gateway,
    spec,
    hostname,
    protocol,
    accepted,
    conflicted: pass('NoConflicts', 'no conflicts'),
    resolvedRefs,
    certificateRefs,
    // No route kind is served on a protocol Sluice does not speak, nor in a tls.mode it does not
    // serve (conformance TLSRouteListenerTerminateNotSupported: supportedKinds empty).
    supportedKinds: protocol && !modeUnsupported ? kinds : [],
    certificates,
    sockets: [],
    attached: new Set(),
  };
}

/** Listeners of one Gateway sharing a port must agree on protocol and differ in hostname. */
function markConflicts(listeners: readonly ListenerState[]): void {
  const byPort = new Map<number, ListenerState[]>();
  for (const l of listeners) {
    if (!l.accepted.ok) continue;
    let list = byPort.get(l.spec.port);
    if (!list) byPort.set(l.spec.port, (list = []));
    list.push(l);
  }
  for (const [port, list] of byPort) {
    const protocols = new Set(list.map((l) => l.protocol));
    if (protocols.size > 1) {
      for (const l of list) l.conflicted = problem('ProtocolConflict', `port ${port} is used with protocols ${[...protocols].join(' and ')}`);
      continue;
    }
    const byHost = new Map<string, ListenerState[]>();
    for (const l of list) {
      const key = l.hostname ?? '';
      byHost.set(key, [...(byHost.get(key) ?? []), l]);
    }
    for (const [host, same] of byHost) {
      if (same.length < 2) continue;
      for (const l of same) l.conflicted = problem('HostnameConflict', `listeners ${same.map((x) => x.spec.name).join(', ')} share port ${port} and hostname ${host || '(any)'}`);
    }
  }
}

export function buildGateways(
  gateways: readonly Gateway[],
  inputs: GatewayInputs,
  onMalformed: (gw: Gateway, message: string) => void,
): { states: GatewayState[]; sockets: Map<string, SocketClaim> } {
  const states: GatewayState[] = [];
  const ours = gateways.filter((gw) => inputs.classes.has(gw.spec?.gatewayClassName ?? ''));
  const pooled = inputs.addressPool
    ? assignPoolAddresses(ours.filter((gw) => (gw.spec?.addresses?.length ?? 0) === 0).map((gw) => ({ key: gatewayKey(gw), age: gatewayAge(gw) })), inputs.addressPool)
    : new Map<string, string>();
  for (const gw of ours) {
    const classVerdict = inputs.classes.get(gw.spec?.gatewayClassName ?? '')!;
    try {
      states.push(buildGateway(gw, classVerdict, inputs, pooled.get(gatewayKey(gw))));
    } catch {
      // Malformed beyond what the CRD allows (possible in file mode): this Gateway only is dropped.
      onMalformed(gw, 'its spec does not follow the Gateway API schema');
    }
  }
  return { states, sockets: claimSockets(states, inputs.shared) };
}

function buildGateway(gw: Gateway, classVerdict: Verdict, inputs: GatewayInputs, pooled: string | undefined): GatewayState {
  const judged = judgeAddresses(gw);
  const { verdict: addressVerdict } = judged;
  const addresses = judged.addresses.length === 0 && pooled !== undefined ? [pooled] : judged.addresses;
  let accepted = pass('Accepted', 'Gateway is accepted');
  if (!classVerdict.ok) accepted = problem('Invalid', `GatewayClass ${gw.spec?.gatewayClassName} is not accepted: ${classVerdict.message}`);
  else if (gw.spec?.infrastructure?.parametersRef) {
    const p = gw.spec.infrastructure.parametersRef;
    accepted = problem('InvalidParameters', `infrastructure.parametersRef ${p.kind ?? ''}/${p.name} is not supported`);
  } else if (addressVerdict) accepted = addressVerdict;
  const state: GatewayState = {
    gateway: gw,
    source: sourceOf(gw),
    namespace: gw.metadata.namespace ?? 'default',
    age: gatewayAge(gw),
    accepted,
    addresses,
    listeners: [],
    tls: readGatewayTls(gw, inputs),
  };
  for (const l of gw.spec?.listeners ?? []) state.listeners.push(buildListener(state, l, inputs));
  markConflicts(state.listeners);
  if (state.accepted.ok && state.listeners.length > 0 && !state.listeners.some((l) => l.accepted.ok)) {
    state.accepted = problem('ListenersNotValid', 'no listener is valid');
  }
  return state;
}

/** Oldest Gateway first claims each (address, port); see the file comment. */
function claimSockets(states: readonly GatewayState[], shared: ReadonlyMap<string, ListenerProtocol>): Map<string, SocketClaim> {
  const sockets = new Map<string, SocketClaim>();
  const ordered = [...states].sort((a, b) => compareStrings(a.age, b.age));
  for (const gw of ordered) {
    if (!gw.accepted.ok) continue;
    const addresses: (string | undefined)[] = gw.addresses.length > 0 ? [...gw.addresses] : [undefined];
    for (const l of gw.listeners) {
      if (!attachable(l) || !l.protocol) continue;
      const protocol = l.protocol;
      const keys = addresses.map((a) => socketKey(a, l.spec.port));
      const taken = keys
        .map((k) => {
          const claim = sockets.get(k);
          if (claim && claim.owner !== gw) return `in use by Gateway ${claim.owner.namespace}/${claim.owner.gateway.metadata.name}`;
          const other = shared.get(k);
          if (other !== undefined && other !== protocol) return `in use for ${other} by Ingress`;
          return undefined;
        })
        .find((x) => x !== undefined);
      if (taken) {
        l.accepted = problem('PortUnavailable', `port ${l.spec.port} is ${taken}; give this Gateway its own spec.addresses`);
        continue;
      }
      keys.forEach((k, i) => {
        if (!sockets.has(k)) sockets.set(k, { address: addresses[i], port: l.spec.port, protocol, owner: gw });
        l.sockets.push(k);
      });
    }
  }
  return sockets;
}
