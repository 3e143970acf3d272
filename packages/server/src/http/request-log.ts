/**
 * One log line per request, written when the answer is sent: `GET /api/v1/prompts 200 3.1 ms`,
 * with the request id, method, URL, status and time as fields for log processors. Health checks
 * and the web app's files (routes marked `config: { requestLog: 'debug' }`, and the API docs'
 * assets) are logged at debug, so a load balancer polling /healthz every second or a browser
 * loading twenty chunks does not bury the requests that matter at the default level.
 * Replaces Fastify's own two lines per request (`logController` in app.ts).
 */
import type { FastifyInstance } from 'fastify';

export function installRequestLog(app: FastifyInstance): void {
  // A callback hook, and nothing built when the level is off: `resolve` logs only warnings, so on
  // the hot path this is one level check per request.
  app.addHook('onResponse', (request, reply, done) => {
    // pino's loggers have isLevelEnabled; Fastify's silent stand-in has not (and logs nothing anyway).
    const log = request.log as typeof request.log & { isLevelEnabled?: (level: string) => boolean };
    // Below info nothing is written (a debug line needs debug, which info precedes): decided
    // before reading the route, which Fastify builds anew on every read.
    if (log.isLevelEnabled?.('info') === false) return done();
    const route = request.routeOptions;
    const quiet = route.config?.requestLog === 'debug' || route.url?.startsWith('/docs/static/') === true;
    const level = quiet ? 'debug' : 'info';
    if (log.isLevelEnabled?.(level) !== false) {
      const ms = reply.elapsedTime;
      request.log[level](
        { req: request, res: reply, responseTime: ms },
        `${request.method} ${request.url} ${reply.statusCode} ${ms.toFixed(1)} ms`,
      );
    }
    done();
  });
}
