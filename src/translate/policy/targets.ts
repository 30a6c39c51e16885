// targetRefs → Service (port) attachments, and who wins where two policies target the same
// Service. The rules:
// - A target is a Service in the policy's namespace (group "", kind Service), optionally one of
//   its ports by name (sectionName). Anything else makes the policy invalid.
// - A Service (or port) that does not exist: that target is TargetNotFound.
// - Same Service and same sectionName (or both without): the oldest policy wins
//   (creationTimestamp, then namespace/name); the others are Conflicted for that target.
// - A policy naming a port is more specific than one naming the whole Service: it wins that port,
//   the whole-Service policy keeps the other ports. A whole-Service policy left with no port (every
//   port named by another policy) is Conflicted too.
// Invalid policies do not take part: a broken policy never blocks a good one.
import type { Service } from '../../api/core.js';
import type { PolicyTargetReference } from '../../api/sluice.js';
import { compareStrings } from '../../util/compare.js';
import type { Fields } from './fields.js';

export const MAX_TARGETS = 16;

/** A policy attached to Services by targetRefs (BackendTrafficPolicy, BackendTLSPolicy). */
export interface ServiceTargetedPolicy {
  readonly metadata: { readonly namespace?: string; readonly name: string; readonly creationTimestamp?: string };
  readonly spec?: { readonly targetRefs?: readonly PolicyTargetReference[] };
}

export interface Target {
  readonly index: number;
  readonly namespace: string;
  readonly service: string;
  readonly sectionName?: string;
}

/** The targets as written, checked for shape (kind, group, name, duplicates). */
export function readTargets(policy: ServiceTargetedPolicy, f: Fields): Target[] {
  const namespace = policy.metadata.namespace ?? 'default';
  const list = f.list(policy.spec?.targetRefs, 'targetRefs', MAX_TARGETS);
  if (!list || list.length === 0) {
    if (list || policy.spec?.targetRefs === undefined) f.problem('targetRefs', 'must name at least one Service');
    return [];
  }
  const out: Target[] = [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const t = f.at(`targetRefs[${index}]`);
    const ref = f.object(item, `targetRefs[${index}]`) as PolicyTargetReference | undefined;
    if (!ref) return;
    if (ref.group === undefined || ref.kind === undefined) {
      if (ref.group === undefined) t.problem('group', 'is required ("" for a Service)');
      if (ref.kind === undefined) t.problem('kind', 'is required (Service)');
      return;
    }
    if (ref.group !== '' || ref.kind !== 'Service') {
      t.invalid(`only a Service can be targeted (group "", kind Service), not group ${JSON.stringify(ref.group)} kind ${JSON.stringify(ref.kind)}`);
      return;
    }
    const name = t.string(ref.name, 'name', (s) => (s.length > 0 && s.length <= 253 ? undefined : 'must be 1 to 253 characters'));
    const sectionName = t.string(ref.sectionName, 'sectionName', (s) => (s.length > 0 && s.length <= 253 ? undefined : 'must be 1 to 253 characters'));
    if (ref.name === undefined) t.problem('name', 'is required');
    if (name === undefined || (ref.sectionName !== undefined && sectionName === undefined)) return;
    const key = `${name}:${sectionName ?? ''}`;
    if (seen.has(key)) return void t.invalid(`targets Service ${name}${sectionName ? ` port ${sectionName}` : ''} a second time`);
    seen.add(key);
    out.push({ index, namespace, service: name, ...(sectionName !== undefined ? { sectionName } : {}) });
  });
  return out;
}

/** "Service shop/api" or "Service shop/api port http", as messages name a target. */
export function describeTarget(t: Target): string {
  return `Service ${t.namespace}/${t.service}${t.sectionName !== undefined ? ` port ${t.sectionName}` : ''}`;
}

