/**
 * Storage for the metrics observed on the request path, cheaper than prom-client's own.
 *
 * prom-client's `histogram.observe(labels, v)` builds a label hash string and a pair object on
 * every call (~370 ns measured here); counting into a series object found once per route and
 * status costs ~5 ns and allocates nothing. The series are handed to prom-client only when
 * /metrics is scraped: {@link SeriesHistogram} is a prom-client Histogram whose `get()` reads
 * them, so the registry formats it like any other metric.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** One labelled histogram series: counts per bucket (non-cumulative; the last is +Inf), sum, count. */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(labels: Readonly<Record<string, string>>, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

interface MetricValueOut {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/**
 * A prom-client Histogram that reports series kept elsewhere ({@link HistogramSeries}), read at
 * scrape time. Register it in a Registry like any metric; never call its `observe`.
 */
export class SeriesHistogram<T extends string> extends Histogram<T> {
  private readonly readSeries: () => Iterable<HistogramSeries>;
  private readonly bucketBounds: readonly number[];
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    config: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[] },
    series: () => Iterable<HistogramSeries>,
  ) {
    super({ ...config, buckets: [...config.buckets], registers: [] });
    this.readSeries = series;
    this.bucketBounds = config.buckets;
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<T>['get']>>> {
    const values: MetricValueOut[] = [];
    const bucket = `${this.metricName}_bucket`;
    for (const series of this.readSeries()) {
      let cumulative = 0;
      for (let i = 0; i < this.bucketBounds.length; i++) {
        cumulative += series.counts[i] as number;
        values.push({
          labels: { le: this.bucketBounds[i] as number, ...series.labels },
          value: cumulative,
          metricName: bucket,
        });
      }
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.metricName}_sum` });
      values.push({
        labels: { ...series.labels },
        value: series.count,
        metricName: `${this.metricName}_count`,
      });
    }
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      aggregator: 'sum',
      values,
    } as unknown as Awaited<ReturnType<Histogram<T>['get']>>;
  }

  /** The registry's text output reads this when present (prom-client's Histogram defines it). */
  getForPromString(): ReturnType<SeriesHistogram<T>['get']> {
    return this.get();
  }
}

/**
 * A counter family counted in plain numbers where it happens (no allocation once a label set has
 * been seen) and handed to prom-client when scraped.
 *
 * @example
 * const resolves = countedFamily(registry, 'promptline_resolves_total', 'Resolves', ['outcome']);
 * resolves.inc('ok', { outcome: 'ok' });
 */
export function countedFamily(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  const entries = new Map<string, { labels: Record<string, string>; n: number }>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of entries.values()) this.inc(entry.labels, entry.n);
    },
  });
  return {
    /** Adds `n` to the series named `key`; `labels` are its label values (read the first time only). */
    inc(key: string, labels: Record<string, string>, n = 1): void {
      const entry = entries.get(key);
      if (entry) entry.n += n;
      else entries.set(key, { labels, n });
    },
    /** The current value of the series `key` (tests). */
    value(key: string): number {
      return entries.get(key)?.n ?? 0;
    },
  };
}

export type CountedFamily = ReturnType<typeof countedFamily>;
