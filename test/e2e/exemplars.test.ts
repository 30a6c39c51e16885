// Exemplars end to end. With tracing on, a sampled request becomes the exemplar
// {trace_id, span_id} of its sluice_requests_total child and of its
// sluice_request_duration_seconds bucket; /metrics carries them in OpenMetrics when the scraper
// asks for it (Prometheus text stays the default), summed over the data-plane workers with the
// newest exemplar of each series kept. Checked with --workers 1 and 2 through Prometheus's own
// OpenMetrics parser (test/tools/openmetrics-parse), against the spans the OTLP receiver decoded
// (an exemplar names the request's real server span), and by a real Prometheus that scrapes
// Sluice and answers /api/v1/query_exemplars. Without tracing, no exemplar appears.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OtlpReceiver, parseOpenMetrics, type ParsedSample, Prometheus } from './support/go-tools.js';
import { type Backend, eventually, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, serviceYaml, servingWorkers, type Sluice, sleep, startBackends, startSluice, stopBackends } from './support/harness.js';

const NS = 'ex';
const ROUTE = 'ingress/ex/traced/r0/p0';
/** The Accept header Prometheus 3 sends with its default scrape protocols. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const REQUESTS = 30;

let receiver: OtlpReceiver;
let dir: ManifestDir;
let backends: Backend[];
const traced: Record<1 | 2, Sluice> = {} as Record<1 | 2, Sluice>;
let untraced: Sluice;
let prometheus: Prometheus;

const hex = (bytes: number) => Array.from({ length: bytes }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');
const isHex = (s: string | undefined, bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(s ?? '');

/** Sends REQUESTS traced requests on fresh connections (so both workers get some), then a last one a little later. */
async function tracedTraffic(s: Sluice): Promise<{ ids: Set<string>; last: string }> {
  const ids = new Set<string>();
  const send = async (traceId: string) => {
    ids.add(traceId);
    const r = await get(s.httpPort, 'traced.ex.test', '/', { headers: { traceparent: `00-${traceId}-${hex(8)}-01`, connection: 'close' } });
    expect(r.status).toBe(200);
  };
  for (let i = 0; i < REQUESTS - 1; i++) await send(hex(16));
  // Exemplar timestamps have millisecond resolution: the last one is strictly the newest.
  await sleep(20);
  const last = hex(16);
  await send(last);
  return { ids, last };
}

async function scrape(s: Sluice, accept?: string): Promise<{ contentType: string; body: string }> {
  const r = await get(s.adminPort, 'localhost', '/metrics', accept ? { headers: { accept } } : {});
  expect(r.status).toBe(200);
  return { contentType: String(r.headers['content-type']), body: r.body };
}

/** The server span the receiver got for a trace (waits for the export). */
function serverSpan(traceId: string) {
  return eventually(`the server span of ${traceId}`, () => receiver.spans().find((s) => s.traceId === traceId && s.kind === 'SPAN_KIND_SERVER'), 10_000);
}

const ours = (samples: readonly ParsedSample[], name: string) => samples.filter((s) => s.series['__name__'] === name && s.series['route'] === ROUTE);

beforeAll(async () => {
  // Prometheus is built from Go modules on the first run: minutes.
  receiver = await OtlpReceiver.start();
  dir = new ManifestDir();
  backends = await startBackends(['ex-0']);
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'web', [{ port: backends[0]!.port }]),
    ingressYaml(NS, 'warm', 'warm.ex.test', [{ path: '/', service: 'web' }]),
    ingressYaml(NS, 'traced', 'traced.ex.test', [{ path: '/', service: 'web' }]),
  ].join('\n---\n'));
  const tracing = ['--otlp-endpoint', receiver.endpoint];
  // One at a time: starting three at once on a loaded machine outruns the start timeout.
  traced[1] = await startSluice(dir.path, ['--workers', '1', ...tracing]);
  traced[2] = await startSluice(dir.path, ['--workers', '2', ...tracing]);
  untraced = await startSluice(dir.path, ['--workers', '2']);
  for (const s of [traced[1], traced[2], untraced]) await eventually('routes installed', async () => (await get(s.httpPort, 'warm.ex.test', '/')).status === 200);
  prometheus = await Prometheus.start([`127.0.0.1:${traced[2].adminPort}`]);
}, 30 * 60_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const s of [traced[1], traced[2], untraced]) await s?.stop();
  await stopBackends(backends ?? []);
  await receiver?.stop();
  dir?.remove();
});

