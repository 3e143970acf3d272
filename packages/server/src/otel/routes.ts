/**
 * `POST /otel/v1/traces`: OTLP/HTTP, so an OpenTelemetry exporter configured with
 * `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4100/otel` and a Promptline key sends here unchanged.
 * Binary protobuf and JSON, gzip accepted; answers in the request's encoding, as the OTLP/HTTP
 * specification asks (errors too, for protobuf clients: a google.rpc.Status).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  AppError,
  MAX_OTLP_BODY_BYTES,
  MAX_OTLP_DECODED_BYTES,
  OtlpExportResponse,
  type OtlpTraces,
} from '@promptline/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/hook.ts';
import { sendProblem, toAppError } from '../http/problem.ts';
import { problemResponses } from '../http/schemas.ts';
import { decodeOtlpJson, decodeOtlpProtobuf } from './decode.ts';
import { ExportTraceServiceResponse, RpcStatus } from './proto.ts';
import type { OtelService } from './service.ts';

const gunzipAsync = promisify(gunzip);

const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];
const JSON_TYPE = 'application/json';

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

const isProtobuf = (request: FastifyRequest) => PROTOBUF_TYPES.includes(mediaType(request));

/** The body as sent, decompressed when `Content-Encoding: gzip`, bounded after decompression. */
async function decompress(request: FastifyRequest, body: Buffer): Promise<Buffer> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new AppError(
      'UNSUPPORTED_CONTENT_ENCODING',
      `Content-Encoding "${encoding}" is not supported. Send the body as it is or gzip-compressed (Content-Encoding: gzip).`,
    );
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: MAX_OTLP_DECODED_BYTES });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `The gzip body expands to more than ${MAX_OTLP_DECODED_BYTES / 1024 / 1024} MiB. Export smaller batches (BatchSpanProcessor maxExportBatchSize).`,
      );
    }
    throw new AppError('OTLP_MALFORMED', 'The body is not valid gzip although Content-Encoding says gzip.', {
      cause: error,
    });
  }
}

/** gRPC status codes for the Status body (OTLP clients may log them; they decide on the HTTP status). */
function grpcCode(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 5; // NOT_FOUND
  if (status === 413 || status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

/** Our AppError, with the OTLP route's own words where the framework's generic ones would mislead. */
function otlpError(error: unknown): { appError: AppError; unexpected: boolean } {
  const code = (error as FastifyError).code;
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      appError: new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'OTLP/HTTP bodies are Content-Type: application/x-protobuf or application/json.',
      ),
      unexpected: false,
    };
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      appError: new AppError(
        'PAYLOAD_TOO_LARGE',
        `The body is larger than ${MAX_OTLP_BODY_BYTES / 1024 / 1024} MiB. Export smaller batches (BatchSpanProcessor maxExportBatchSize) or enable gzip.`,
      ),
      unexpected: false,
    };
  }
  return toAppError(error);
}

/**
 * Errors as OTLP/HTTP asks: a google.rpc.Status in protobuf for protobuf requests; for the others
 * our problem+json, which also carries Status's `message`, so OTLP/JSON clients find it.
 */
function sendOtlpError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { appError, unexpected } = otlpError(error);
  if (unexpected) request.log.error({ err: error, requestId: request.id }, 'request failed');
  if (isProtobuf(request)) {
    const status = RpcStatus.encode({
      code: grpcCode(appError.status),
      message: `${appError.code}: ${appError.message}`,
    }).finish();
    return reply.code(appError.status).type('application/x-protobuf').send(Buffer.from(status));
  }
  const withMessage = new AppError(appError.code, appError.message, {
    errors: appError.errors,
    details: { ...appError.details, message: appError.message },
  });
  return sendProblem(request, reply, withMessage);
}

/** Registers the OTLP/HTTP trace receiver in its own scope (its body parsers apply to it alone). */
export function registerOtelRoutes(app: FastifyInstance, { otel }: { otel: OtelService }): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      [...PROTOBUF_TYPES, JSON_TYPE],
      { parseAs: 'buffer', bodyLimit: MAX_OTLP_BODY_BYTES },
      (request, body, done) => {
        decompress(request, body as Buffer).then(
          (decoded) => done(null, decoded),
          (error: FastifyError) => done(error, undefined),
        );
      },
    );
    // No type provider: the answers are bytes already encoded (protobuf or JSON text); the zod
    // schemas document the JSON shapes in the OpenAPI document.
    // The Langfuse v4 SDKs export OTLP to /api/public/otel with Basic auth: the same receiver.
    const receivers = [
      { url: '/otel/v1/traces', operationId: 'exportOtlpTraces', basicAuth: false },
      { url: '/api/public/otel/v1/traces', operationId: 'exportOtlpTracesLangfuse', basicAuth: true },
    ];
    for (const { url, operationId, basicAuth } of receivers) {
      scope.post(url, {
        config: { basicAuth },
        schema: {
          operationId,
          tags: ['traces'],
          summary: `Receive OpenTelemetry spans (OTLP/HTTP, protobuf or JSON, gzip accepted)${basicAuth ? " — the Langfuse SDKs' path, HTTP Basic auth with the key as password" : ''}`,
          description:
            "An OTLP ExportTraceServiceRequest. Spans are mapped to Promptline spans (GenAI semantic conventions, `promptline.*`, OpenLLMetry, Vercel AI SDK, Langfuse attributes; see docs/opentelemetry.md) and written all together once durable. Spans that cannot be mapped (malformed ids, unset times) are counted in `partialSuccess.rejectedSpans` and the rest are kept. The answer is in the request's encoding; errors to protobuf requests are a google.rpc.Status.",
          consumes: [...PROTOBUF_TYPES, JSON_TYPE],
          response: { 200: OtlpExportResponse, ...problemResponses },
        },
        errorHandler: sendOtlpError,
        handler: async (request, reply) => {
          const p = principalOf(request);
          const body = request.body as Buffer;
          const protobuf = isProtobuf(request);
          const traces: OtlpTraces = protobuf ? decodeOtlpProtobuf(body) : decodeOtlpJson(body);
          const outcome = await otel.exportTraces(p.projectId, traces);
          const partial =
            outcome.message === ''
              ? undefined
              : { rejectedSpans: String(outcome.rejected), errorMessage: outcome.message };
          if (protobuf) {
            const encoded = ExportTraceServiceResponse.encode(
              partial ? { partialSuccess: { ...partial, rejectedSpans: outcome.rejected } } : {},
            ).finish();
            return reply.type('application/x-protobuf').send(Buffer.from(encoded));
          }
          return reply.type(JSON_TYPE).send(JSON.stringify(partial ? { partialSuccess: partial } : {}));
        },
      });
    }
  });
}
