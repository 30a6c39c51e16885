// Tracing end to end: a real Sluice exports over OTLP/HTTP (the OpenTelemetry SDK's protobuf
// exporter) to test/tools/otlp-receiver, which accepts only application/x-protobuf and decodes
// each ExportTraceServiceRequest with the official OTLP protobuf bindings
// (go.opentelemetry.io/proto/otlp). A request carrying a W3C traceparent gets a server span in
// the client's trace and one client span per upstream attempt (a retry is a second attempt, the
// failed one marked as an error); the endpoint receives the attempt's own traceparent. With
// --trace-sample 0 a request without traceparent exports nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OtlpReceiver, spanAttribute as attr } from './support/go-tools.js';
import { type Backend, eventually, freePort, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, serviceYaml, type Sluice, sleep, startBackends, startSluice, stopBackends } from './support/harness.js';

const NS = 'tr';

let receiver: OtlpReceiver;
let dir: ManifestDir;
let backends: Backend[];
let sluice: Sluice;
let unsampled: Sluice;
let deadPort: number;

const spans = () => receiver.spans();
const hex = (bytes: number) => Array.from({ length: bytes }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  dir = new ManifestDir();
  backends = await startBackends(['tr-0']);
  deadPort = await freePort();
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'web', [{ port: backends[0]!.port }]),
    ingressYaml(NS, 'web', 'web.tr.test', [{ path: '/', service: 'web' }]),
    serviceYaml(NS, 'flaky', [{ port: deadPort }, { port: backends[0]!.port }]),
    ingressYaml(NS, 'flaky', 'flaky.tr.test', [{ path: '/', service: 'flaky' }]),
  ].join('\n---\n'));
  sluice = await startSluice(dir.path, ['--otlp-endpoint', receiver.endpoint]);
  unsampled = await startSluice(dir.path, ['--otlp-endpoint', receiver.endpoint, '--trace-sample', '0']);
  for (const s of [sluice, unsampled]) await eventually('routes installed', async () => (await get(s.httpPort, 'web.tr.test', '/warm')).status === 200);
}, 20 * 60_000); // the first run builds the receiver from Go modules

afterAll(async () => {
  await sluice?.stop();
  await unsampled?.stop();
  await stopBackends(backends ?? []);
  await receiver?.stop();
  dir?.remove();
  // Every export was protobuf the official bindings could decode.
  expect(receiver?.refusals()).toBe('');
});

describe('OTLP/HTTP tracing', () => {
  it('continues the client trace: a server span, an attempt span under it, the attempt context sent upstream', async () => {
    const traceId = hex(16);
    const parent = hex(8);
    const r = await get(sluice.httpPort, 'web.tr.test', '/traced', { headers: { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'vendor=abc' } });
    expect(r.status).toBe(200);
    const upstream = r.json().headers as Record<string, string>;
    const sent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(upstream['traceparent'] ?? '');
    expect(sent?.[1]).toBe(traceId);
    expect(upstream['tracestate']).toBe('vendor=abc');
    const mine = await eventually('spans exported', () => {
      const found = spans().filter((s) => s.traceId === traceId);
      return found.length >= 2 ? found : undefined;
    }, 10_000);
    const server = mine.find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    const attempt = mine.find((s) => s.kind === 'SPAN_KIND_CLIENT')!;
    expect(mine).toHaveLength(2);
    expect(server.parentSpanId).toBe(parent);
    expect(server.name).toBe('GET ingress/tr/web/r0/p0');
    expect(attr(server, 'sluice.route')).toBe('ingress/tr/web/r0/p0');
    expect(attr(server, 'http.request.method')).toBe('GET');
    expect(attr(server, 'url.path')).toBe('/traced');
    expect(attr(server, 'http.response.status_code')).toBe(200);
    expect(attr(server, 'sluice.cluster')).toBe('tr/web:80');
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(attempt.spanId).toBe(sent?.[2]);
    expect(attempt.name).toBe(`attempt 127.0.0.1:${backends[0]!.port}`);
    expect(attr(attempt, 'server.address')).toBe(`127.0.0.1:${backends[0]!.port}`);
    expect(attr(attempt, 'http.request.resend_count')).toBe(0);
    const resource = receiver.exports[0]!.resourceSpans[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('sluice');
  });

  it('shows a retry as a second attempt; the refused one is an error', async () => {
    const traceIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const traceId = hex(16);
      traceIds.push(traceId);
      expect((await get(sluice.httpPort, 'flaky.tr.test', '/', { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })).status).toBe(200);
    }
    // Round robin over two endpoints: one of the two requests went to the dead endpoint first.
    const retried = await eventually('a trace with two attempts', () => {
      for (const id of traceIds) {
        const attempts = spans().filter((s) => s.traceId === id && s.kind === 'SPAN_KIND_CLIENT');
        if (attempts.length === 2 && spans().some((s) => s.traceId === id && s.kind === 'SPAN_KIND_SERVER')) return { id, attempts };
      }
      return undefined;
    }, 10_000);
    const server = spans().find((s) => s.traceId === retried.id && s.kind === 'SPAN_KIND_SERVER')!;
    expect(retried.attempts.every((a) => a.parentSpanId === server.spanId)).toBe(true);
    const failed = retried.attempts.find((a) => attr(a, 'server.address') === `127.0.0.1:${deadPort}`)!;
    const answered = retried.attempts.find((a) => attr(a, 'server.address') === `127.0.0.1:${backends[0]!.port}`)!;
    expect(failed.status?.code).toBe('STATUS_CODE_ERROR');
    expect(failed.status?.message).toContain('ECONNREFUSED');
    expect(attr(answered, 'http.request.resend_count')).toBe(1);
    expect(attr(answered, 'http.response.status_code')).toBe(200);
    expect(attr(server, 'http.request.resend_count')).toBe(1);
  });

  it('samples no new trace with --trace-sample 0, and still follows a sampled traceparent', async () => {
    const before = spans().length;
    const r = await get(unsampled.httpPort, 'web.tr.test', '/unsampled');
    expect(r.status).toBe(200);
    // Its context still goes upstream, marked not sampled.
    expect((r.json().headers as Record<string, string>)['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const traceId = hex(16);
    await get(unsampled.httpPort, 'web.tr.test', '/sampled', { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    await eventually('the sampled trace exported', () => spans().some((s) => s.traceId === traceId), 10_000);
    await sleep(1500);
    expect(spans().slice(before).filter((s) => attr(s, 'url.path') === '/unsampled')).toEqual([]);
  });
});
