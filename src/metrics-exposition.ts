// What /metrics answers: the controller's metrics summed with every data-plane worker's
// (each sends prom-client's JSON over IPC), rendered as Prometheus text by default, or as
// OpenMetrics when the scraper asks for it — the only format that carries exemplars. Summing
// drops exemplars, so the newest one of each series (a counter child, a histogram bucket) is
// picked across the workers and put back on the summed series.
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, Registry, type RegistryContentType } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** An exemplar as prom-client keeps it on a series, and as it arrives over IPC. */
interface Exemplar {
  readonly labelSet: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly timestamp: number;
}
type Series = MetricValue<string> & { metricName?: string; exemplar?: Exemplar | null };
/** A registered metric as it is at run time (prom-client's typings leave get() out). */
interface Collectable {
  get(): Promise<MetricObjectWithValues<Series>>;
}

const OPENMETRICS = 'application/openmetrics-text';

export function expositionContentType(format: ExpositionFormat): string {
  return format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
}

/**
 * OpenMetrics when the Accept header ranks application/openmetrics-text at least as high as
 * anything else it accepts (Prometheus sends it first, with the highest q); else Prometheus text.
 */
export function negotiateExposition(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  let openMetrics = 0;
  let other = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0)) continue;
    if (type === OPENMETRICS) openMetrics = Math.max(openMetrics, q);
    else other = Math.max(other, q);
  }
  return openMetrics > 0 && openMetrics >= other ? 'openmetrics' : 'prometheus';
}

/** Sums the metrics of every process and renders them in the given format. */
export async function exposition(sources: readonly MetricsJson[], format: ExpositionFormat): Promise<string> {
  if (format === 'prometheus') return AggregatorRegistry.aggregate(sources as MetricsJson[]).metrics();
  // An OpenMetrics counter family is named without _total (its samples carry it); prom-client
  // adds the suffix to the samples, so the family names must lose it before summing.
  // (prom-client's typings say type is a numeric enum; at run time it is the string.)
  const families = sources.map((metrics) => metrics.map((m) => ((m.type as unknown) === 'counter' ? { ...m, name: m.name.replace(/_total$/, '') } : m)));
  const registry = AggregatorRegistry.aggregate<RegistryContentType>(families);
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const newest = newestExemplars(families);
  if (newest.size > 0) {
    // The summed series are the objects the registry renders: an exemplar set on one is written.
    for (const metric of registry.getMetricsAsArray() as unknown as Collectable[]) {
      const summed = await metric.get();
      for (const series of summed.values) {
        const exemplar = newest.get(seriesKey(summed.name, series));
        if (exemplar) series.exemplar = exemplar;
      }
    }
  }
  return registry.metrics();
}

/** The newest exemplar of each series across all processes. */
function newestExemplars(sources: readonly MetricsJson[]): Map<string, Exemplar> {
  const newest = new Map<string, Exemplar>();
  for (const metrics of sources) {
    for (const metric of metrics) {
      for (const series of metric.values as Series[]) {
        const e = series.exemplar;
        if (!e) continue;
        const key = seriesKey(metric.name, series);
        const seen = newest.get(key);
        if (!seen || e.timestamp > seen.timestamp) newest.set(key, e);
      }
    }
  }
  return newest;
}

function seriesKey(family: string, series: Series): string {
  const labels = Object.keys(series.labels)
    .sort()
    .map((k) => `${k}=${String(series.labels[k])}`)
    .join('\u0000');
  return `${family}\u0001${series.metricName ?? ''}\u0001${labels}`;
}
