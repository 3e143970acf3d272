import type { Role } from '@promptline/core';
import type { Principal } from '../auth/service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, set by the auth hook; null on public routes. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No API key needed (health, docs, OpenAPI). */
    public?: boolean;
    /** Least role the route needs; default viewer for GET/HEAD, editor otherwise. */
    role?: Role;
    /** Log this route's requests at debug instead of info (health checks, static files). */
    requestLog?: 'debug';
    /** Also accept HTTP Basic auth whose password is the key (Langfuse-compatible routes). */
    basicAuth?: boolean;
    /**
     * `false`: never rate limited (probes, metrics). Otherwise set when the route is registered
     * to the budget it counts against (http/rate-limit.ts).
     */
    rateLimit?: false | { budget: string; max: number; timeWindow: number };
  }
}