describe.each([1, 2] as const)('exemplars with --workers %i', (workers) => {
  it('puts the newest sampled request on the counter and a sampled request in each bucket it fell in, as real spans', async () => {
    const s = traced[workers];
    const { ids, last } = await tracedTraffic(s);
    if (workers === 2) expect(servingWorkers(s, backends[0]!.port)).toBe(2);

    const { contentType, body } = await scrape(s, PROMETHEUS_ACCEPT);
    expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const samples = parseOpenMetrics(body);

    const [counter, ...others] = ours(samples, 'sluice_requests_total');
    expect(others).toEqual([]);
    expect(counter!.series['code']).toBe('200');
    expect(counter!.value).toBe(REQUESTS); // summed over the workers
    expect(counter!.exemplar?.labels).toEqual({ trace_id: last, span_id: (await serverSpan(last)).spanId });
    expect(counter!.exemplar?.value).toBe(1);

    const buckets = ours(samples, 'sluice_request_duration_seconds_bucket');
    expect(buckets.length).toBe(16);
    const withExemplar = buckets.filter((b) => b.exemplar);
    expect(withExemplar.length).toBeGreaterThan(0);
    let below = 0;
    for (const b of buckets) {
      const le = b.series['le'] === '+Inf' ? Infinity : Number(b.series['le']);
      if (b.exemplar) {
        const { trace_id, span_id } = b.exemplar.labels;
        expect(ids.has(trace_id!)).toBe(true);
        expect(isHex(span_id, 8)).toBe(true);
        // The exemplar is an observation of this bucket, and names the request's server span.
        expect(b.exemplar.value).toBeLessThanOrEqual(le);
        expect(b.exemplar.value).toBeGreaterThan(below);
        expect((await serverSpan(trace_id!)).spanId).toBe(span_id);
        expect(b.exemplar.timestamp).toBeGreaterThan(Date.now() - 120_000);
      }
      below = le;
    }
  });
});

describe('exposition formats', () => {
  it('keeps Prometheus text (no exemplars) for a scraper that does not ask for OpenMetrics', async () => {
    for (const accept of [undefined, 'text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5']) {
      const { contentType, body } = await scrape(traced[2], accept);
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(body).toMatch(new RegExp(`^sluice_requests_total\\{route="${ROUTE}",backend="ex/web:80",code="200"\\} \\d+$`, 'm'));
      expect(body).not.toContain(' # {');
    }
  });

  it('builds no exemplar without tracing, even for requests carrying a sampled traceparent', async () => {
    await tracedTraffic(untraced);
    const { contentType, body } = await scrape(untraced, PROMETHEUS_ACCEPT);
    expect(contentType).toContain('application/openmetrics-text');
    const samples = parseOpenMetrics(body);
    expect(ours(samples, 'sluice_requests_total')[0]?.value).toBe(REQUESTS);
    expect(samples.filter((x) => x.exemplar)).toEqual([]);
  });
});

describe('a real Prometheus scraping Sluice', () => {
  it('scrapes OpenMetrics and stores the exemplars: query_exemplars returns the traced requests', async () => {
    const { ids, last } = await tracedTraffic(traced[2]);
    const start = String(Date.now() / 1000 - 300);
    type Exemplars = { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[];
    const found = await eventually('exemplars in Prometheus', async () => {
      const end = String(Date.now() / 1000 + 60);
      const data = await prometheus.api<Exemplars>('query_exemplars', { query: `{__name__=~"sluice_request_duration_seconds_bucket|sluice_requests_total", route="${ROUTE}"}`, start, end });
      const counter = data.find((d) => d.seriesLabels['__name__'] === 'sluice_requests_total');
      return counter?.exemplars.some((e) => e.labels['trace_id'] === last) ? data : undefined;
    }, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${prometheus.output()}`);
    });
    // The scrape was OpenMetrics and healthy.
    const targets = await prometheus.api<{ activeTargets: { health: string; lastError: string; scrapeUrl: string }[] }>('targets', {});
    expect(targets.activeTargets).toEqual([expect.objectContaining({ health: 'up', lastError: '', scrapeUrl: `http://127.0.0.1:${traced[2].adminPort}/metrics` })]);
    const bucketExemplars = found.filter((d) => d.seriesLabels['__name__'] === 'sluice_request_duration_seconds_bucket').flatMap((d) => d.exemplars);
    expect(bucketExemplars.length).toBeGreaterThan(0);
    // Every exemplar Prometheus holds for this route came from a request this test traced.
    const all = found.flatMap((d) => d.exemplars.map((e) => e.labels['trace_id']));
    const mine = new Set([...ids, ...tracedIds()]);
    expect(all.every((id) => mine.has(id!))).toBe(true);
    // And the summed counter Prometheus stored is what both workers counted.
    const value = await prometheus.api<{ result: { value: [number, string] }[] }>('query', { query: `sum(sluice_requests_total{route="${ROUTE}"})` });
    expect(Number(value.result[0]?.value[1])).toBeGreaterThanOrEqual(REQUESTS);
  });
});

/** Every trace id the receiver got a server span for on the traced route. */
function tracedIds(): string[] {
  return receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes.some((a) => a.key === 'sluice.route' && a.value.stringValue === ROUTE)).map((s) => s.traceId);
}
