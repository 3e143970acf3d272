import { AppError, type GatewayRoute, type SetGatewayRouteRequest } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { createGatewayStore } from './store.ts';

/** What the gateway applies to a call on a routed model. */
export interface RouteRule {
  fallbacks: string[];
  /** Per attempt, until the answer begins; null: the provider's own timeout. */
  timeoutMs: number | null;
}

/** A route edited on another instance is followed here within this long. */
const ROUTES_CACHE_MS = 5_000;

/**
 * The project's fallback route table: for a requested `<provider>/<model>`, the models tried in
 * order when it fails. The gateway reads it per call from a per-project copy refreshed at most every
 * 5 s (a call costs no query); a change on this instance is seen at once.
 */
export function createFallbackRouteService({
  database,
  clock,
  audit,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
}) {
  const store = createGatewayStore();
  const tables = new Map<number, { value: Promise<Map<string, RouteRule>>; expires: number }>();

  function tableOf(projectId: number): Promise<Map<string, RouteRule>> {
    const now = Date.now();
    const cached = tables.get(projectId);
    if (cached && cached.expires > now) return cached.value;
    const value = store
      .routes(database.db, projectId)
      .then(
        (routes) => new Map(routes.map((r) => [r.model, { fallbacks: r.fallbacks, timeoutMs: r.timeoutMs }])),
      );
    tables.set(projectId, { value, expires: now + ROUTES_CACHE_MS });
    // A failed read is not remembered: the next call asks again.
    value.catch(() => tables.delete(projectId));
    return value;
  }

  const notFound = (model: string) =>
    new AppError(
      'GATEWAY_ROUTE_NOT_FOUND',
      `No fallback route for ${model} in this project. List routes with GET /api/v1/gateway/routes.`,
      { details: { model } },
    );

  return {
    /** The route of `model`, or null when the project has none. */
    async ruleFor(projectId: number, model: string): Promise<RouteRule | null> {
      return (await tableOf(projectId)).get(model) ?? null;
    },

    async list(projectId: number): Promise<GatewayRoute[]> {
      return store.routes(database.db, projectId);
    },

    /** @throws AppError GATEWAY_ROUTE_NOT_FOUND */
    async get(projectId: number, model: string): Promise<GatewayRoute> {
      const route = await store.route(database.db, projectId, model);
      if (!route) throw notFound(model);
      return route;
    },

    /** Creates or replaces the route of `request.model`. Audited. */
    async set(projectId: number, request: SetGatewayRouteRequest, actor: string): Promise<GatewayRoute> {
      const route: GatewayRoute = {
        model: request.model,
        fallbacks: request.fallbacks,
        timeoutMs: request.timeoutMs ?? null,
        updatedAt: isoNow(clock),
        updatedBy: actor,
      };
      await database.db.transaction().execute(async (trx) => {
        const before = await store.route(trx, projectId, request.model);
        await store.saveRoute(trx, projectId, route);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'gateway.route.set',
          targetType: 'gateway_route',
          target: request.model,
          data: {
            before: before ? { fallbacks: before.fallbacks, timeoutMs: before.timeoutMs } : null,
            after: { fallbacks: route.fallbacks, timeoutMs: route.timeoutMs },
          },
        });
      });
      tables.delete(projectId);
      return route;
    },

    /** @throws AppError GATEWAY_ROUTE_NOT_FOUND */
    async remove(projectId: number, model: string, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const before = await store.route(trx, projectId, model);
        if (!before || !(await store.removeRoute(trx, projectId, model))) throw notFound(model);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'gateway.route.remove',
          targetType: 'gateway_route',
          target: model,
          data: { before: { fallbacks: before.fallbacks, timeoutMs: before.timeoutMs } },
        });
      });
      tables.delete(projectId);
    },
  };
}

export type FallbackRouteService = ReturnType<typeof createFallbackRouteService>;
