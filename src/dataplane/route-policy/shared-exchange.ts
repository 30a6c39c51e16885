// The upstream exchange of a flight (coalescing.ts) or of a cache fill: the same attempts,
// retries, health and circuit breaking as any exchange (exchange.ts), but its answer goes to an
// UpstreamReceiver instead of one client, and no client's disconnect aborts it — the receiver
// calls `abandon()` once nobody is left to answer. It is counted (metrics, stats, access log) as
// its leader's request, with the status that client got.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ProxyContext } from '../context.js';
import { Exchange } from '../exchange.js';
import type { Forward } from '../plan.js';
import type { UpstreamReceiver } from './coalescing.js';

export class SharedExchange extends Exchange {
  private readonly receiver: UpstreamReceiver;
  private status = 0;

  constructor(ctx: ProxyContext, plan: Forward, req: IncomingMessage, started: number, receiver: UpstreamReceiver) {
    super(ctx, plan, req, started);
    this.receiver = receiver;
  }

  /** Nobody waits for the answer any more: stop the upstream request. */
  abandon(): void {
    this.onClientClose();
  }

  protected override finish(code: number): void {
    super.finish(this.receiver.leaderStatus(code));
  }

  protected dispatchOptions(): Dispatcher.DispatchOptions {
    const plan = this.plan;
    // GET and HEAD only, without a body (response-sharing.ts sends nothing else this way).
    return { path: plan.path, method: this.req.method as Dispatcher.HttpMethod, headers: this.attemptHeaders ?? plan.headers, body: null, headersTimeout: this.headersTimeout(), bodyTimeout: this.idleTimeout() };
  }

  protected writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.receiver.head(status, message, headers);
  }

  protected writeBody(chunk: Buffer): boolean {
    return this.receiver.data(chunk);
  }

  protected resumeWhenDrained(resume: () => void): void {
    this.receiver.whenDrained(resume);
  }

  protected endBody(): void {
    this.receiver.end();
  }

  protected writeAnswer(status: number, body: string, headers?: Readonly<Record<string, string>>): void {
    this.receiver.answer(status, body, headers);
  }

  protected cut(err?: Error): void {
    this.receiver.cut(err);
  }

  protected deliveredStatus(): number {
    return this.status;
  }
}
