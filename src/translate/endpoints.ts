// EndpointSlices → the endpoint set of one Service port. Used by the full translation and by the
// endpoints fast path alike, so both give the same answer.
import { SERVICE_NAME_LABEL, type EndpointSlice } from '../api/core.js';
import type { EndpointAddress } from '../table/types.js';
import { compareStrings } from '../util/compare.js';

/** Slices grouped by "namespace/service-name". */
export type SliceIndex = ReadonlyMap<string, readonly EndpointSlice[]>;

export function indexSlices(slices: readonly EndpointSlice[]): SliceIndex {
  const index = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || !s.metadata.namespace) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    let list = index.get(key);
    if (!list) index.set(key, (list = []));
    list.push(s);
  }
  return index;
}

/**
 * Every endpoint of the given Service port, deduplicated by address:port and sorted. Conditions
 * follow the EndpointSlice API: unknown `ready` counts as ready, unknown `serving` as `ready`,
 * unknown `terminating` as false. Only the first address of an endpoint is used (they are
 * fungible by contract).
 */
export function resolveEndpoints(slices: readonly EndpointSlice[], portName: string): EndpointAddress[] {
  const byAddress = new Map<string, EndpointAddress>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const address = ep.addresses[0];
      if (!address) continue;
      const ready = ep.conditions?.ready ?? true;
      const candidate: EndpointAddress = {
        address,
        port,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
        ...(ep.zone ? { zone: ep.zone } : {}),
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
        ...(ep.targetRef?.name ? { target: `${ep.targetRef.kind ?? 'Pod'}/${ep.targetRef.namespace ?? slice.metadata.namespace}/${ep.targetRef.name}` } : {}),
      };
      const key = `${address}|${port}`;
      const prev = byAddress.get(key);
      // The same endpoint can sit in two slices while the slice controller moves it; ready wins.
      if (!prev || (candidate.ready && !prev.ready)) byAddress.set(key, candidate);
    }
  }
  return [...byAddress.values()].sort((a, b) => compareStrings(a.address, b.address) || a.port - b.port);
}
