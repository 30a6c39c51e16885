// Writes the Gateway API statuses the translator publishes: GatewayClass (conditions,
// supportedFeatures), Gateway (conditions, listeners, addresses) and our entries of HTTPRoute
// status.parents (other controllers' entries are kept). Leader only, through the /status
// subresource. Per object: skip when the store's copy already shows the status (no request);
// else get → compute → skip if equal → replace, retrying a 409 conflict with a fresh get
// (bounded). A route we no longer serve loses our entries. Our writes come back through the
// watch as status-only changes, which the store ignores (no rebuild).
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../api/core.js';
import { GATEWAY_CONTROLLER_NAME } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { GatewayClassStatusUpdate, GatewayStatusUpdate, HTTPRouteStatusUpdate, StatusUpdate } from '../translate/types.js';
import { StatusSyncLoop, type WriteOutcome, writeStatus } from './status-sync.js';
import { nextGatewayClassStatus, nextGatewayStatus, nextRouteStatus, statusChanged, timestamp } from './gateway-status.js';
import { collectionPath, GATEWAY_API_GROUP } from './resources.js';
import { requestJson } from './rest.js';

const CALL_TIMEOUT_MS = 10_000;
const API_VERSION = `${GATEWAY_API_GROUP}/v1`;

type Target = GatewayClassStatusUpdate | GatewayStatusUpdate | HTTPRouteStatusUpdate;
type Ref = { readonly kind: Target['kind']; readonly namespace?: string | undefined; readonly name: string };
type Compute = (currentStatus: unknown, now: string) => Record<string, unknown>;

export interface GatewayStatusWriterOptions {
  readonly kc: KubeConfig;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The store's copy of an object (its status is kept current by the watch). */
  readonly cached: (kind: Target['kind'], namespace: string | undefined, name: string) => KubeObject | undefined;
  /** Every HTTPRoute in the store, to find routes that still carry an entry of ours. */
  readonly routes: () => readonly KubeObject[];
  readonly isLeader: () => boolean;
  readonly now?: () => Date;
}

function keyOf(ref: Ref): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

function describeRef(ref: Ref): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function statusPath(ref: Ref): string {
  const plural = ref.kind === 'GatewayClass' ? 'gatewayclasses' : ref.kind === 'Gateway' ? 'gateways' : 'httproutes';
  return `${collectionPath(API_VERSION, plural, ref.kind === 'GatewayClass' ? undefined : ref.namespace)}/${encodeURIComponent(ref.name)}/status`;
}

function compute(target: Target): Compute {
  switch (target.kind) {
    case 'GatewayClass':
      return (current, now) => nextGatewayClassStatus(current, target.status, now);
    case 'Gateway':
      return (current, now) => nextGatewayStatus(current, target.status, now);
    case 'HTTPRoute':
      return (current, now) => nextRouteStatus(current, target.parents, target.namespace, now);
  }
}

function hasOurParentEntry(route: KubeObject): boolean {
  const parents = (route as { status?: { parents?: unknown } }).status?.parents;
  return Array.isArray(parents) && parents.some((p) => (p as { controllerName?: unknown } | null)?.controllerName === GATEWAY_CONTROLLER_NAME);
}

export class GatewayStatusWriter {
  private readonly o: GatewayStatusWriterOptions;
  private readonly log: Logger;
  private desired = new Map<string, Target>();
  private readonly loop: StatusSyncLoop;

  constructor(options: GatewayStatusWriterOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'gateway-status-writer' });
    this.loop = new StatusSyncLoop(() => this.syncAll(), options.isLeader);
  }

  /** The Gateway API statuses of the latest published table. */
  update(statuses: readonly StatusUpdate[]): void {
    const next = new Map<string, Target>();
    for (const s of statuses) if (s.kind !== 'Ingress') next.set(keyOf(s), s);
    this.desired = next;
    this.loop.schedule();
  }

  /** Re-check every object (leadership gained). */
  resync(): void {
    this.loop.schedule();
  }

  /** Resolves when no write is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every object; returns how many could not be brought up to date. */
  private async syncAll(): Promise<number> {
    let failures = 0;
    const now = () => timestamp(this.o.now?.() ?? new Date());
    for (const target of this.desired.values()) {
      if (this.loop.stopping || !this.o.isLeader()) return failures;
      const next = compute(target);
      const cached = this.o.cached(target.kind, target.kind === 'GatewayClass' ? undefined : target.namespace, target.name) as { status?: unknown } | undefined;
      if (cached && !statusChanged(cached.status, next(cached.status, now()))) continue;
      if ((await this.write(target, next, now)) === 'failed') failures++;
    }
    // Routes we no longer serve (detached, parent gone, class changed) lose our entries.
    for (const route of this.o.routes()) {
      if (this.loop.stopping || !this.o.isLeader()) return failures;
      const ref: Ref = { kind: 'HTTPRoute', namespace: route.metadata.namespace, name: route.metadata.name };
      if (this.desired.has(keyOf(ref)) || !hasOurParentEntry(route)) continue;
      const removal: Compute = (current, at) => nextRouteStatus(current, [], ref.namespace ?? '', at);
      if ((await this.write(ref, removal, now)) === 'failed') failures++;
    }
    return failures;
  }

  /** Brings one object's status to `next(current)`. */
  private write(ref: Ref, next: Compute, now: () => string): Promise<WriteOutcome> {
    const path = statusPath(ref);
    return writeStatus(describeRef(ref), async () => {
      const obj = await requestJson<{ status?: unknown }>(this.o.kc, 'get', path, { timeoutMs: CALL_TIMEOUT_MS });
      const status = next(obj.status, now());
      if (!statusChanged(obj.status, status)) return 'unchanged';
      await requestJson(this.o.kc, 'update', path, { body: { ...obj, status }, timeoutMs: CALL_TIMEOUT_MS });
      this.log.info({ object: describeRef(ref) }, 'Gateway API status written');
      return 'written';
    }, this.o);
  }
}
