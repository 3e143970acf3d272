/**
 * HTTP request metrics: a latency histogram by method, route pattern (`/api/v1/prompts/:name/resolve`,
 * never the raw URL, so a client cannot grow the label set) and status code, plus the request
 * counter read from it when scraped.
 *
 * Cheap on the hot path: each route gets its own onResponse hook when it is registered, holding its
 * series, so a request costs one Map lookup by status and a few additions — no routeOptions object,
 * no label hashing, no allocation once the (route, status) pair has been seen.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
  RouteOptions,
} from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { HistogramSeries, SeriesHistogram } from './series.ts';

/** Seconds; fine below 10 ms, where resolve lives (its p99 goal is 5 ms). */
export const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of requests no route matched (404s): one series, whatever the URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The series of one route and method, by status code. */
export class RouteSeries {
  private readonly byStatus = new Map<number, HistogramSeries>();
  private readonly method: string;
  private readonly route: string;
  private readonly all: HistogramSeries[];

  constructor(method: string, route: string, all: HistogramSeries[]) {
    this.method = method;
    this.route = route;
    this.all = all;
  }

  observe(status: number, seconds: number): void {
    let series = this.byStatus.get(status);
    if (!series) {
      series = new HistogramSeries(
        { method: this.method, route: this.route, status_code: String(status) },
        HTTP_BUCKETS,
      );
      this.byStatus.set(status, series);
      this.all.push(series);
    }
    series.observe(seconds);
  }
}

export function createHttpMetrics(registry: Registry) {
  const all: HistogramSeries[] = [];
  registry.registerMetric(
    new SeriesHistogram(
      {
        name: 'promptline_http_request_duration_seconds',
        help: 'Time from receiving a request to its answer being sent, by method, route pattern and status code.',
        labelNames: ['method', 'route', 'status_code'],
        buckets: HTTP_BUCKETS,
      },
      () => all,
    ),
  );
  new Counter({
    name: 'promptline_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const series of all) this.inc(series.labels, series.count);
    },
  });
  const routes = new Map<string, RouteSeries>();
  return {
    /** The series of `method` `route` (one object per pair, made once). */
    route(method: string, route: string): RouteSeries {
      const key = `${method} ${route}`;
      let series = routes.get(key);
      if (!series) {
        series = new RouteSeries(method, route, all);
        routes.set(key, series);
      }
      return series;
    },
  };
}

export type HttpMetrics = ReturnType<typeof createHttpMetrics>;

function addHook(route: RouteOptions, hook: onResponseHookHandler): void {
  const existing = route.onResponse;
  route.onResponse = Array.isArray(existing) ? [...existing, hook] : existing ? [existing, hook] : [hook];
}

/**
 * Records every route registered after this call (register it before the routes). Requests that
 * match no route are recorded by {@link recordUnmatched}, called from the not-found handler.
 */
export function installHttpMetrics(app: FastifyInstance, http: HttpMetrics): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.length === 1) {
      const series = http.route(String(methods[0]), route.url);
      addHook(route, (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        series.observe(reply.statusCode, reply.elapsedTime / 1000);
        done();
      });
      return;
    }
    const byMethod = new Map(
      methods.map((method) => [String(method), http.route(String(method), route.url)]),
    );
    addHook(route, (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      byMethod.get(request.method)?.observe(reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  });
}

/** Records a request no route matched, when its 404 (or 414) is sent. */
export function recordUnmatched(http: HttpMetrics, request: FastifyRequest, reply: FastifyReply): void {
  // Any method string a client invents would be a label: only the standard ones are kept.
  const method = STANDARD_METHODS.has(request.method) ? request.method : 'OTHER';
  http.route(method, UNMATCHED_ROUTE).observe(reply.statusCode, reply.elapsedTime / 1000);
}

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
