// The Kubernetes provider: informers for IngressClass, Ingress, Service, EndpointSlice and TLS
// and htpasswd Secrets feed the store, and the Gateway API kinds (plus Namespaces) and Sluice's
// own BackendTrafficPolicy and RoutePolicy once their CRDs are served (crd-watch.ts); start()
// resolves once every informer has listed (the sync gate). With attach(pipeline) it also writes
// status on each publish, as the leader only (Lease election with --leader-elect, else always):
// Ingress status when an address is published, Gateway API and policy status always. Credentials come from the pod's service account in a cluster, else from
// KUBECONFIG (KubeConfig.loadFromDefault handles both).
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, Service } from '../api/core.js';
import type { WatchedKind } from '../api/kinds.js';
import type { Config } from '../config/config.js';
import { fail } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Published } from '../pipeline/pipeline.js';
import type { Provider, PublishSource } from '../provider.js';
import type { Store } from '../store/store.js';
import type { Diagnostic } from '../translate/types.js';
import { addressesFromList, addressesFromService, type LoadBalancerAddress } from './addresses.js';
import { CrdWatch } from './crd-watch.js';
import { GatewayApiWatch } from './gateway-api.js';
import { ResourceInformer } from './informer.js';
import { defaultIdentity, leaseNamespace } from './identity.js';
import { LeaderElector } from './leader.js';
import { collectionPath, RESOURCES, resourcePath, SLUICE_API, type ResourceSpec } from './resources.js';
import { restStatusClient } from './status/client.js';
import { GatewayStatusEntries } from './status/gateway-entries.js';
import { IngressStatusEntries } from './status/ingress-entries.js';
import { PolicyStatusEntries } from './status/policy-entries.js';
import { StatusWriter, type StatusEntrySource } from './status/writer.js';

/** How often start() says which informers it is still waiting for. */
const SYNC_REPORT_INTERVAL_MS = 10_000;
/** Longest each part may take to stop (release the lease, finish a status write). */
const STOP_WAIT_MS = 5000;

function bounded(p: Promise<void> | undefined, ms: number): Promise<void> {
  if (!p) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

export interface KubernetesProviderOptions {
  readonly config: Config;
  readonly store: Store;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Default: KubeConfig.loadFromDefault() (in-cluster, or KUBECONFIG / ~/.kube/config). */
  readonly kubeConfig?: KubeConfig;
}

export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  // Without any of these, client-node silently falls back to http://localhost:8080.
  const home = env['HOME'] ?? homedir();
  if (!env['KUBECONFIG'] && !env['KUBERNETES_SERVICE_HOST'] && !existsSync(join(home, '.kube', 'config'))) {
    throw fail('K8sConfigUnavailable', 'not in a pod (KUBERNETES_SERVICE_HOST unset), KUBECONFIG unset and no ~/.kube/config');
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw fail('K8sConfigUnavailable', (err as Error).message);
  }
  if (!kc.getCurrentCluster()) throw fail('K8sConfigUnavailable', 'no current cluster');
  return kc;
}

export class KubernetesProvider implements Provider {
  private readonly o: KubernetesProviderOptions;
  private readonly log: Logger;
  private informers: ResourceInformer[] = [];
  private publishServiceInformer: ResourceInformer | undefined;
  private publishService: Service | undefined;
  private publishServiceSynced = false;
  private leader: LeaderElector | undefined;
  private statusWriter: StatusWriter | undefined;
  private gatewayApi: GatewayApiWatch | undefined;
  private sluiceApi: CrdWatch | undefined;
  private lastStatuses: Published['statuses'] | undefined;
  private stopped = false;

