/**
 * The server's own metrics (`GET /metrics`, Prometheus text format): one prom-client Registry per
 * app, built by {@link createServerMetrics} and handed to each feature as the small recorder it
 * needs (no module-level registry: a test builds its own and reads exactly what its app counted).
 *
 * Counted where it happens: HTTP requests (per route pattern, method, status; see http-metrics.ts),
 * resolves and renders, spans ingested and rejected, provider requests. Read when scraped:
 * live-update connections, the job queue, the database pool, the gateway's span recorder. Plus
 * prom-client's default process metrics (CPU, memory, event-loop lag, GC, handles).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createHttpMetrics, type HttpMetrics } from './http-metrics.ts';
import { type CountedFamily, countedFamily } from './series.ts';

/** Every metric name starts with this. */
export const METRIC_PREFIX = 'promptline_';

/** Spans written or refused, by the way they came in. */
export interface SpanMetrics {
  /** `n` spans of `source` were acknowledged (durable). */
  ingested(source: string, n: number): void;
  /** `n` spans of `source` were refused (`reason`: invalid, too_old, unmappable, buffer_full, write_failed…). */
  rejected(source: string, reason: string, n: number): void;
}

/** One HTTP request to an LLM provider (each attempt, retries included). */
export interface ProviderMetrics {
  /** `status`: the HTTP status, or `network_error`, `timeout`, `aborted`; `seconds` until the answer's headers. */
  request(provider: string, status: number | 'network_error' | 'timeout' | 'aborted', seconds: number): void;
}

/** Resolves and renders, by outcome (`ok` or the error code). Called on the hot path: no allocation. */
export interface ResolutionMetrics {
  resolved(outcome: string): void;
  rendered(outcome: string): void;
}

/** A value read when scraped: the label values and the number. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface ServerMetricsOptions {
  /** prom-client's default process metrics (default true). */
  processMetrics?: boolean;
  /** How long a scrape-time reading (the job queue) may take before it is left out (default 2 000 ms). */
  collectTimeoutMs?: number;
  /** Told when a scrape-time reading fails (the metric is left out of that scrape). */
  onCollectError?: (metric: string, error: unknown) => void;
}

const PROVIDER_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

function withTimeout<T>(work: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(work),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Builds the registry and every recorder. Features get the part they record into:
 * `http` (installHttpMetrics), `resolution`, `spans`, `providers`, and `gauge()` for values a
 * feature is asked for when scraped.
 */
export function createServerMetrics(options: ServerMetricsOptions = {}) {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const collectTimeoutMs = options.collectTimeoutMs ?? 2_000;

  const http: HttpMetrics = createHttpMetrics(registry);

  const resolves: CountedFamily = countedFamily(
    registry,
    'promptline_resolves_total',
    'Prompt resolutions answered (GET …/resolve), by outcome: ok or the error code.',
    ['outcome'],
  );
  const renders: CountedFamily = countedFamily(
    registry,
    'promptline_renders_total',
    'Prompt renders answered (POST …/render), by outcome: ok or the error code.',
    ['outcome'],
  );
  const outcomeLabels = new Map<string, Record<string, string>>();
  const outcome = (value: string) => {
    let labels = outcomeLabels.get(value);
    if (!labels) {
      labels = { outcome: value };
      outcomeLabels.set(value, labels);
    }
    return labels;
  };
  const resolution: ResolutionMetrics = {
    resolved: (value) => resolves.inc(value, outcome(value)),
    rendered: (value) => renders.inc(value, outcome(value)),
  };

  const spansIngested = new Counter({
    name: 'promptline_spans_ingested_total',
    help: 'Spans acknowledged as durable, by source (api, sdk, otel, gateway). A re-sent span counts again.',
    labelNames: ['source'],
    registers: [registry],
  });
  const spansRejected = new Counter({
    name: 'promptline_spans_rejected_total',
    help: 'Spans refused or lost, by source and reason (invalid, too_old, unmappable; gateway: invalid, write_failed, buffer_full).',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  const spans: SpanMetrics = {
    ingested: (source, n) => spansIngested.inc({ source }, n),
    rejected: (source, reason, n) => spansRejected.inc({ source, reason }, n),
  };

  const providerRequests = new Counter({
    name: 'promptline_provider_requests_total',
    help: 'HTTP requests to LLM providers (every attempt, retries included), by provider and status (HTTP status, network_error, timeout, aborted).',
    labelNames: ['provider', 'status'],
    registers: [registry],
  });
  const providerErrors = new Counter({
    name: 'promptline_provider_errors_total',
    help: 'Provider requests that failed, by provider and kind: http_4xx, http_5xx, network_error, timeout (a caller cancelling is not counted).',
    labelNames: ['provider', 'kind'],
    registers: [registry],
  });
  const providerLatency = new Histogram({
    name: 'promptline_provider_request_duration_seconds',
    help: "Time from sending a provider request to its answer's headers (for streams: the first byte), by provider.",
    labelNames: ['provider'],
    buckets: PROVIDER_BUCKETS,
    registers: [registry],
  });
  const providers: ProviderMetrics = {
    request(provider, status, seconds) {
      providerRequests.inc({ provider, status: String(status) });
      if (status !== 'aborted') providerLatency.observe({ provider }, seconds);
      const kind =
        typeof status === 'number'
          ? status >= 500
            ? 'http_5xx'
            : status >= 400
              ? 'http_4xx'
              : undefined
          : status === 'aborted'
            ? undefined
            : status;
      if (kind) providerErrors.inc({ provider, kind });
    },
  };

  const limited = countedFamily(
    registry,
    'promptline_rate_limited_total',
    'Requests refused with 429 RATE_LIMITED, by budget (serve, ingest, write, read).',
    ['budget'],
  );
  const budgetLabels = new Map<string, Record<string, string>>();
  const rateLimits = {
    limited(budget: string): void {
      let labels = budgetLabels.get(budget);
      if (!labels) {
        labels = { budget };
        budgetLabels.set(budget, labels);
      }
      limited.inc(budget, labels);
    },
  };

  const collectFailures = new Counter({
    name: 'promptline_metrics_collect_failures_total',
    help: 'Scrape-time readings that failed or timed out (the metric was left out of that scrape), by metric.',
    labelNames: ['metric'],
    registers: [registry],
  });

  return {
    registry,
    http,
    resolution,
    spans,
    providers,
    rateLimits,

    /**
     * A gauge read when scraped. `read` may query the database: it gets `collectTimeoutMs`, and a
     * failure leaves this gauge out of the scrape (counted in promptline_metrics_collect_failures_total).
     */
    gauge(
      name: string,
      help: string,
      labelNames: readonly string[],
      read: () => Promise<Sample[]> | Sample[],
    ): void {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          try {
            for (const sample of await withTimeout(read(), collectTimeoutMs, name))
              this.set(sample.labels, sample.value);
          } catch (error) {
            collectFailures.inc({ metric: name });
            options.onCollectError?.(name, error);
          }
        },
      });
    },

    /** The exposition: text and its content type. */
    async scrape(): Promise<{ contentType: string; text: string }> {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
