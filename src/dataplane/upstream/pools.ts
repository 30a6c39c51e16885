// Upstream connection pools, one undici Pool per endpoint address, kept OUTSIDE the routing
// table: a table swap keeps every pool whose endpoint is still referenced, so keep-alive
// connections and in-flight requests survive it. Pools of endpoints that left are closed
// gracefully (undici lets queued and running requests finish first).
import { Pool } from 'undici';
import type { EndpointAddress } from '../../table/types.js';

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
  /** Endpoint key → connect timeout → pool (a BackendTrafficPolicy may set its own connect timeout). */
  private readonly pools = new Map<string, Map<number, Pool>>();
  private readonly options: PoolOptions;

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** The pool to an endpoint, with the default connect timeout or `connectMs`. */
  get(key: string, connectMs: number = this.options.connectMs): Pool {
    let byTimeout = this.pools.get(key);
    if (!byTimeout) this.pools.set(key, (byTimeout = new Map()));
    let pool = byTimeout.get(connectMs);
    if (!pool) {
      pool = new Pool(`http://${key}`, {
        connections: this.options.connectionsPerEndpoint,
        pipelining: 1,
        connectTimeout: connectMs,
        keepAliveTimeout: this.options.keepAliveMs,
        keepAliveMaxTimeout: this.options.keepAliveMs,
        // Per-request timeouts are passed with each dispatch.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      byTimeout.set(connectMs, pool);
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
