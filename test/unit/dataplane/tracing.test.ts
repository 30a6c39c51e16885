// Tracing flags and the traces URL; the spans themselves are tested end to end against a real
// OTLP/HTTP receiver (test/e2e/tracing.test.ts).
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../../src/cli.js';
import { loadTracing, tracesUrl } from '../../../src/dataplane/tracing/tracing.js';

describe('tracing configuration', () => {
  it('is off without --otlp-endpoint and validates the URL and the ratio', async () => {
    expect(parseConfig([], {}).tracing).toEqual({ otlpEndpoint: undefined, sample: 1 });
    expect(await loadTracing(parseConfig([], {}).tracing)).toBeUndefined();
    expect(parseConfig(['--otlp-endpoint', 'http://collector:4318', '--trace-sample', '0.05'], {}).tracing).toEqual({ otlpEndpoint: 'http://collector:4318', sample: 0.05 });
    expect(() => parseConfig(['--otlp-endpoint', 'collector:4318'], {})).toThrow('--otlp-endpoint');
    expect(() => parseConfig(['--otlp-endpoint', 'grpc://collector:4317'], {})).toThrow('http:// or https://');
    expect(() => parseConfig(['--trace-sample', '2'], {})).toThrow('--trace-sample');
  });

  it('sends to /v1/traces when the endpoint names no path, else to the URL as given', () => {
    expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('https://otel.example.com/')).toBe('https://otel.example.com/v1/traces');
    expect(tracesUrl('http://collector:4318/custom/traces')).toBe('http://collector:4318/custom/traces');
  });
});
