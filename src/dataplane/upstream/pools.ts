// Upstream connection pools, one per endpoint address, kept OUTSIDE the routing
// table: a table swap keeps every pool whose endpoint is still referenced, so keep-alive
// connections and in-flight requests survive it. Pools of endpoints that left are closed
// gracefully (queued and running requests finish first). Clear-text HTTP/1.1 endpoints get
// Sluice's own client (http1/pool.ts); TLS and HTTP/2 ones an undici Pool. Endpoints of an HTTP/2
// cluster (Service port appProtocol kubernetes.io/h2c, GRPCRoute backends) get pools of their
// own kind, many streams on few connections: cleartext with prior knowledge, or — when a
// BackendTLSPolicy makes them TLS — h2 negotiated by ALPN (gRPC over TLS).
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { EndpointAddress } from '../../table/types.js';
import type { TlsProfile } from './tls.js';
import { Http1Pool, type UpstreamPool } from './http1/pool.js';

export interface PoolOptions {
  readonly connectMs: number;
  readonly keepAliveMs: number;
  /** Most concurrent connections to one endpoint. */
  readonly connectionsPerEndpoint: number;
}

export function endpointKey(e: Pick<EndpointAddress, 'address' | 'port'>): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** How Sluice speaks to an endpoint: HTTP/1.1 (the default) or HTTP/2 (h2c in clear, h2 over TLS). */
export type PoolKind = 'http1' | 'h2';

// undici (≈ 110 modules) is required when the first TLS, HTTP/2 or upgrade pool is made, not when
// this module loads: the controller imports endpointKey from here (admin, health checks), and a
// worker whose endpoints are all clear-text HTTP/1.1 never needs it.
// The same CommonJS instance an `import … from 'undici'` gets.
const requireHere = createRequire(import.meta.url);
let undici: typeof Undici | undefined;
type Pool = UpstreamPool;

/** Streams Sluice opens at most on one HTTP/2 connection (the endpoint's SETTINGS may lower it). */
const H2_STREAMS_PER_CONNECTION = 100;

export class UpstreamPools {
  /**
   * Endpoint key → variant → pool. The variant is the connect timeout (a BackendTrafficPolicy may
   * set its own) for plain HTTP/1.1 pools, and kind|timeout|TLS profile for the others (HTTP/2; a
   * BackendTLSPolicy makes the pool's connections TLS).
   */
  private readonly pools = new Map<string, Map<number | string, Pool>>();
  private readonly options: PoolOptions;

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** The pool to an endpoint, with the default connect timeout or `connectMs`, of the given kind; TLS with `tls` (upstream/tls.ts). */
  get(key: string, connectMs: number = this.options.connectMs, kind: PoolKind = 'http1', tls?: TlsProfile): Pool {
    let byTimeout = this.pools.get(key);
    if (!byTimeout) this.pools.set(key, (byTimeout = new Map()));
    // The common case (plain HTTP/1.1) keys by number: no string built per request.
    const variant = kind === 'http1' && !tls ? connectMs : `${kind}|${connectMs}|${tls?.id ?? ''}`;
    let pool = byTimeout.get(variant);
    if (!pool) {
      pool = kind === 'http1' && !tls ? this.http1(key, connectMs) : this.undiciPool(key, connectMs, kind, tls);
      byTimeout.set(variant, pool);
    }
    return pool;
  }

  private http1(key: string, connectMs: number): Pool {
    const colon = key.lastIndexOf(':');
    const host = key.startsWith('[') ? key.slice(1, colon - 1) : key.slice(0, colon);
    return new Http1Pool({
      host,
      port: Number(key.slice(colon + 1)),
      authority: key,
      connections: this.options.connectionsPerEndpoint,
      connectMs,
      keepAliveMs: this.options.keepAliveMs,
      fallback: () => this.undiciPool(key, connectMs, 'http1', undefined),
    });
  }

  private undiciPool(key: string, connectMs: number, kind: PoolKind, tls: TlsProfile | undefined): Pool {
    const { Pool: UndiciPool } = (undici ??= requireHere('undici') as typeof Undici);
    return new UndiciPool(`${tls ? 'https' : 'http'}://${key}`, {
        // TLS: the profile's SecureContext, SNI and identity check; undici adds the connect
        // timeout and a per-pool session cache (resumption per endpoint). ALPN offers h2 only
        // for an HTTP/2 cluster (an HTTP/1.1 one never switches protocol under a request).
        ...(tls ? { connect: { ...tls.connect, maxCachedSessions: 8 }, allowH2: kind === 'h2' } : {}),
        connections: this.options.connectionsPerEndpoint,
        ...(kind === 'h2' ? { ...(tls ? {} : { useH2c: true }), maxConcurrentStreams: H2_STREAMS_PER_CONNECTION } : { pipelining: 1 }),
        connectTimeout: connectMs,
        keepAliveTimeout: this.options.keepAliveMs,
        keepAliveMaxTimeout: this.options.keepAliveMs,
        // Per-request timeouts are passed with each dispatch.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
  }

  /** Closes (gracefully) every pool whose endpoint key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, byTimeout] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      for (const pool of byTimeout.values()) pool.close().catch(() => pool.destroy());
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()].flatMap((m) => [...m.values()]);
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }
}
