/**
 * Request loggers. Fastify gives each request a child of the server's logger; a route with a level
 * of its own (`resolve` logs only warnings) passes that level to every child, and pino then rebuilds
 * all log methods of each request's child — a visible cost on the hot path. Here the children of a
 * route with its own level descend from one logger per level, made once: same level, same bindings,
 * same lines.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

export function createRequestLoggerFactory(): ChildLoggerFactory {
  const byParent = new WeakMap<FastifyBaseLogger, Map<string, FastifyBaseLogger>>();
  return (logger, bindings, options) => {
    const { level, ...rest } = options;
    // Anything beyond a level (route serializers) goes the ordinary way.
    if (level === undefined || Object.keys(rest).length > 0) return logger.child(bindings, options);
    let levels = byParent.get(logger);
    if (!levels) {
      levels = new Map();
      byParent.set(logger, levels);
    }
    const parent = levels.get(level) ?? logger.child({}, { level });
    levels.set(level, parent);
    return parent.child(bindings);
  };
}
