// The admission stage of a route with an edge policy: checks that run after the route match and
// before the exchange, in a fixed order — denyAll, ipAccess, CORS preflight, basicAuth, forwardAuth, rateLimit
// (cheap refusals first; the rate limit last, so requests that were refused anyway spend no
// token). It is compiled once per route runtime and absent for routes without such a policy,
// which then pay nothing. A check answers synchronously when it can (IP lists, local buckets,
// cached credentials); only bcrypt, forward auth and Redis return a promise, and the request
// body stays unread meanwhile (nothing pipes or reads it until the exchange starts, so Node
// leaves it in the socket and backpressure holds the client).
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Answers } from '../../errors.js';
import type { Route } from '../../table/types.js';
import type { ProxyContext } from '../context.js';
import { type Forward, NO_ROUTE } from '../plan.js';
import { basicAuthCheck } from './basic-auth.js';
import { denyAllCheck } from './deny-all.js';
import { forwardAuthCheck } from './forward-auth.js';
import { ipAccessCheck } from './ip-access.js';
import { rateLimitCheck } from './rate-limit.js';
import { type Admission, type Check, type Rejection, rejection, type Verdict } from './check.js';
import { corsPreflightCheck, type CorsRules, withCorsHeaders } from './cors.js';
import { fallbackServices } from './services.js';

export type { Rejection } from './check.js';

/** Runs checks from `i` on; synchronous as long as every check is. */
function runFrom(checks: readonly Check[], i: number, a: Admission): Verdict | Promise<Verdict> {
  for (; i < checks.length; i++) {
    const v = checks[i]!(a);
    if (v === undefined) continue;
    if (v instanceof Promise) {
      const next = i + 1;
      // A client that left during the wait is not checked further (and spends no token).
      return v.then((r) => r ?? (a.gone ? undefined : runFrom(checks, next, a)));
    }
    return v;
  }
  return undefined;
}

export interface AdmissionHandlers {
  /** The request may go on to the exchange. */
  pass(): void;
  /** Write the rejection to the client. */
  reject(r: Rejection): void;
}

/** A route's compiled admission checks. */
export class AdmissionChain {
  readonly checks: readonly Check[];

  constructor(checks: readonly Check[]) {
    this.checks = checks;
  }

  /** The verdict for one request (a promise only when an asynchronous check ran). */
  run(a: Admission): Verdict | Promise<Verdict> {
    return runFrom(this.checks, 0, a);
  }

  /**
   * Admits a planned request: `pass` or `reject` is called once — or neither, if the client went
   * away while a check was pending (then it is counted as 499). Rejections are counted here.
   */
  admit(ctx: ProxyContext, plan: Forward, req: IncomingMessage, client: EventEmitter, started: number, handlers: AdmissionHandlers): void {
    const a: Admission = { ctx, plan, req, client, services: ctx.admission ?? fallbackServices(), gone: false };
    const reject = (r: Rejection) => handlers.reject(withCorsHeaders(plan.rt.cors, r, req.headers.origin));
    const v = this.run(a);
    if (v === undefined) return handlers.pass();
    if (!(v instanceof Promise)) {
      answered(a, started, v);
      return reject(v);
    }
    const onClose = () => (a.gone = true);
    client.once('close', onClose);
    v.then(
      (r) => {
        client.off('close', onClose);
        if (a.gone) return answered(a, started, undefined);
        if (r === undefined) return handlers.pass();
        answered(a, started, r);
        reject(r);
      },
      (err: unknown) => {
        // Checks settle their own failures; this is a bug, and the request must not pass.
        client.off('close', onClose);
        a.services.log.error({ err, route: plan.rt.route.id }, 'admission check failed');
        if (a.gone) return answered(a, started, undefined);
        const r = rejection(Answers.AdmissionFailed);
        answered(a, started, r);
        reject(r);
      },
    );
  }
}

/** Counts a rejection (or, undefined, a client gone meanwhile: 499) like every answer of the proxy: metrics, stats, access log. */
function answered(a: Admission, started: number, r: Rejection | undefined): void {
  const { ctx, plan } = a;
  const route = plan.rt.route.id;
  const status = r?.status ?? 499;
  const now = performance.now();
  ctx.metrics.countRequest(route, NO_ROUTE, status, (now - started) / 1000);
  ctx.stats.record(route, NO_ROUTE, status, now - started, now);
  const record = ctx.accessLog?.begin(a.req, started);
  if (!record) return;
  record.ended = now;
  record.status = status;
  record.route = route;
  record.reason = r?.reason;
  record.client = plan.client.address;
  record.bytesOut = r ? Buffer.byteLength(r.body) : 0;
  ctx.accessLog!.write(record);
}

/** The admission stage of a route, or undefined when neither its edge policy nor its CORS rules ask for one. */
export function compileAdmission(route: Route, cors?: CorsRules): AdmissionChain | undefined {
  const edge = route.edge ?? { sources: [] };
  const checks: Check[] = [];
  if (edge.denyAll) checks.push(denyAllCheck(route.id, edge.denyAll.reason));
  if (edge.ipAccess) checks.push(ipAccessCheck(route.id, edge.ipAccess));
  // Preflights carry no credentials: they are answered before authentication.
  if (cors) checks.push(corsPreflightCheck(cors));
  if (edge.basicAuth) checks.push(basicAuthCheck(route.id, edge.basicAuth));
  if (edge.forwardAuth) checks.push(forwardAuthCheck(route.id, edge.forwardAuth));
  if (edge.rateLimit && edge.rateLimit.rules.length > 0) checks.push(rateLimitCheck(route.id, edge.rateLimit));
  return checks.length === 0 ? undefined : new AdmissionChain(checks);
}
