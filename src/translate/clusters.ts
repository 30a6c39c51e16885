// Service references → clusters. Shared by every route translator (Ingress, Gateway API), so a
// Service port referenced from two places is one cluster with one endpoint set.
import type { Service, ServicePort } from '../api/core.js';
import type { Snapshot } from '../store/snapshot.js';
import type { Cluster, SourceRef } from '../table/types.js';
import { compareStrings } from '../util/compare.js';
import type { Diagnostics } from './diagnostics.js';
import { indexSlices, resolveEndpoints, type SliceIndex } from './endpoints.js';
import { describe } from '../errors.js';

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  /** Service port by number or by name. */
  readonly port: number | string;
  /**
   * The protocol the referrer needs when the Service port does not name one (GRPCRoute: h2c).
   * A port's appProtocol kubernetes.io/h2c makes every reference h2c.
   */
  readonly protocol?: 'h2c';
}

/** The appProtocol of a Service port that means cleartext HTTP/2 (Gateway API BackendProtocolH2C). */
export const H2C_APP_PROTOCOL = 'kubernetes.io/h2c';

/**
 * "namespace/service:port"; resolved clusters always use the port number. A port reached over
 * h2c only because its referrer asked (GRPCRoute, no appProtocol) is its own cluster, "…:port/h2c".
 */
export function clusterId(ref: ServiceRef): string {
  return `${ref.namespace}/${ref.name}:${ref.port}${ref.protocol ? `/${ref.protocol}` : ''}`;
}

export class ClusterRegistry {
  private readonly services = new Map<string, Service>();
  private readonly slices: SliceIndex;
  private readonly clusters = new Map<string, Cluster>();
  /** Reference as written ("ns/svc:http") → cluster id ("ns/svc:80"). */
  private readonly aliases = new Map<string, string>();
  private readonly diagnostics: Diagnostics;

  constructor(snapshot: Snapshot, diagnostics: Diagnostics) {
    for (const s of snapshot.Service) this.services.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    this.slices = indexSlices(snapshot.EndpointSlice);
    this.diagnostics = diagnostics;
  }

  /**
   * Returns the cluster id for a Service port, creating the cluster on first use. A missing
   * Service or port still yields a cluster (it answers 503) and a diagnostic on `from`.
   */
  resolve(ref: ServiceRef, from: SourceRef): string {
    const written = clusterId(ref);
    const known = this.aliases.get(written);
    if (known !== undefined) {
      const existing = this.clusters.get(known)!;
      if (existing.unresolved) this.report(existing.unresolved, from);
      return known;
    }
    const svcName = `${ref.namespace}/${ref.name}`;
    const service = this.services.get(svcName);
    let cluster: Cluster;
    let port: ServicePort | undefined;
    if (!service) {
      cluster = this.unresolved(written, ref, describe('ServiceNotFound', svcName));
    } else if (service.spec?.type === 'ExternalName') {
      cluster = this.unresolved(written, ref, describe('ServiceExternalName', svcName));
    } else if (!(port = findPort(service, ref.port))) {
      cluster = this.unresolved(written, ref, describe('ServicePortNotFound', svcName, String(ref.port)));
    } else {
      // One cluster per Service port and protocol, however it is referenced (by number or by name).
      const portName = port.name ?? '';
      const h2c = port.appProtocol === H2C_APP_PROTOCOL;
      const id = clusterId({ namespace: ref.namespace, name: ref.name, port: port.port, ...(ref.protocol && !h2c ? { protocol: ref.protocol } : {}) });
      cluster = this.clusters.get(id) ?? {
        id,
        service: { namespace: ref.namespace, name: ref.name },
        portName,
        servicePort: port.port,
        loadBalancer: { type: 'RoundRobin' },
        endpoints: resolveEndpoints(this.slices.get(svcName) ?? [], portName),
        ...(h2c || ref.protocol === 'h2c' ? { protocol: 'h2c' as const } : {}),
      };
    }
    this.clusters.set(cluster.id, cluster);
    this.aliases.set(written, cluster.id);
    if (cluster.unresolved) this.report(cluster.unresolved, from);
    return cluster.id;
  }

  /** A cluster that can never resolve (e.g. a resource backend); it answers 503. */
  unresolvable(id: string, namespace: string, from: SourceRef, problem: { code: string; message: string }): string {
    if (!this.clusters.has(id)) this.clusters.set(id, this.unresolved(id, { namespace, name: '', port: '' }, problem));
    this.report(problem, from);
    return id;
  }

  /** Replaces each resolved cluster with `change(cluster)` (traffic policy, once every route has its clusters). */
  update(change: (cluster: Cluster) => Cluster): void {
    for (const [id, c] of this.clusters) if (!c.unresolved) this.clusters.set(id, change(c));
  }

  get(id: string): Cluster | undefined {
    return this.clusters.get(id);
  }

  list(): Cluster[] {
    return [...this.clusters.values()].sort((a, b) => compareStrings(a.id, b.id));
  }

  private unresolved(id: string, ref: ServiceRef, problem: { code: string; message: string }): Cluster {
    return {
      id,
      service: { namespace: ref.namespace, name: ref.name },
      portName: typeof ref.port === 'string' ? ref.port : '',
      loadBalancer: { type: 'RoundRobin' },
      endpoints: [],
      unresolved: problem,
    };
  }

  private report(problem: { code: string; message: string }, from: SourceRef): void {
    this.diagnostics.push({ severity: 'error', ...problem, source: from });
  }
}

function findPort(service: Service, port: number | string): ServicePort | undefined {
  const ports = service.spec?.ports ?? [];
  return typeof port === 'number' ? ports.find((p) => p.port === port) : ports.find((p) => p.name === port);
}
