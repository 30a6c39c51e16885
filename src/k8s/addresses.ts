// What Sluice writes to Ingress status.loadBalancer.ingress. Pure, so it is unit-tested.
import { isIP } from 'node:net';
import type { Service } from '../api/core.js';

export interface LoadBalancerAddress {
  readonly ip?: string;
  readonly hostname?: string;
}

/** --publish-address entries: IPs become {ip}, anything else {hostname}. Sorted, deduplicated. */
export function addressesFromList(entries: readonly string[]): LoadBalancerAddress[] {
  return normalizeAddresses(entries.map((e) => (isIP(e) ? { ip: e } : { hostname: e })));
}

/**
 * --publish-service: the Service's load-balancer ingress, else its external IPs, else its
 * cluster IP ("None" for headless Services counts as no address).
 */
export function addressesFromService(service: Service | undefined): LoadBalancerAddress[] {
  if (!service) return [];
  const lb = normalizeAddresses(service.status?.loadBalancer?.ingress ?? []);
  if (lb.length > 0) return lb;
  const spec = service.spec as (Service['spec'] & { externalIPs?: readonly string[]; clusterIPs?: readonly string[] }) | undefined;
  const external = spec?.externalIPs ?? [];
  if (external.length > 0) return addressesFromList(external);
  const clusterIP = spec?.clusterIP;
  if (clusterIP && clusterIP !== 'None') return [{ ip: clusterIP }];
  return [];
}

/** Ingress status entries as read from the apiserver, reduced to ip/hostname, sorted. */
export function normalizeAddresses(entries: readonly unknown[]): LoadBalancerAddress[] {
  const seen = new Map<string, LoadBalancerAddress>();
  for (const e of entries) {
    if (typeof e !== 'object' || e === null) continue;
    const { ip, hostname } = e as { ip?: unknown; hostname?: unknown };
    const address: LoadBalancerAddress = {
      ...(typeof ip === 'string' && ip !== '' ? { ip } : {}),
      ...(typeof hostname === 'string' && hostname !== '' ? { hostname } : {}),
    };
    if (address.ip === undefined && address.hostname === undefined) continue;
    seen.set(`${address.ip ?? ''}|${address.hostname ?? ''}`, address);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

export function sameAddresses(a: readonly LoadBalancerAddress[], b: readonly LoadBalancerAddress[]): boolean {
  const na = normalizeAddresses(a);
  const nb = normalizeAddresses(b);
  return na.length === nb.length && na.every((x, i) => x.ip === nb[i]!.ip && x.hostname === nb[i]!.hostname);
}

/** The addresses currently in an Ingress object's status (plain JSON or a client model). */
export function ingressStatusAddresses(ingress: unknown): LoadBalancerAddress[] {
  const status = (ingress as { status?: { loadBalancer?: { ingress?: unknown } } } | undefined)?.status;
  const list = status?.loadBalancer?.ingress;
  return Array.isArray(list) ? normalizeAddresses(list) : [];
}
