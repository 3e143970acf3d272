/**
 * The Fastify instance every Promptline app runs on, with its request-level options: body limit,
 * log redaction, request ids, one log line per request, prompt-name re-encoding before routing,
 * problem+json for framework and client errors, zod validation; and how it stops.
 */
import { MAX_NAME_LENGTH } from '@promptline/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { clientErrorHandler, frameworkErrors, requestIdOf } from './input-guards.ts';
import { encodePromptPath } from './prompt-path.ts';
import { createRequestLoggerFactory } from './request-logger.ts';
import { validatorCompiler } from './validation.ts';

/** 1 MiB: large enough for any prompt, small enough that a body cannot exhaust memory. */
const BODY_LIMIT = 1024 * 1024;
/** How long stopping waits for open requests before it cuts their connections. */
const SHUTDOWN_GRACE_MS = 5_000;

/** Fastify's serializers log no headers or bodies; this keeps keys out even if someone adds them. */
const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.body.apiKey',
  'req.body.password',
  'req.body.headers',
];

/** false for silence, a logger instance to share one, or pino options. */
export type AppLogger =
  | boolean
  | FastifyBaseLogger
  | { level?: string; stream?: { write(line: string): void } };

export function createHttpServer(logger: AppLogger): FastifyInstance {
  const app = Fastify({
    ...(typeof logger === 'object' && 'child' in logger
      ? { loggerInstance: logger }
      : { logger: logger === false ? false : { ...(logger === true ? {} : logger), redact: LOG_REDACT } }),
    bodyLimit: BODY_LIMIT,
    // A client's x-request-id is used only in a bounded, plain format (logged and echoed).
    genReqId: requestIdOf,
    requestIdHeader: false,
    childLoggerFactory: createRequestLoggerFactory(),
    // One line per request instead of Fastify's two, at a level per route (http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    rewriteUrl: (req) => encodePromptPath(req.url ?? '/'),
    // A name may be as long as a path parameter may be: whatever can be created can be read.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_NAME_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  return app;
}

/**
 * Any connection still open after the grace period once closing begins (a stalled client, a
 * stream) is cut, so stopping never hangs: SIGTERM ends the process within seconds.
 */
export function installShutdownGrace(app: FastifyInstance): void {
  app.addHook('preClose', async () => {
    setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  });
}
