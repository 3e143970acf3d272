/**
 * Reads /metrics as Prometheus would: the text parsed by a Prometheus text-format parser
 * (parse-prometheus-text-format), then looked up by metric name and labels.
 *
 * That parser folds every series of a histogram family into one (it was written for histograms
 * without labels), so histograms are read from a second parse of the same text in which their
 * `# TYPE … histogram` lines are left out: their `_bucket`, `_sum` and `_count` lines then parse as
 * plain samples, each with its own labels (`le` included).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Scrape {
  /** Every family, as parsed. */
  families: ReturnType<typeof parsePrometheusTextFormat>;
  /** The type the exposition declares for `name` (COUNTER, GAUGE, HISTOGRAM…), undefined when absent. */
  type(name: string): string | undefined;
  /** The value of the sample of `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram sample: count, sum and cumulative buckets by upper bound. */
  histogram(
    name: string,
    labels?: Record<string, string>,
  ): { count: number; sum: number; buckets: Record<string, number> } | undefined;
  /** Every label value of every sample (to check that no raw URL or name became a label). */
  labelValues(): string[];
}

function matches(sample: { labels?: Record<string, string> }, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value);
}

export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const family = (name: string) => families.find((f) => f.name === name);
  const histogramNames = new Set(families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name));
  const untyped = parsePrometheusTextFormat(
    text
      .split('\n')
      .filter((line) => {
        const meta = /^# (?:TYPE|HELP) (\S+)/.exec(line);
        return !meta?.[1] || !histogramNames.has(meta[1]);
      })
      .join('\n'),
  );
  const samplesOf = (name: string, labels: Record<string, string>) =>
    untyped.filter((f) => f.name === name).flatMap((f) => f.metrics.filter((m) => matches(m, labels)));
  return {
    families,
    type: (name) => family(name)?.type,
    value(name, labels = {}) {
      const sample = family(name)?.metrics.find((m) => matches(m, labels));
      return sample?.value === undefined ? undefined : Number(sample.value);
    },
    histogram(name, labels = {}) {
      if (!histogramNames.has(name)) return undefined;
      const count = samplesOf(`${name}_count`, labels)[0];
      const sum = samplesOf(`${name}_sum`, labels)[0];
      if (count?.value === undefined || sum?.value === undefined) return undefined;
      const buckets: Record<string, number> = {};
      for (const bucket of samplesOf(`${name}_bucket`, labels)) {
        const le = bucket.labels?.le;
        if (le !== undefined) buckets[le] = Number(bucket.value);
      }
      return { count: Number(count.value), sum: Number(sum.value), buckets };
    },
    labelValues: () => families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {}))),
  };
}
