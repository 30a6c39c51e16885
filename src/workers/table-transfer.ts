// Moving a routing table to a data-plane worker in bounded pieces. One IPC message holding a
// whole 10k-route table is one multi-megabyte JSON.parse on the worker's serving loop (tens of
// milliseconds of stalled requests); pieces of about TARGET_PIECE_BYTES each parse in well under
// a millisecond, and the socket buffer between the processes interleaves them with requests.
// An endpoint-only update (same routes version) carries the clusters alone.
import type { Cluster, L4Listener, Listener, RoutingTable, TlsCertificate, VirtualHost } from '../table/types.js';

/** Roughly what one piece should weigh once serialized. */
const TARGET_PIECE_BYTES = 64 * 1024;

/** A listener without its bulky lists; they follow as `hosts` and `certificates` pieces. */
/** A listener without its bulky parts; its TLS settings ride along, the certificates follow in pieces. */
export type ListenerHead = Omit<Listener, 'virtualHosts' | 'tls'> & { readonly tls?: Omit<NonNullable<Listener['tls']>, 'certificates'> };

export type TablePiece =
  | { readonly kind: 'listener'; readonly listener: ListenerHead }
  /** Virtual hosts of the last `listener` piece, in order. */
  | { readonly kind: 'hosts'; readonly hosts: readonly VirtualHost[] }
  /** TLS certificates of the last `listener` piece, in order. */
  | { readonly kind: 'certificates'; readonly certificates: readonly TlsCertificate[] }
  | { readonly kind: 'clusters'; readonly clusters: readonly Cluster[] }
  /** TLS passthrough and TCP listeners (small: routes name clusters, nothing more). */
  | { readonly kind: 'l4'; readonly listeners: readonly L4Listener[] };

export interface TableTransfer {
  /** True: the receiver keeps the listeners it has for `routesVersion`; only clusters follow. */
  readonly keepRoutes: boolean;
  readonly routesVersion?: number;
  readonly pieces: TablePiece[];
}

// Cheap size estimates (serializing twice to measure would double the controller's work).
const hostBytes = (vh: VirtualHost) => 64 + vh.hostname.length + vh.routes.length * 320;
const certificateBytes = (c: TlsCertificate) => 128 + c.certPem.length + c.keyPem.length;
const clusterBytes = (c: Cluster) => 256 + c.endpoints.length * 160;
const l4Bytes = (l: L4Listener) => 128 + l.routes.length * 256;

/** Cuts a list into runs whose estimated size stays near the target (at least one item each). */
function batches<T>(items: readonly T[], bytes: (item: T) => number): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let size = 0;
  for (const item of items) {
    const b = bytes(item);
    if (run.length > 0 && size + b > TARGET_PIECE_BYTES) {
      out.push(run);
      run = [];
      size = 0;
    }
    run.push(item);
    size += b;
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** The pieces that rebuild `table`; with `keepRoutes`, only its clusters. */
export function splitTable(table: RoutingTable, keepRoutes: boolean): TableTransfer {
  const pieces: TablePiece[] = [];
  if (!keepRoutes) {
    for (const l of table.listeners) {
      const { virtualHosts, tls, ...rest } = l;
      let head: ListenerHead = rest;
      if (tls) {
        const { certificates: _certificates, ...tlsSettings } = tls;
        head = { ...rest, tls: tlsSettings };
      }
      pieces.push({ kind: 'listener', listener: head });
      for (const hosts of batches(virtualHosts, hostBytes)) pieces.push({ kind: 'hosts', hosts });
      for (const certificates of batches(tls?.certificates ?? [], certificateBytes)) pieces.push({ kind: 'certificates', certificates });
    }
    for (const listeners of batches(table.l4Listeners ?? [], l4Bytes)) pieces.push({ kind: 'l4', listeners });
  }
  for (const clusters of batches(table.clusters, clusterBytes)) pieces.push({ kind: 'clusters', clusters });
  return { keepRoutes, routesVersion: table.routesVersion, pieces };
}

interface MutableListener {
  readonly head: ListenerHead;
  readonly virtualHosts: VirtualHost[];
  readonly certificates: TlsCertificate[];
}

/** Collects the pieces of one transfer and rebuilds the table. */
export class TableAssembler {
  private readonly listeners: MutableListener[] = [];
  private readonly clusters: Cluster[] = [];
  private readonly l4: L4Listener[] = [];

  add(piece: TablePiece): void {
    if (piece.kind === 'clusters') {
      this.clusters.push(...piece.clusters);
      return;
    }
    if (piece.kind === 'l4') {
      this.l4.push(...piece.listeners);
      return;
    }
    if (piece.kind === 'listener') {
      this.listeners.push({ head: piece.listener, virtualHosts: [], certificates: [] });
      return;
    }
    const last = this.listeners[this.listeners.length - 1];
    if (!last) throw new Error(`table piece "${piece.kind}" before any listener`);
    if (piece.kind === 'hosts') last.virtualHosts.push(...piece.hosts);
    else last.certificates.push(...piece.certificates);
  }

  /** The table; with `keepRoutes`, `routes` supplies the listeners the receiver already has. */
  finish(transfer: Pick<TableTransfer, 'keepRoutes' | 'routesVersion'>, routes: RoutingTable | undefined): RoutingTable {
    let listeners: readonly Listener[];
    let l4: readonly L4Listener[] | undefined = this.l4.length > 0 ? this.l4 : undefined;
    if (transfer.keepRoutes) {
      if (!routes || routes.routesVersion !== transfer.routesVersion) throw new Error(`no listeners of routes version ${transfer.routesVersion} to keep`);
      listeners = routes.listeners;
      l4 = routes.l4Listeners;
    } else {
      listeners = this.listeners.map(({ head, virtualHosts, certificates }) => {
        const { tls, ...rest } = head;
        return { ...rest, virtualHosts, ...(tls ? { tls: { ...tls, certificates } } : {}) };
      });
    }
    return { listeners, ...(l4 ? { l4Listeners: l4 } : {}), clusters: this.clusters, ...(transfer.routesVersion !== undefined ? { routesVersion: transfer.routesVersion } : {}) };
  }
}
