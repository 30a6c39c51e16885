// What one finished request tells the access log. The recorder hands out a single reusable
// record (formatting is synchronous, so one per worker is enough): a request that is logged
// fills it in and allocates nothing for it.
import type { IncomingMessage } from 'node:http';

export class RequestRecord {
  req!: IncomingMessage;
  /** performance.now() when the request arrived, and when it finished. */
  started = 0;
  ended = 0;
  status = 0;
  route = '-';
  cluster = '-';
  /** The endpoint that answered ("10.0.0.1:8080"), when one was tried. */
  upstream: string | undefined;
  /** Milliseconds from the last attempt's dispatch to the end of the exchange. */
  upstreamMs: number | undefined;
  retries = 0;
  /** The code of an answer of the proxy itself (SLUICE_NO_ROUTE, …), or why the exchange ended early. */
  reason: string | undefined;
  /** The client address after the trusted-proxy rules (the TCP peer when the plan did not get that far). */
  client: string | undefined;
  /** Response body bytes sent to the client. */
  bytesOut = 0;
  /** The X-Request-Id sent upstream (generated when the client sent none). */
  requestId: string | undefined;

  reset(req: IncomingMessage, started: number): this {
    this.req = req;
    this.started = started;
    this.ended = 0;
    this.status = 0;
    this.route = '-';
    this.cluster = '-';
    this.upstream = undefined;
    this.upstreamMs = undefined;
    this.retries = 0;
    this.reason = undefined;
    this.client = undefined;
    this.bytesOut = 0;
    this.requestId = undefined;
    return this;
  }
}
