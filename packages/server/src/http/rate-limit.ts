/**
 * Rate limits, counted in memory per instance: per API key on routes that need
 * one (the principal the auth hook already found, so no database round trip), per client address on
 * the few public routes that do work (signing in). Four budgets, each its own count:
 *
 * - `serve`: resolve, render, snapshot, live stream — what applications call;
 * - `ingest`: traces, OTLP, scores, the gateway — telemetry and LLM traffic;
 * - `write`: every other change (POST, PUT, PATCH, DELETE);
 * - `read`: every other read.
 *
 * A request over its budget is answered 429 problem+json `RATE_LIMITED` with `Retry-After` (seconds
 * until its window ends). Health, readiness, metrics, the web app's files and the API docs are never
 * limited. Windows are fixed (a count per key that restarts when the window ends).
 */
import { AppError } from '@promptline/core';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import './types.ts';

export const BUDGETS = ['serve', 'ingest', 'write', 'read'] as const;
export type Budget = (typeof BUDGETS)[number];

/** At most `max` requests per `windowMs` per key. */
export interface BudgetLimit {
  max: number;
  windowMs: number;
}

/** Each budget's limit; null: that budget is not limited. */
export type RateLimitSettings = Record<Budget, BudgetLimit | null>;

/**
 * Generous: one client resolving 1 000 times a second uses a tenth of `serve`, one sending 1 000
 * single-span batches a second a fifth of `ingest`. Bound across N instances: N times these.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<Budget, BudgetLimit>> = {
  serve: { max: 100_000, windowMs: 10_000 },
  ingest: { max: 50_000, windowMs: 10_000 },
  write: { max: 10_000, windowMs: 10_000 },
  read: { max: 50_000, windowMs: 10_000 },
};

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a budget as written in the environment: `<count>/<window>` with the window in ms, s, m or h
 * (`20000/10s`, `600/1m`, `50/s`), or `off` for no limit.
 *
 * @throws Error with a message saying the expected form.
 */
export function parseBudgetLimit(text: string): BudgetLimit | null {
  const value = text.trim().toLowerCase();
  if (value === 'off') return null;
  const match = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h)$/.exec(value);
  const max = Number(match?.[1]);
  const windowMs = Number(match?.[2] || 1) * (UNITS[match?.[3] ?? ''] ?? Number.NaN);
  if (
    !match ||
    !Number.isSafeInteger(max) ||
    max < 1 ||
    !Number.isFinite(windowMs) ||
    windowMs < 1 ||
    windowMs > 86_400_000
  ) {
    throw new Error(
      `"${text}" is not a budget: write <count>/<window> such as 20000/10s, 600/1m or 50/s (window at most 24h), or off`,
    );
  }
  return { max, windowMs };
}

/** A budget as the environment would write it (`100000/10s`), for messages and docs. */
export function formatBudgetLimit(limit: BudgetLimit): string {
  const { windowMs } = limit;
  const window =
    windowMs % 3_600_000 === 0
      ? `${windowMs / 3_600_000}h`
      : windowMs % 60_000 === 0
        ? `${windowMs / 60_000}m`
        : windowMs % 1_000 === 0
          ? `${windowMs / 1_000}s`
          : `${windowMs}ms`;
  return `${limit.max}/${window}`;
}

const SERVE = /^\/api\/v1\/(?:prompts\/:name\/(?:resolve|render)|environments\/:env\/(?:snapshot|stream))$/;
const INGEST = /^\/(?:api\/v1\/(?:traces|scores)$|otel\/|gateway\/)/;

/**
 * The budget a route counts against, or undefined for none: probes and metrics (`rateLimit: false`),
 * the web app's files and the API docs (public reads).
 */
export function budgetOf(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): Budget | undefined {
  const config = route.config as { public?: boolean; rateLimit?: unknown } | undefined;
  if (config?.rateLimit === false) return undefined;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const reads = methods.every((m) => m === 'GET' || m === 'HEAD');
  if (route.url.startsWith('/docs') || (config?.public && reads)) return undefined;
  if (SERVE.test(route.url)) return 'serve';
  if (INGEST.test(route.url) && (route.url.startsWith('/gateway/') || !reads)) return 'ingest';
  return reads ? 'read' : 'write';
}

interface Window {
  count: number;
  start: number;
}

