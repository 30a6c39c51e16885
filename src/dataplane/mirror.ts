// RequestMirror: a fire-and-forget copy of a request to each mirror cluster. The copy never
// affects the main exchange: its response is read and dropped, its errors are swallowed, and it
// is bounded by a timeout. Only requests without a body are mirrored (a body is a stream the
// main request consumes; teeing it would let a slow mirror hold the main request back).
import type { Dispatcher } from 'undici';
import type { ClusterRuntime } from './clusters.js';
import type { PassiveHealth } from './health/passive.js';
import type { UpstreamPools } from './upstream/pools.js';

const MIRROR_TIMEOUT_MS = 10_000;

export interface MirrorContext {
  cluster(id: string): ClusterRuntime | undefined;
  readonly pools: UpstreamPools;
  readonly health: PassiveHealth;
}

export function mirrorRequest(
  ctx: MirrorContext,
  mirrors: readonly { readonly cluster: string; readonly percent: number }[],
  method: string,
  path: string,
  headers: readonly string[],
  withBody: boolean,
): void {
  if (withBody) return;
  for (const m of mirrors) {
    if (m.percent < 100 && Math.random() * 100 >= m.percent) continue;
    const target = ctx.cluster(m.cluster)?.pick(ctx.health);
    if (!target) continue;
    ctx.pools
      .get(target.key)
      .request({
        method: method as Dispatcher.HttpMethod,
        path,
        headers: [...headers],
        body: null,
        headersTimeout: MIRROR_TIMEOUT_MS,
        bodyTimeout: MIRROR_TIMEOUT_MS,
      })
      .then((r) => r.body.dump())
      .catch(() => undefined);
  }
}
