import { Readable } from 'node:stream';
import {
  AddDatasetItemsRequest,
  AppError,
  CreateDatasetRequest,
  Dataset,
  DatasetExportQuery,
  DatasetImportPreview,
  DatasetImportResult,
  DatasetItem,
  DatasetItemPage,
  DatasetItemsQuery,
  DatasetItemsWritten,
  DatasetName,
  listOf,
  RowIdParam,
  UpdateDatasetItemRequest,
  UpdateDatasetRequest,
} from '@promptline/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { parseCsv, parseJsonl } from './formats.ts';
import type { DatasetService } from './service.ts';

const tags = ['datasets'];

/** Imports and run uploads may be far larger than a JSON request. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const DatasetParams = z.object({ name: DatasetName });
const ItemParams = DatasetParams.extend({ id: RowIdParam });

/**
 * Accepts CSV and NDJSON/JSONL bodies as text, only inside the scope of the routes that read them
 * (other features keep Fastify's default parsers).
 */
export function installTextParsers(scope: FastifyInstance): void {
  for (const type of ['text/csv', 'application/x-ndjson', 'application/jsonl', 'application/x-jsonlines']) {
    if (!scope.hasContentTypeParser(type)) {
      scope.addContentTypeParser(
        type,
        { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
        (_req, body, done) => done(null, body),
      );
    }
  }
}

/** The items of an import body, by its content type (CSV or JSONL). */
function parseImport(contentType: string | undefined, body: unknown) {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (typeof body !== 'string') {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the file as text/csv or application/x-ndjson (got "${type || 'no content type'}").`,
    );
  }
  const csv = type === 'text/csv';
  return { items: csv ? parseCsv(body) : parseJsonl(body), format: csv ? 'csv' : 'jsonl' };
}

/** Datasets and their items: `/api/v1/datasets…`. */
export function registerDatasetRoutes(
  app: FastifyInstance,
  { datasets }: { datasets: DatasetService },
): void {
  app.register(async (scope) => {
    installTextParsers(scope);
    const r = scope.withTypeProvider<ZodTypeProvider>();

    r.post('/api/v1/datasets', {
      schema: {
        operationId: 'createDataset',
        tags,
        summary: 'Create a dataset (optionally with its first items, as revision 1)',
        body: CreateDatasetRequest,
        response: { 201: Dataset, ...problemResponses },
      },
      handler: async (request, reply) => {
        const p = principalOf(request);
        return reply.code(201).send(await datasets.create(p.projectId, request.body, p.name));
      },
    });

    r.get('/api/v1/datasets', {
      schema: {
        operationId: 'listDatasets',
        tags,
        summary: 'List datasets with their current revision and item count',
        response: { 200: listOf(Dataset), ...problemResponses },
      },
      handler: async (request) => ({ items: await datasets.list(principalOf(request).projectId) }),
    });

    r.get('/api/v1/datasets/:name', {
      schema: {
        operationId: 'getDataset',
        tags,
        summary: 'Get a dataset',
        params: DatasetParams,
        response: { 200: Dataset, ...problemResponses },
      },
      handler: async (request) => datasets.get(principalOf(request).projectId, request.params.name),
    });

    r.patch('/api/v1/datasets/:name', {
      schema: {
        operationId: 'updateDataset',
        tags,
        summary: 'Change a dataset’s description (items are changed through /items)',
        params: DatasetParams,
        body: UpdateDatasetRequest,
        response: { 200: Dataset, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        return datasets.update(p.projectId, request.params.name, request.body.description, p.name);
      },
    });

    r.delete('/api/v1/datasets/:name', {
      schema: {
        operationId: 'deleteDataset',
        tags,
        summary: 'Delete a dataset with every revision of its items (eval runs keep their results)',
        params: DatasetParams,
        response: { 204: z.null().describe('Deleted'), ...problemResponses },
      },
      handler: async (request, reply) => {
        const p = principalOf(request);
        await datasets.remove(p.projectId, request.params.name, p.name);
        return reply.code(204).send(null);
      },
    });

    r.post('/api/v1/datasets/:name/items', {
      schema: {
        operationId: 'addDatasetItems',
        tags,
        summary: 'Add one item or many (one new revision)',
        params: DatasetParams,
        body: AddDatasetItemsRequest,
        response: { 201: DatasetItemsWritten, ...problemResponses },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
      handler: async (request, reply) => {
        const p = principalOf(request);
        return reply
          .code(201)
          .send(await datasets.addItems(p.projectId, request.params.name, request.body, p.name));
      },
    });

    r.get('/api/v1/datasets/:name/items', {
      schema: {
        operationId: 'listDatasetItems',
        tags,
        summary: 'Items at a revision (default the current one), in item order, paged',
        params: DatasetParams,
        querystring: DatasetItemsQuery,
        response: { 200: DatasetItemPage, ...problemResponses },
      },
      handler: async (request) =>
        datasets.listItems(principalOf(request).projectId, request.params.name, request.query),
    });

    r.patch('/api/v1/datasets/:name/items/:id', {
      schema: {
        operationId: 'updateDatasetItem',
        tags,
        summary: 'Edit an item: a new item revision (the old one stays readable at older revisions)',
        params: ItemParams,
        body: UpdateDatasetItemRequest,
        response: { 200: DatasetItem, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        return datasets.updateItem(p.projectId, request.params.name, request.params.id, request.body, p.name);
      },
    });

    r.delete('/api/v1/datasets/:name/items/:id', {
      schema: {
        operationId: 'deleteDatasetItem',
        tags,
        summary: 'Remove an item from the next revision (older revisions keep it)',
        params: ItemParams,
        response: { 200: z.object({ revision: z.number().int() }), ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        return datasets.removeItem(p.projectId, request.params.name, request.params.id, p.name);
      },
    });

    r.post('/api/v1/datasets/:name/import', {
      schema: {
        operationId: 'importDataset',
        tags,
        summary: 'Import items from CSV (text/csv) or JSONL (application/x-ndjson), all or nothing',
        description:
          'CSV: a header row; `expected`/`__expected` → expected, `metadata.<key>` → metadata, `sourceTraceId` → source trace, other columns → variables. JSONL: one `{variables, expected?, metadata?, sourceTraceId?}` per line. One transaction: a bad line answers 422 naming it and imports nothing.',
        params: DatasetParams,
        consumes: ['text/csv', 'application/x-ndjson'],
        response: { 200: DatasetImportResult, ...problemResponses },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
      handler: async (request) => {
        const p = principalOf(request);
        const { items, format } = parseImport(request.headers['content-type'], request.body);
        return datasets.importItems(p.projectId, request.params.name, items, format, p.name);
      },
    });

    r.post('/api/v1/datasets/:name/import/preview', {
      schema: {
        operationId: 'previewDatasetImport',
        tags,
        summary: 'What an import of this CSV or JSONL would write (count, first 20 items); writes nothing',
        description:
          'Same body, parsing and validation as `POST /datasets/{name}/import`: a bad line answers 422 naming it.',
        params: DatasetParams,
        consumes: ['text/csv', 'application/x-ndjson'],
        response: { 200: DatasetImportPreview, ...problemResponses },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
      handler: async (request) => {
        const { items } = parseImport(request.headers['content-type'], request.body);
        return datasets.previewImport(principalOf(request).projectId, request.params.name, items);
      },
    });

    r.get('/api/v1/datasets/:name/export', {
      schema: {
        operationId: 'exportDataset',
        tags,
        summary: 'The current items as JSONL (default) or CSV, importable again',
        params: DatasetParams,
        querystring: DatasetExportQuery,
        response: { 200: z.string().describe('JSONL or CSV text'), ...problemResponses },
      },
      handler: async (request, reply) => {
        const { projectId } = principalOf(request);
        const { name } = request.params;
        const format = request.query.format;
        // Fetch the dataset first so a missing one is a 404 problem, not a broken stream.
        await datasets.get(projectId, name);
        const file = `${name.replaceAll('/', '_')}.${format}`;
        // A stream skips the response serializer: the schema only documents the text.
        return (reply as FastifyReply)
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file}"`)
          .send(Readable.from(datasets.exportItems(projectId, name, format)));
      },
    });
  });
}
