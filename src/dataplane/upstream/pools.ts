// Upstream connection pools, one undici Pool per endpoint address, kept OUTSIDE the routing
// table: a table swap keeps every pool whose endpoint is still referenced, so keep-alive
// connections and in-flight requests survive it. Pools of endpoints that left are closed
// gracefully (undici lets queued and running requests finish first).
import { Pool } from 'undici';
import type { EndpointAddress } from '../../table/types.js';
import type { TlsProfile } from './tls.js';

export interface PoolOptions {
  readonly connectMs: number;
  readonly keepAliveMs: number;
  /** Most concurrent connections to one endpoint. */
  readonly connectionsPerEndpoint: number;
}

export function endpointKey(e: Pick<EndpointAddress, 'address' | 'port'>): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export class UpstreamPools {
  /**
   * Endpoint key → connect timeout (and TLS profile) → pool: a BackendTrafficPolicy may set its
   * own connect timeout, a BackendTLSPolicy makes the pool's connections TLS.
   */
  private readonly pools = new Map<string, Map<number | string, Pool>>();
  private readonly options: PoolOptions;

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** The pool to an endpoint, with the default connect timeout or `connectMs`; TLS with `tls` (upstream/tls.ts). */
  get(key: string, connectMs: number = this.options.connectMs, tls?: TlsProfile): Pool {
    let byTimeout = this.pools.get(key);
    if (!byTimeout) this.pools.set(key, (byTimeout = new Map()));
    const variant = tls ? `${connectMs}|${tls.id}` : connectMs;
    let pool = byTimeout.get(variant);
    if (!pool) {
      pool = new Pool(`${tls ? 'https' : 'http'}://${key}`, {
        // TLS: the profile's SecureContext, SNI and identity check; undici adds the connect
        // timeout and a per-pool session cache (resumption per endpoint). HTTP/1.1 only.
        ...(tls ? { connect: { ...tls.connect, maxCachedSessions: 8 }, allowH2: false } : {}),
        connections: this.options.connectionsPerEndpoint,
        pipelining: 1,
        connectTimeout: connectMs,
        keepAliveTimeout: this.options.keepAliveMs,
        keepAliveMaxTimeout: this.options.keepAliveMs,
        // Per-request timeouts are passed with each dispatch.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      byTimeout.set(variant, pool);
    }
    return pool;
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