/**
 * The counts of one budget: a fixed window per key. Bounded: past `maxKeys` keys, ended windows are
 * dropped, then the oldest.
 */
class BudgetWindows {
  private readonly windows = new Map<string | number, Window>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(now: () => number, maxKeys: number) {
    this.now = now;
    this.maxKeys = maxKeys;
  }

  /** Counts one request of `key`; answers its window (count so far, start) and the time now. */
  hit(key: string | number, timeWindow: number): Window {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window) {
      window = { count: 0, start: now };
      this.windows.set(key, window);
      if (this.windows.size > this.maxKeys) this.evict(now, timeWindow);
    } else if (window.start + timeWindow <= now) {
      window.count = 0;
      window.start = now;
    }
    window.count++;
    return window;
  }

  private evict(now: number, timeWindow: number): void {
    for (const [key, window] of this.windows) {
      if (window.start + timeWindow <= now) this.windows.delete(key);
    }
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}

export interface RateLimitOptionsIn {
  limits: RateLimitSettings;
  /** The clock of the windows (tests move it); default Date.now. */
  now?: () => number;
  /** Keys (API keys and addresses) remembered per budget (default 100 000). */
  maxKeys?: number;
  /** Told of each refused request (metrics). */
  onLimited?: (budget: Budget) => void;
}

/** What a route's config says about its limit (`rateLimit: false` opts a route out). */
export type RouteRateLimit = { budget: Budget; max: number; timeWindow: number } | false;

function refusal(request: FastifyRequest, budget: Budget, limit: BudgetLimit, ttlMs: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
  const who = request.principal ? `the API key "${request.principal.name}"` : 'this address';
  return new AppError(
    'RATE_LIMITED',
    `Too many ${budget} requests from ${who}: at most ${formatBudgetLimit(limit)} per instance. Retry after ${retryAfterSeconds} s (Retry-After).`,
    {
      details: { budget, limit: limit.max, windowSeconds: limit.windowMs / 1000, retryAfterSeconds },
      hint: 'Spread the requests out, or raise the budget (PROMPTLINE_RATE_LIMIT_* on the server).',
    },
  );
}

function appendHook(route: RouteOptions, hook: onRequestHookHandler): void {
  const existing = route.onRequest;
  route.onRequest = Array.isArray(existing) ? [...existing, hook] : existing ? [existing, hook] : [hook];
}

/**
 * Installs the limits on every route registered after this call (call it before the routes; the
 * auth hook, global, runs before these route hooks: the key is the principal it set).
 *
 * Each limited route gets one synchronous onRequest hook bound to its budget's counts: on the hot
 * path (`resolve`) a request costs a Map lookup and an increment, no promise.
 */
export function installRateLimits(app: FastifyInstance, options: RateLimitOptionsIn): void {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const { onLimited } = options;
  const windowsOf = new Map<Budget, BudgetWindows>(BUDGETS.map((b) => [b, new BudgetWindows(now, maxKeys)]));

  app.addHook('onRoute', (route) => {
    const budget = budgetOf(route);
    const limit = budget === undefined ? null : options.limits[budget];
    const windows = budget === undefined ? undefined : windowsOf.get(budget);
    const config: RouteRateLimit =
      budget !== undefined && limit ? { budget, max: limit.max, timeWindow: limit.windowMs } : false;
    route.config = { ...route.config, rateLimit: config };
    if (budget === undefined || !limit || !windows) return;
    const { max, windowMs } = limit;
    appendHook(route, (request, reply, done) => {
      // The principal's key id (set by the auth hook, from its cache: no database round trip), a
      // person's session by user, else the peer's address (public routes).
      const principal = request.principal;
      const key = principal ? (principal.keyId ?? `user:${principal.userId}`) : request.ip;
      const window = windows.hit(key, windowMs);
      // Nothing added to answers within the budget; the refusal says everything.
      if (window.count <= max) return done();
      onLimited?.(budget);
      const ttlMs = window.start + windowMs - now();
      const resetSeconds = Math.ceil(ttlMs / 1000);
      reply
        .header('x-ratelimit-limit', max)
        .header('x-ratelimit-remaining', 0)
        .header('x-ratelimit-reset', resetSeconds)
        .header('retry-after', resetSeconds);
      done(refusal(request, budget, limit, ttlMs));
    });
  });
}