  constructor(options: KubernetesProviderOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'kubernetes-provider' });
  }

  /** Writes status on every publish of `pipeline` (leader only). Call before start(). */
  attach(pipeline: PublishSource): void {
    pipeline.onPublish((published) => {
      this.lastStatuses = published.statuses;
      this.statusWriter?.update(published.statuses);
    });
  }

  async start(): Promise<void> {
    const { config, store } = this.o;
    const kc = this.o.kubeConfig ?? loadKubeConfig();
    this.log.info({ server: kc.getCurrentCluster()?.server, watchNamespace: config.watchNamespace ?? '(all)' }, 'connecting to the apiserver');

    const makeInformer = (spec: ResourceSpec, path: string, fieldSelector: string | undefined): ResourceInformer => {
      const ns = spec.namespaced ? config.watchNamespace : undefined;
      const scope = ns ? `in namespace ${ns}` : spec.namespaced ? 'in all namespaces' : fieldSelector ? `(${fieldSelector})` : '(cluster-scoped)';
      // Two informers of one resource (TLS and htpasswd Secrets) are told apart by their selector.
      const selector = spec.namespaced && fieldSelector ? ` (${fieldSelector})` : '';
      return new ResourceInformer({
        kc,
        description: `${spec.plural}${selector} ${scope}`,
        apiVersion: spec.apiVersion,
        kind: spec.kind,
        path,
        fieldSelector,
        labelSelector: spec.labelSelector,
        handlers: {
          upsert: (obj) => store.upsert(spec.trim ? spec.trim(obj) : obj),
          remove: (obj) => store.remove(obj.kind as WatchedKind, obj.metadata.namespace, obj.metadata.name),
        },
        log: this.o.log,
        metrics: this.o.metrics,
      });
    };
    this.informers = RESOURCES.map((spec) => makeInformer(spec, resourcePath(spec, config.watchNamespace), spec.fieldSelector));
    const crdOptions = { kc, watchNamespace: config.watchNamespace, log: this.o.log, metrics: this.o.metrics, makeInformer };
    this.gatewayApi = new GatewayApiWatch(crdOptions);
    this.sluiceApi = new CrdWatch(SLUICE_API, crdOptions);
    this.startStatus(kc);
    for (const informer of this.informers) informer.start();
    await this.waitForSync(Promise.all([this.gatewayApi.start(), this.sluiceApi.start()]));
    if (!this.stopped) this.log.info({ informers: this.allInformers().length }, 'every informer has synced');
  }

  /** Bounded: a write or lease call in flight is abandoned after a few seconds. */
  async stop(): Promise<void> {
    this.stopped = true;
    await bounded(this.statusWriter?.stop(), STOP_WAIT_MS);
    await bounded(this.leader?.stop(), STOP_WAIT_MS);
    await Promise.all([...this.informers, ...(this.publishServiceInformer ? [this.publishServiceInformer] : [])].map((i) => i.stop()));
    await this.gatewayApi?.stop();
    await this.sluiceApi?.stop();
  }

  private crdWatches(): CrdWatch[] {
    return [this.gatewayApi, this.sluiceApi].filter((w): w is CrdWatch => w !== undefined);
  }

  private allInformers(): ResourceInformer[] {
    return [...this.informers, ...this.crdWatches().flatMap((w) => w.informers()), ...(this.publishServiceInformer ? [this.publishServiceInformer] : [])];
  }

  diagnostics(): readonly Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const informer of this.allInformers()) {
      const p = informer.problem();
      if (p) out.push({ severity: 'error', code: p.code, message: p.message, source: { kind: 'Informer', name: informer.description } });
    }
    for (const watch of this.crdWatches()) {
      const discovery = watch.problem();
      if (discovery) out.push({ severity: 'error', code: discovery.code, message: discovery.message, source: { kind: 'Informer', name: watch.description } });
    }
    return out;
  }

  /** Whether this instance may write status now. */
  isLeader(): boolean {
    return this.leader ? this.leader.isLeader() : true;
  }

  /** The core informers and `crds` (discovery, then the CRD-defined kinds served at start). */
  private async waitForSync(crds: Promise<unknown>): Promise<void> {
    const all = Promise.all([...this.informers.map((i) => i.synced), crds]);
    const report = setInterval(() => {
      const waiting = [...this.informers, ...this.crdWatches().flatMap((w) => w.informers())].filter((i) => !i.isSynced()).map((i) => i.description);
      if (waiting.length > 0) this.log.warn({ waiting }, 'still waiting for informers to sync; not serving a table yet');
    }, SYNC_REPORT_INTERVAL_MS);
    try {
      await all;
    } finally {
      clearInterval(report);
    }
  }

  /** The status writer (its entry sources), the publish-service watch and leader election. */
  private startStatus(kc: KubeConfig): void {
    const { config, store } = this.o;
    const sources: StatusEntrySource[] = [];
    const desired = this.desiredAddressSource();
    if (desired) sources.push(new IngressStatusEntries(desired));
    else this.log.info('neither --publish-address nor --publish-service is set: Ingress status is not written');
    sources.push(new GatewayStatusEntries(() => {
      const s = store.snapshot();
      return [...s.HTTPRoute, ...s.GRPCRoute];
    }));
    sources.push(new PolicyStatusEntries('BackendTrafficPolicy'), new PolicyStatusEntries('RoutePolicy'), new PolicyStatusEntries('BackendTLSPolicy'));
    this.statusWriter = new StatusWriter({
      client: restStatusClient(kc),
      sources,
      cached: (target) => store.get(target.kind, target.namespace, target.name) as { status?: unknown } | undefined,
      isLeader: () => this.isLeader(),
      log: this.o.log,
      metrics: this.o.metrics,
    });
    if (this.lastStatuses) this.statusWriter.update(this.lastStatuses);
    if (config.leaderElect) {
      const namespace = leaseNamespace(config.lease.namespace);
      this.leader = new LeaderElector({
        kc,
        name: config.lease.name,
        namespace,
        identity: defaultIdentity(),
        durationMs: config.lease.durationMs,
        renewDeadlineMs: config.lease.renewDeadlineMs,
        retryPeriodMs: config.lease.retryPeriodMs,
        log: this.o.log,
        metrics: this.o.metrics,
        onChange: (leading) => {
          if (leading) this.statusWriter?.resync();
        },
      });
      this.leader.start();
    }
    if (desired && config.publishService) this.watchPublishService(kc, config.publishService);
  }

  private desiredAddressSource(): (() => readonly LoadBalancerAddress[] | undefined) | undefined {
    const { publishAddress, publishService } = this.o.config;
    if (publishAddress.length > 0) {
      const fixed = addressesFromList(publishAddress);
      return () => fixed;
    }
    if (publishService) return () => (this.publishServiceSynced ? addressesFromService(this.publishService) : undefined);
    return undefined;
  }

  /** A watch on the one Service whose address we publish; any change re-triggers status. */
  private watchPublishService(kc: KubeConfig, ref: { namespace: string; name: string }): void {
    const informer = new ResourceInformer({
      kc,
      description: `publish service ${ref.namespace}/${ref.name}`,
      apiVersion: 'v1',
      kind: 'Service',
      path: collectionPath('v1', 'services', ref.namespace),
      fieldSelector: `metadata.name=${ref.name}`,
      handlers: {
        upsert: (obj: KubeObject) => {
          this.publishService = obj as Service;
          this.statusWriter?.resync();
        },
        remove: () => {
          this.publishService = undefined;
          this.statusWriter?.resync();
        },
      },
      log: this.o.log,
      metrics: this.o.metrics,
    });
    this.publishServiceInformer = informer;
    informer.start();
    void informer.synced.then(() => {
      this.publishServiceSynced = true;
      this.statusWriter?.resync();
    });
  }
}
