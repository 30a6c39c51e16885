// The spans of a traced request (see tracing.ts): imported only when --otlp-endpoint is set.
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, type Span, SpanKind, type TextMapPropagator, trace, type Tracer } from '@opentelemetry/api';
import { SLUICE_VERSION } from '../../version.js';
import type { TracedRequest, TraceExport, TraceHeaders } from './tracing.js';

export class RequestTracing {
  private readonly tracer: Tracer;
  private readonly exporting: TraceExport;
  private readonly propagator: TextMapPropagator;

  constructor(exporting: TraceExport) {
    this.exporting = exporting;
    this.propagator = exporting.propagator;
    this.tracer = exporting.provider.getTracer('sluice', SLUICE_VERSION);
  }

  /** The request's server span, a child of the client's traceparent when it sent a valid one. */
  startRequest(r: TracedRequest): Span {
    const parent = this.propagator.extract(ROOT_CONTEXT, r.req.headers, defaultTextMapGetter);
    return this.tracer.startSpan(
      `${r.req.method ?? 'GET'} ${r.route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': r.req.method ?? 'GET',
          'url.path': r.path,
          'server.address': r.host,
          'client.address': r.client,
          'network.protocol.version': r.req.httpVersion,
          'sluice.route': r.route,
          'sluice.cluster': r.cluster,
        },
      },
      parent,
    );
  }

  /** A span for one upstream attempt under the request's span, and the headers that carry it. */
  startAttempt(request: Span, endpoint: string, resend: number, headers: TraceHeaders): Span {
    const span = this.tracer.startSpan(
      `attempt ${endpoint}`,
      { kind: SpanKind.CLIENT, attributes: { 'server.address': endpoint, 'http.request.resend_count': resend } },
      trace.setSpan(ROOT_CONTEXT, request),
    );
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
    return span;
  }

  /** Exports what is still batched (on shutdown). */
  shutdown(): Promise<void> {
    return this.exporting.provider.shutdown();
  }
}

