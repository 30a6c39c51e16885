// Forward authentication (nginx auth_request, Traefik forwardAuth): before the request goes
// upstream, a bodiless GET goes to the auth service — an endpoint of its cluster picked like any
// other (balancer, health, the shared UpstreamPools) — with the listed request headers and
// X-Forwarded-Method/-Uri/-Host/-Proto/-For. A 2xx lets the request through with
// `headersToUpstream` copied from the answer onto the upstream request (client-sent copies of
// those headers are always dropped, so a client cannot claim an identity the service did not
// give). Any other answer goes back to the client as the service gave it: status, headers
// (Location, WWW-Authenticate, Set-Cookie ...) and a body of at most MAX_BODY bytes. A timeout,
// a connect failure or no endpoint at all answers 403, or lets the request through with
// failOpen. A client that leaves meanwhile aborts the auth request.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { Answers } from '../../errors.js';
import type { ForwardAuthPolicy } from '../../table/types.js';
import { stripResponseHopByHop } from '../headers.js';
import { neverReached } from '../upstream/errors.js';
import { type Admission, type Check, type Rejection, rejection, type Verdict } from './check.js';
import { authCounter } from './counters.js';

/** Largest auth-service body relayed to the client; a longer one is relayed without its body. */
export const MAX_BODY = 64 * 1024;

/** Sets `names` on a flat upstream header list to what `answer` carries (removing other copies). */
export function copyHeaders(list: string[], names: readonly string[], answer: IncomingHttpHeaders): void {
  for (let i = list.length - 2; i >= 0; i -= 2) if (names.includes(list[i]!)) list.splice(i, 2);
  for (const name of names) {
    const v = answer[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) list.push(name, one);
    else list.push(name, v);
  }
}

function authRequestHeaders(a: Admission, policy: ForwardAuthPolicy): string[] {
  const req = a.req;
  const out: string[] = [];
  for (const name of policy.headersToBackend) {
    const v = req.headers[name];
    if (v === undefined) continue;
    out.push(name, Array.isArray(v) ? v.join(', ') : v);
  }
  out.push(
    'x-forwarded-method', req.method ?? 'GET',
    'x-forwarded-uri', req.url ?? '/',
    'x-forwarded-host', req.headers.host ?? '',
    'x-forwarded-proto', a.plan.secure ? 'https' : 'http',
    'x-forwarded-for', a.plan.client.address,
  );
  return out;
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

type Outcome = { type: 'answer'; status: number; headers: IncomingHttpHeaders; body: Buffer | undefined } | { type: 'unreachable'; error: unknown };

export function forwardAuthCheck(routeId: string, policy: ForwardAuthPolicy): Check {
  const denied = rejection(Answers.Forbidden);
  const counter = authCounter(routeId, 'forward');

  const ask = async (a: Admission): Promise<Outcome> => {
    const cluster = a.ctx.cluster(policy.cluster);
    const target = cluster?.pick({ clientAddress: a.plan.client.address, hashKey: undefined });
    const pool = target && cluster!.pool(a.ctx.pools, a.ctx.upstreamTls, target.key, a.plan.backendClientCertificate);
    if (!cluster || !target || !pool) return { type: 'unreachable', error: new Error(`no ready endpoint (or no verifiable TLS) in ${policy.cluster}`) };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(Object.assign(new Error('forward auth timeout'), { code: 'ETIMEDOUT' })), policy.timeoutMs);
    const onClose = () => abort.abort(new Error('client closed the connection'));
    a.client.once('close', onClose);
    target.inflight++;
    try {
      const res = await pool.request(
        cluster.withServerName({
          method: 'GET' as Dispatcher.HttpMethod,
          path: policy.path,
          headers: authRequestHeaders(a, policy),
          body: null,
          signal: abort.signal,
          headersTimeout: policy.timeoutMs,
          bodyTimeout: policy.timeoutMs,
        }),
      );
      cluster.health.responded(target.key, res.statusCode);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump();
        return { type: 'answer', status: res.statusCode, headers: res.headers, body: undefined };
      }
      const body = await readBounded(res.body);
      return { type: 'answer', status: res.statusCode, headers: res.headers, body };
    } catch (error) {
      if (neverReached(error as Error)) cluster.health.unreachable(target.key);
      return { type: 'unreachable', error };
    } finally {
      target.inflight--;
      clearTimeout(timer);
      a.client.off('close', onClose);
    }
  };

  return (a) =>
    ask(a).then((o): Verdict => {
      const metrics = a.ctx.metrics;
      if (o.type === 'unreachable') {
        if (a.gone) return undefined;
        a.services.log.warn({ err: o.error, route: routeId, cluster: policy.cluster }, policy.failOpen ? 'forward auth unreachable: request let through (failOpen)' : 'forward auth unreachable: request denied');
        counter.count(metrics, policy.failOpen ? 'fail_open' : 'error');
        return policy.failOpen ? undefined : denied;
      }
      if (o.status >= 200 && o.status < 300) {
        counter.count(metrics, 'allowed');
        copyHeaders(a.plan.headers, policy.headersToUpstream, o.headers);
        return undefined;
      }
      counter.count(metrics, 'denied');
      return relayed(o.status, o.headers, o.body);
    });
}

/** The auth service's refusal as the client gets it. */
function relayed(status: number, headers: IncomingHttpHeaders, body: Buffer | undefined): Rejection {
  stripResponseHopByHop(headers);
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  const out: Record<string, string | readonly string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  return { status, headers: out, body: body ?? '', reason: 'forward-auth' };
}
