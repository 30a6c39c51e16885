// RequestMirror: a fire-and-forget copy of a request to each mirror cluster. The copy never
// affects the main exchange: its response is read and dropped, its errors are swallowed, and it
// is bounded by a timeout. Only requests without a body are mirrored (a body is a stream the
// main request consumes; teeing it would let a slow mirror hold the main request back).
import type { Dispatcher } from 'undici';
import type { ProxyContext } from '../context.js';
import type { Forward } from '../plan.js';

const MIRROR_TIMEOUT_MS = 10_000;

export function mirrorRequest(ctx: Pick<ProxyContext, 'cluster' | 'pools'>, mirrors: readonly { readonly cluster: string; readonly percent: number }[], plan: Forward): void {
  const context = { clientAddress: plan.client.address, hashKey: undefined };
  for (const m of mirrors) {
    if (m.percent < 100 && Math.random() * 100 >= m.percent) continue;
    const target = ctx.cluster(m.cluster)?.pick(context);
    if (!target) continue;
    ctx.pools
      .get(target.key)
      .request({
        method: plan.facts.method as Dispatcher.HttpMethod,
        path: plan.path,
        headers: [...plan.routeHeaders],
        body: null,
        headersTimeout: MIRROR_TIMEOUT_MS,
        bodyTimeout: MIRROR_TIMEOUT_MS,
      })
      .then((r) => r.body.dump())
      .catch(() => undefined);
  }
}
