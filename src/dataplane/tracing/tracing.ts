// Tracing of proxied requests (--otlp-endpoint): a server span per request that continues the
// client's W3C traceparent/tracestate, and a client span per upstream attempt, so a retry shows
// as a second attempt under the same request. The attempt's own context goes upstream in
// traceparent/tracestate. Spans are batched and exported over OTLP/HTTP (protobuf) by the
// OpenTelemetry SDK. Sampling: parent-based (a client's sampled flag is followed), otherwise
// --trace-sample of new traces. A sampled request's span is also the exemplar of its request
// metrics (traceExemplar). Absent (undefined on the proxy context) when no endpoint is set, and
// then neither the SDK nor the API's ES modules are loaded: RequestTracing (request-tracing.ts)
// and export.ts are imported on demand, and this module takes only types from the API.
import type { IncomingMessage } from 'node:http';
import type { Span, SpanStatusCode, TextMapPropagator, TraceFlags, TracerProvider } from '@opentelemetry/api';
import type { TracingConfig } from '../../config/config.js';
import type { TraceExemplar } from '../../metrics.js';
import type { RequestTracing } from './request-tracing.js';

export type { RequestTracing } from './request-tracing.js';

// The API's enum values, without loading the API for them.
const STATUS_ERROR: SpanStatusCode.ERROR = 2;
const FLAG_SAMPLED: TraceFlags.SAMPLED = 1;

/** What the exchange knows when the request starts. */
export interface TracedRequest {
  readonly req: IncomingMessage;
  readonly route: string;
  readonly cluster: string;
  readonly host: string;
  readonly path: string;
  readonly client: string;
}

/** The headers an attempt sends to carry its span's context. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** The SDK side: a tracer provider that can flush, and the W3C propagator. */
export interface TraceExport {
  readonly provider: TracerProvider & { shutdown(): Promise<void> };
  readonly propagator: TextMapPropagator;
}

/** Ends a span with the HTTP status it answered (0: none, e.g. an upgrade) and the error that ended it, if any (5xx is one too). */
export function endSpan(span: Span, status: number, error?: string): void {
  if (status > 0) span.setAttribute('http.response.status_code', status);
  if (error !== undefined || status >= 500) span.setStatus({ code: STATUS_ERROR, ...(error !== undefined ? { message: error } : {}) });
  span.end();
}

/** The exemplar a request's metrics get from its span: only a sampled span, the one a trace backend has. */
export function traceExemplar(span: Span): TraceExemplar | undefined {
  const c = span.spanContext();
  return (c.traceFlags & FLAG_SAMPLED) !== 0 ? { trace_id: c.traceId, span_id: c.spanId } : undefined;
}

/** The OTLP/HTTP traces URL: as given, or with /v1/traces when it names no path. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

/** The worker's tracing from --otlp-endpoint and --trace-sample, or undefined when it is off. */
export async function loadTracing(config: TracingConfig, exportDelayMs = 1000): Promise<RequestTracing | undefined> {
  if (!config.otlpEndpoint) return undefined;
  const [{ createExport }, { RequestTracing }] = await Promise.all([import('./export.js'), import('./request-tracing.js')]);
  return new RequestTracing(createExport(tracesUrl(config.otlpEndpoint), config.sample, exportDelayMs));
}
