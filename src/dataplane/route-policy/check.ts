// What an admission check is: a function of one request that lets it through (undefined) or
// ends it with a Rejection, synchronously when it can.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { GrpcStatus, ProxyAnswer } from '../../errors.js';
import type { ProxyContext } from '../context.js';
import type { Forward } from '../plan.js';
import type { AdmissionServices } from './services.js';

/** An answer that ends the request here (status, headers and body, as the client gets them). */
export interface Rejection {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: string | Buffer;
  /** Why, for the access log: the catalog code, or what refused it. */
  readonly reason: string;
  /** The gRPC status a gRPC client gets instead. */
  readonly grpc?: GrpcStatus;
}

/** undefined: the check lets the request through. */
export type Verdict = Rejection | undefined;

/** One request going through admission. */
export interface Admission {
  readonly ctx: ProxyContext;
  readonly plan: Forward;
  readonly req: IncomingMessage;
  /** Emits 'close' if the client goes away (the response, or an upgrade's socket). */
  readonly client: EventEmitter;
  readonly services: AdmissionServices;
  /** Set once the client went away during an asynchronous check. */
  gone: boolean;
}

export type Check = (a: Admission) => Verdict | Promise<Verdict>;

const PLAIN = 'text/plain; charset=utf-8';

/** A catalog answer (src/errors.ts) as a rejection, with extra headers. */
export function rejection(answer: ProxyAnswer, headers: Readonly<Record<string, string>> = {}): Rejection {
  return { status: answer.status, headers: { 'content-type': PLAIN, ...headers }, body: answer.body, reason: answer.code, grpc: answer.grpc };
}
