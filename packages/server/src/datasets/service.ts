import {
  type AddDatasetItemsRequest,
  AppError,
  type CreateDatasetRequest,
  type Dataset,
  type DatasetImportPreview,
  type DatasetItem,
  type DatasetItemInput,
  type DatasetItemPage,
  type DatasetItemsWritten,
  type UpdateDatasetItemRequest,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { createCsvLayout, itemToJsonl, type ParsedItem } from './formats.ts';
import {
  createDatasetStore,
  datasetNotFound,
  type NewItemRow,
  type StoredDataset,
  type StoredItem,
} from './store.ts';

/** Items an import preview shows. */
const PREVIEW_ITEMS = 20;

function publicDataset(d: StoredDataset, itemCount: number): Dataset {
  return {
    name: d.name,
    description: d.description,
    revision: d.revision,
    itemCount,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function publicItem({ rowId: _rowId, ...item }: StoredItem): DatasetItem {
  return item;
}

function itemNotFound(dataset: string, id: number): AppError {
  return new AppError(
    'NOT_FOUND',
    `Dataset "${dataset}" has no item ${id} (it may have been deleted). List its items with GET /api/v1/datasets/{name}/items.`,
  );
}

function itemsOf(request: AddDatasetItemsRequest): DatasetItemInput[] {
  if (Array.isArray(request)) return request;
  return 'items' in request ? request.items : [request];
}

/** Batch of imported rows written at once: bounded memory whatever the file size. */
const IMPORT_BATCH = 500;

/**
 * Datasets and their revisioned items. Every change to the items is one new dataset revision; an
 * edited or deleted item keeps its old revision row, so `itemsAt(revision)` answers the dataset as
 * it was. Every write appends an audit event in its transaction.
 */
export function createDatasetService({
  database,
  clock,
  audit,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
}) {
  const store = createDatasetStore(database.dialect);

  async function require(db: Db, projectId: number, name: string, lock = false): Promise<StoredDataset> {
    const dataset = await store.find(db, projectId, name, lock);
    if (!dataset) throw datasetNotFound(name);
    return dataset;
  }

  function rowsFor(inputs: DatasetItemInput[], firstId: number, revision: number, at: string): NewItemRow[] {
    return inputs.map((input, i) => ({
      itemId: firstId + i,
      validFrom: revision,
      variables: input.variables,
      expected: input.expected ?? null,
      metadata: input.metadata ?? {},
      sourceTraceId: input.sourceTraceId ?? null,
      createdAt: at,
    }));
  }

  /** Writes new items as one new revision of a locked dataset. */
  async function appendItems(
    trx: Db,
    dataset: StoredDataset,
    inputs: DatasetItemInput[],
    at: string,
  ): Promise<DatasetItemsWritten> {
    const revision = dataset.revision + 1;
    const rows = rowsFor(inputs, dataset.nextItemId, revision, at);
    await store.insertItems(trx, dataset.id, rows);
    await store.setRevision(trx, dataset.id, revision, dataset.nextItemId + inputs.length, at);
    return {
      revision,
      items: rows.map((r) => ({
        id: r.itemId,
        revision,
        variables: r.variables,
        expected: r.expected ?? null,
        metadata: r.metadata,
        sourceTraceId: r.sourceTraceId,
        createdAt: at,
      })),
    };
  }

  return {
    async create(projectId: number, request: CreateDatasetRequest, actor: string): Promise<Dataset> {
      return database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        let dataset = await store.insert(trx, projectId, {
          name: request.name,
          description: request.description ?? '',
          actor,
          at,
        });
        const items = request.items ?? [];
        if (items.length > 0) {
          const written = await appendItems(trx, dataset, items, at);
          dataset = { ...dataset, revision: written.revision, nextItemId: dataset.nextItemId + items.length };
        }
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.create',
          targetType: 'dataset',
          target: dataset.name,
          data: {
            after: { description: dataset.description, revision: dataset.revision, items: items.length },
          },
        });
        return publicDataset(dataset, items.length);
      });
    },

    async list(projectId: number): Promise<Dataset[]> {
      return (await store.list(database.db, projectId)).map((d) => publicDataset(d, d.itemCount));
    },

    async get(projectId: number, name: string): Promise<Dataset> {
      const dataset = await require(database.db, projectId, name);
      return publicDataset(dataset, await store.countCurrent(database.db, dataset.id));
    },

    /** The dataset's row (id and current revision), for eval runs. */
    async find(db: Db, projectId: number, name: string): Promise<StoredDataset> {
      return require(db, projectId, name);
    },

    async update(projectId: number, name: string, description: string, actor: string): Promise<Dataset> {
      return database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const next = await store.setDescription(trx, dataset.id, description, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.update',
          targetType: 'dataset',
          target: name,
          data: { before: { description: dataset.description }, after: { description } },
        });
        return publicDataset(next, await store.countCurrent(trx, dataset.id));
      });
    },

    async remove(projectId: number, name: string, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const count = await store.countCurrent(trx, dataset.id);
        await store.remove(trx, dataset.id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.delete',
          targetType: 'dataset',
          target: name,
          data: { before: { revision: dataset.revision, items: count } },
        });
      });
    },

    /**
     * Adds items to a dataset, creating it first when it does not exist, in one transaction (made
     * for production traces turned into cases: nothing is left half done).
     *
     * @throws AppError DATASET_NOT_FOUND when it does not exist and `create` is false
     */
    async addItemsCreating(
      projectId: number,
      name: string,
      inputs: DatasetItemInput[],
      options: { create: boolean; description?: string | undefined },
      actor: string,
    ): Promise<DatasetItemsWritten & { created: boolean }> {
      return database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        let dataset = await store.find(trx, projectId, name, true);
        const created = dataset === undefined;
        if (!dataset) {
          if (!options.create) throw datasetNotFound(name);
          dataset = await store.insert(trx, projectId, {
            name,
            description: options.description ?? '',
            actor,
            at,
          });
          await audit.append(trx, {
            projectId,
            actor,
            action: 'dataset.create',
            targetType: 'dataset',
            target: name,
            data: { after: { description: dataset.description, revision: 0, items: 0 } },
          });
        }
        const written = await appendItems(trx, dataset, inputs, at);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.items.add',
          targetType: 'dataset',
          target: name,
          data: {
            after: { revision: written.revision, items: written.items.map((i) => i.id) },
            // Ids only: the traces' content stays out of the audit log.
            sourceTraceIds: inputs.map((i) => i.sourceTraceId ?? null),
          },
        });
        return { ...written, created };
      });
    },

    /** Erasure of an end user: removes the items made from these traces, in the caller's transaction. */
    async eraseItemsFromTraces(trx: Db, projectId: number, traceIds: readonly string[]): Promise<number> {
      return store.eraseFromTraces(trx, projectId, traceIds);
    },

    async addItems(
      projectId: number,
      name: string,
      request: AddDatasetItemsRequest,
      actor: string,
    ): Promise<DatasetItemsWritten> {
      const inputs = itemsOf(request);
      return database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const written = await appendItems(trx, dataset, inputs, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.items.add',
          targetType: 'dataset',
          target: name,
          data: { after: { revision: written.revision, items: written.items.map((i) => i.id) } },
        });
        return written;
      });
    },

    async updateItem(
      projectId: number,
      name: string,
      id: number,
      patch: UpdateDatasetItemRequest,
      actor: string,
    ): Promise<DatasetItem> {
      return database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const current = await store.currentItem(trx, dataset.id, id);
        if (!current) throw itemNotFound(name, id);
        const at = isoNow(clock);
        const revision = dataset.revision + 1;
        const next: NewItemRow = {
          itemId: id,
          validFrom: revision,
          variables: patch.variables ?? current.variables,
          expected: 'expected' in patch ? (patch.expected ?? null) : current.expected,
          metadata: patch.metadata ?? current.metadata,
          sourceTraceId: patch.sourceTraceId === undefined ? current.sourceTraceId : patch.sourceTraceId,
          createdAt: at,
        };
        await store.closeItem(trx, current.rowId, revision);
        await store.insertItems(trx, dataset.id, [next]);
        await store.setRevision(trx, dataset.id, revision, dataset.nextItemId, at);
        const item: DatasetItem = {
          id,
          revision,
          variables: next.variables,
          expected: next.expected ?? null,
          metadata: next.metadata,
          sourceTraceId: next.sourceTraceId,
          createdAt: at,
        };
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.item.update',
          targetType: 'dataset',
          target: name,
          // Which fields changed, not their content: items made from production traces hold end-user
          // text, and the append-only audit chain could not forget it on an erasure.
          data: {
            item: id,
            revision,
            changed: (['variables', 'expected', 'metadata', 'sourceTraceId'] as const).filter(
              (f) => f in patch,
            ),
            sourceTraceId: next.sourceTraceId,
          },
        });
        return item;
      });
    },

    async removeItem(
      projectId: number,
      name: string,
      id: number,
      actor: string,
    ): Promise<{ revision: number }> {
      return database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const current = await store.currentItem(trx, dataset.id, id);
        if (!current) throw itemNotFound(name, id);
        const revision = dataset.revision + 1;
        await store.closeItem(trx, current.rowId, revision);
        await store.setRevision(trx, dataset.id, revision, dataset.nextItemId, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.item.delete',
          targetType: 'dataset',
          target: name,
          data: { item: id, revision, sourceTraceId: current.sourceTraceId },
        });
        return { revision };
      });
    },

    /**
     * Items at `revision` (default the current one), a page at a time.
     *
     * @throws AppError VALIDATION_FAILED when the revision does not exist yet.
     */
    async listItems(
      projectId: number,
      name: string,
      query: { revision?: number | undefined; limit: number; cursor?: string | undefined },
    ): Promise<DatasetItemPage> {
      const dataset = await require(database.db, projectId, name);
      const revision = query.revision ?? dataset.revision;
      if (revision > dataset.revision) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Dataset "${name}" is at revision ${dataset.revision}; revision ${revision} does not exist yet.`,
          { errors: [{ path: 'querystring.revision', message: `at most ${dataset.revision}` }] },
        );
      }
      const items = await store.itemsAt(
        database.db,
        dataset.id,
        revision,
        cursorId(query.cursor) ?? 0,
        query.limit,
      );
      return { revision, items: items.map(publicItem), nextCursor: nextCursor(items, query.limit) };
    },

    /**
     * Every item at `revision` in item order, streamed page by page (eval runs and exports).
     */
    async *iterateItems(db: Db, datasetId: number, revision: number): AsyncGenerator<DatasetItem> {
      let after = 0;
      for (;;) {
        const page = await store.itemsAt(db, datasetId, revision, after, 1000);
        for (const item of page) yield publicItem(item);
        const last = page.at(-1);
        if (!last || page.length < 1000) return;
        after = last.id;
      }
    },

    /**
     * Imports parsed items as one new revision, in one transaction: a bad line throws and leaves
     * the dataset exactly as it was.
     */
    async importItems(
      projectId: number,
      name: string,
      items: Iterable<ParsedItem> | AsyncIterable<ParsedItem>,
      format: string,
      actor: string,
    ): Promise<{ revision: number; imported: number }> {
      return database.db.transaction().execute(async (trx) => {
        const dataset = await require(trx, projectId, name, true);
        const at = isoNow(clock);
        const revision = dataset.revision + 1;
        let nextId = dataset.nextItemId;
        let batch: DatasetItemInput[] = [];
        let imported = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          await store.insertItems(trx, dataset.id, rowsFor(batch, nextId, revision, at));
          nextId += batch.length;
          imported += batch.length;
          batch = [];
        };
        for await (const { item } of items) {
          batch.push(item);
          if (batch.length >= IMPORT_BATCH) await flush();
        }
        await flush();
        if (imported === 0) {
          throw new AppError(
            'VALIDATION_FAILED',
            'The file holds no items: nothing was imported. Send at least one row.',
          );
        }
        await store.setRevision(trx, dataset.id, revision, nextId, at);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'dataset.import',
          targetType: 'dataset',
          target: name,
          data: { after: { revision, imported, format } },
        });
        return { revision, imported };
      });
    },

    /**
     * What importing `items` would write: their count, the first 20 and the variable names; the
     * file is parsed and validated exactly as by `importItems`, and nothing is written.
     *
     * @throws AppError DATASET_NOT_FOUND, VALIDATION_FAILED (a bad line, or no items at all).
     */
    async previewImport(
      projectId: number,
      name: string,
      items: Iterable<ParsedItem> | AsyncIterable<ParsedItem>,
    ): Promise<DatasetImportPreview> {
      await require(database.db, projectId, name);
      const first: DatasetItemInput[] = [];
      const variables = new Set<string>();
      let count = 0;
      for await (const { item } of items) {
        count++;
        if (first.length < PREVIEW_ITEMS) first.push(item);
        for (const key of Object.keys(item.variables)) variables.add(key);
      }
      if (count === 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          'The file holds no items: there is nothing to import. Add at least one row.',
        );
      }
      return { count, items: first, variables: [...variables] };
    },

    /** The current items as JSONL or CSV text chunks (importable again). */
    async *exportItems(projectId: number, name: string, format: 'jsonl' | 'csv'): AsyncGenerator<string> {
      const dataset = await require(database.db, projectId, name);
      if (format === 'jsonl') {
        for await (const item of this.iterateItems(database.db, dataset.id, dataset.revision))
          yield itemToJsonl(item);
        return;
      }
      // Two passes: the columns (and which must be JSON) are known only once every item was seen.
      const layout = createCsvLayout();
      for await (const item of this.iterateItems(database.db, dataset.id, dataset.revision)) layout.add(item);
      yield layout.header();
      for await (const item of this.iterateItems(database.db, dataset.id, dataset.revision)) {
        yield layout.row(item);
      }
    },
  };
}

export type DatasetService = ReturnType<typeof createDatasetService>;
