/**
 * `GET /api/v1/backup`, `GET /api/v1/export`, `POST /api/v1/import` (admin keys): files streamed
 * both ways, never held whole in memory.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { AppError, ImportResult } from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { decompressed, lines } from './lines.ts';
import type { PortabilityService } from './service.ts';

const tags = ['operations'];
const FILE_TYPES = ['application/x-ndjson', 'application/gzip', 'application/octet-stream'];

/** Waits while the reader of `stream` is behind, so an export never runs ahead of the network. */
function writer(stream: PassThrough) {
  return async (line: string) => {
    if (stream.destroyed) throw new Error('the client went away during the export');
    if (!stream.write(line)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('close', closed);
          resolve();
        };
        const closed = () => {
          stream.off('drain', done);
          reject(new Error('the client went away during the export'));
        };
        stream.once('drain', done);
        stream.once('close', closed);
      });
    }
  };
}

const stamp = (at: Date) =>
  at
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');

export function registerPortabilityRoutes(
  app: FastifyInstance,
  {
    portability,
    projectName,
    isInstanceAdmin,
  }: {
    portability: PortabilityService;
    projectName: (projectId: number) => Promise<string>;
    /** The backup holds every project: only an instance admin may take it. */
    isInstanceAdmin: (userId: number) => Promise<boolean>;
  },
): void {
  app.register(async (scope) => {
    // The import body is the raw file, read as it arrives (no body limit: it is never buffered).
    for (const type of FILE_TYPES) {
      scope.addContentTypeParser(type, (_request: FastifyRequest, payload, done) => done(null, payload));
    }
    const r = scope.withTypeProvider<ZodTypeProvider>();

    // Untyped: the answers are streams, which Fastify sends as they are (the schema documents them).
    scope.get('/api/v1/backup', {
      config: { role: 'admin' },
      schema: {
        operationId: 'backupDatabase',
        tags,
        summary: 'A consistent copy of the whole SQLite database, taken while the server runs',
        description:
          'Answers the SQLite file (`application/vnd.sqlite3`), made with `VACUUM INTO` on a connection of its own: writes go on meanwhile and the copy is one consistent moment. Every project of the instance is in it; restore by stopping the server and putting the file in place of `$PROMPTLINE_DATA_DIR/promptline.db`. On PostgreSQL it answers 409 `BACKUP_NOT_SUPPORTED`: use pg_dump.',
        response: { 200: z.string().describe('application/vnd.sqlite3'), ...problemResponses },
      },
      handler: async (request, reply) => {
        if (!(await isInstanceAdmin(principalOf(request).userId))) {
          throw new AppError(
            'INSTANCE_ADMIN_REQUIRED',
            'The backup holds every project of the instance: only an instance admin takes it.',
            { hint: 'Export this project instead: GET /api/v1/export (promptline export).' },
          );
        }
        const file = await portability.backup();
        const stream = createReadStream(file.path);
        stream.on('close', file.remove);
        return reply
          .type('application/vnd.sqlite3')
          .header('content-disposition', `attachment; filename="promptline-${stamp(new Date())}.db"`)
          .send(stream);
      },
    });

    scope.get('/api/v1/export', {
      config: { role: 'admin' },
      schema: {
        operationId: 'exportProject',
        tags,
        summary: "The key's whole project as one streamed NDJSON file",
        description:
          'Answers `application/x-ndjson`: a header line `{"format":"promptline-export","version":1,…}`, one line `{"t":<table>,"r":<row>}` per stored row in dependency order (registry, versions with their hashes, environments and policies, deployment history, datasets and item revisions, eval runs and results, thresholds, traces, spans, scores, metric rollups, the audit chain), then `{"end":true,"rows":{…}}`. Read from one snapshot of the database. Secrets (API keys, sessions, provider credentials) are never in it. A response without the closing line was cut off.',
        response: { 200: z.string().describe('application/x-ndjson'), ...problemResponses },
      },
      handler: async (request, reply) => {
        const { projectId } = principalOf(request);
        const project = { id: projectId, name: await projectName(projectId) };
        const stream = new PassThrough();
        portability.exportProject(project, writer(stream)).then(
          () => stream.end(),
          (error: unknown) => {
            // The status line is sent: cut the response so the reader sees no closing line.
            request.log.error({ err: error }, 'export failed part-way; the response was cut off');
            stream.destroy(error instanceof Error ? error : new Error(String(error)));
          },
        );
        return reply
          .type('application/x-ndjson')
          .header('content-disposition', `attachment; filename="${project.name}-${stamp(new Date())}.ndjson"`)
          .send(stream);
      },
    });

    r.post('/api/v1/import', {
      config: { role: 'admin' },
      schema: {
        operationId: 'importProject',
        tags,
        summary: "Load an export file into the key's project (one transaction: all or nothing)",
        description:
          "The body is a file `GET /api/v1/export` wrote, as it is or gzipped (`application/x-ndjson`, `application/gzip` or `application/octet-stream`), read as it arrives. The project must hold no prompts, datasets, eval runs or traces yet (409 `IMPORT_TARGET_NOT_EMPTY`); its seeded environments are updated to the file's and its own audit events are appended after the imported chain, which keeps every hash. A newer format or schema is refused (422 `IMPORT_FORMAT_UNSUPPORTED`), a cut-off or altered file too (422 `IMPORT_FILE_INVALID`); either way nothing is written.",
        consumes: FILE_TYPES,
        response: { 200: ImportResult, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        const body = request.body as AsyncIterable<Buffer> | undefined;
        if (!body || typeof body[Symbol.asyncIterator] !== 'function') {
          throw new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            'Send the export file as the body, as application/x-ndjson (or application/gzip when gzipped): `promptline import <file>` does.',
          );
        }
        return portability.importProject(p.projectId, p.name, lines(decompressed(body)));
      },
    });
  });
}