/** Why a target does not resolve, or undefined when its Service (and named port) exists. */
export function missingTarget(t: Target, services: ReadonlyMap<string, Service>): string | undefined {
  const svc = services.get(`${t.namespace}/${t.service}`);
  if (!svc) return `Service ${t.namespace}/${t.service} does not exist`;
  if (t.sectionName !== undefined && !(svc.spec?.ports ?? []).some((p) => p.name === t.sectionName)) {
    return `Service ${t.namespace}/${t.service} has no port named ${t.sectionName}`;
  }
  return undefined;
}

export interface Candidate<P> {
  readonly owner: P;
  readonly policy: ServiceTargetedPolicy;
  readonly target: Target;
}

export type Outcome<P> =
  /** `overridden`: ports of a whole-Service target that a policy naming them took. */
  | { readonly type: 'applied'; readonly overridden: readonly { readonly port: string; readonly by: P }[] }
  | { readonly type: 'conflicted'; readonly winners: readonly P[]; readonly why: string };

/** The winner of each Service port, and the outcome of every candidate. */
export interface Resolution<P> {
  /** "ns/service" → port name → the winning candidate's owner. */
  readonly winners: ReadonlyMap<string, ReadonlyMap<string, P>>;
  readonly outcomes: ReadonlyMap<Candidate<P>, Outcome<P>>;
}

function age(p: ServiceTargetedPolicy): string {
  return `${p.metadata.creationTimestamp ?? '9999'}|${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

export function resolveConflicts<P>(candidates: readonly Candidate<P>[], services: ReadonlyMap<string, Service>): Resolution<P> {
  const outcomes = new Map<Candidate<P>, Outcome<P>>();
  // 1. Same Service and sectionName: the oldest wins.
  const bySlot = new Map<string, Candidate<P>[]>();
  for (const c of candidates) {
    const slot = `${c.target.namespace}/${c.target.service}|${c.target.sectionName ?? '*'}`;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), c]);
  }
  const slotWinners: Candidate<P>[] = [];
  for (const group of bySlot.values()) {
    const [first, ...rest] = [...group].sort((a, b) => compareStrings(age(a.policy), age(b.policy)) || a.target.index - b.target.index);
    slotWinners.push(first!);
    for (const loser of rest) {
      const older = (first!.policy.metadata.creationTimestamp ?? '') !== (loser.policy.metadata.creationTimestamp ?? '');
      const why = older ? 'older' : 'same age, first by namespace/name';
      outcomes.set(loser, { type: 'conflicted', winners: [first!.owner], why });
    }
  }
  // 2. Per port: a policy naming it beats one for the whole Service.
  const winners = new Map<string, Map<string, P>>();
  const byService = new Map<string, Candidate<P>[]>();
  for (const c of slotWinners) {
    const key = `${c.target.namespace}/${c.target.service}`;
    byService.set(key, [...(byService.get(key) ?? []), c]);
  }
  for (const [key, group] of byService) {
    const ports = (services.get(key)?.spec?.ports ?? []).map((p) => p.name ?? '');
    const named = new Map(group.filter((c) => c.target.sectionName !== undefined).map((c) => [c.target.sectionName!, c] as const));
    const whole = group.find((c) => c.target.sectionName === undefined);
    const perPort = new Map<string, P>();
    for (const port of new Set(ports)) {
      const winner = (port !== '' ? named.get(port) : undefined) ?? whole;
      if (winner) perPort.set(port, winner.owner);
    }
    winners.set(key, perPort);
    for (const c of named.values()) outcomes.set(c, { type: 'applied', overridden: [] });
    if (!whole) continue;
    const overridden = [...perPort].filter(([, owner]) => owner !== whole.owner).map(([port, by]) => ({ port, by }));
    if (perPort.size > 0 && overridden.length === perPort.size) {
      outcomes.set(whole, { type: 'conflicted', winners: [...new Set(overridden.map((o) => o.by))], why: 'each names a port, which is more specific than the whole Service' });
    } else outcomes.set(whole, { type: 'applied', overridden });
  }
  return { winners, outcomes };
}
