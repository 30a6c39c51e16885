// The OpenTelemetry SDK behind --otlp-endpoint: a tracer provider with a parent-based ratio
// sampler, spans batched and exported over OTLP/HTTP in its default encoding (protobuf,
// application/x-protobuf), and the W3C trace-context propagator. Imported only when tracing is on.
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { SLUICE_VERSION } from '../../version.js';
import type { TraceExport } from './tracing.js';

export function createExport(url: string, sample: number, exportDelayMs: number): TraceExport {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'sluice', 'service.version': SLUICE_VERSION }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sample) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: exportDelayMs })],
  });
  return { provider, propagator: new W3CTraceContextPropagator() };
}
