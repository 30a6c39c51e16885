// RequestMirror: a fire-and-forget copy of a request to each mirror cluster. The copy never
// affects the main exchange: its response is read and dropped, its errors are swallowed, and it
// is bounded by a timeout. Only requests without a body are mirrored (a body is a stream the
// main request consumes; teeing it would let a slow mirror hold the main request back).
import type { Dispatcher } from 'undici';
import type { ProxyContext } from '../context.js';
import type { Forward } from '../plan.js';

const MIRROR_TIMEOUT_MS = 10_000;

export function mirrorRequest(ctx: Pick<ProxyContext, 'cluster' | 'pools' | 'upstreamTls'>, mirrors: readonly { readonly cluster: string; readonly percent: number }[], plan: Forward): void {
  const context = { clientAddress: plan.client.address, hashKey: undefined };
  for (const m of mirrors) {
    if (m.percent < 100 && Math.random() * 100 >= m.percent) continue;
    const cluster = ctx.cluster(m.cluster);
    const target = cluster?.pick(context);
    const pool = target && cluster!.pool(ctx.pools, ctx.upstreamTls, target.key, plan.backendClientCertificate);
    if (!pool) continue;
    pool
      .request(
        cluster!.withServerName({
          method: plan.facts.method as Dispatcher.HttpMethod,
          path: plan.path,
          headers: [...plan.routeHeaders],
          body: null,
          headersTimeout: MIRROR_TIMEOUT_MS,
          bodyTimeout: MIRROR_TIMEOUT_MS,
        }),
      )
      .then((r) => r.body.dump())
      .catch(() => undefined);
  }
}
