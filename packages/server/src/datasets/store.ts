import { AppError, type DatasetItem, JsonObject } from '@promptline/core';
import { z } from 'zod';
import { decodeJsonAs, encodeJson, toNumber } from '../db/codecs.ts';
import { type Db, type Dialect, onUniqueViolation } from '../db/database.ts';
import { type DatasetItemsTable, type DatasetsTable, datasetDb } from './migration.ts';

/** A dataset row, decoded. */
export interface StoredDataset {
  id: number;
  name: string;
  description: string;
  revision: number;
  nextItemId: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** An item revision to write. */
export interface NewItemRow {
  itemId: number;
  validFrom: number;
  variables: Record<string, unknown>;
  expected: unknown;
  metadata: Record<string, unknown>;
  sourceTraceId: string | null;
  createdAt: string;
}

/** The current revision of an item, with its row id (to close it). */
export interface StoredItem extends DatasetItem {
  rowId: number;
}

const DATASET_COLUMNS = [
  'id',
  'name',
  'description',
  'revision',
  'next_item_id',
  'created_by',
  'created_at',
  'updated_at',
] as const;

const ITEM_COLUMNS = [
  'id',
  'item_id',
  'valid_from',
  'variables',
  'expected',
  'metadata',
  'source_trace_id',
  'created_at',
] as const;

type DatasetRow = Omit<DatasetsTable, 'id' | 'project_id'> & { id: number };
type ItemRow = Omit<DatasetItemsTable, 'id' | 'dataset_id' | 'valid_to'> & { id: number };

function toDataset(row: DatasetRow): StoredDataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    revision: toNumber(row.revision),
    nextItemId: toNumber(row.next_item_id),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toItem(row: ItemRow): StoredItem {
  return {
    rowId: row.id,
    id: toNumber(row.item_id),
    revision: toNumber(row.valid_from),
    variables: decodeJsonAs(JsonObject, row.variables, 'dataset_items.variables'),
    expected:
      row.expected === null ? null : decodeJsonAs(z.unknown(), row.expected, 'dataset_items.expected'),
    metadata: decodeJsonAs(JsonObject, row.metadata, 'dataset_items.metadata'),
    sourceTraceId: row.source_trace_id,
    createdAt: row.created_at,
  };
}

/** Rows per multi-row insert: 9 parameters each stays far below both drivers' parameter limits. */
const INSERT_CHUNK = 500;

/** SQL of datasets and their revisioned items. */
export function createDatasetStore(dialect: Dialect) {
  return {
    async insert(
      db: Db,
      projectId: number,
      input: { name: string; description: string; actor: string; at: string },
    ): Promise<StoredDataset> {
      const row = await onUniqueViolation(
        () =>
          datasetDb(db)
            .insertInto('datasets')
            .values({
              project_id: projectId,
              name: input.name,
              description: input.description,
              revision: 0,
              next_item_id: 1,
              created_by: input.actor,
              created_at: input.at,
              updated_at: input.at,
            })
            .returning(DATASET_COLUMNS)
            .executeTakeFirstOrThrow(),
        () =>
          new AppError(
            'DATASET_EXISTS',
            `A dataset named "${input.name}" already exists. Add items to it with POST /api/v1/datasets/{name}/items, or pick another name.`,
            { errors: [{ path: 'name', message: 'already exists' }] },
          ),
      );
      return toDataset(row);
    },

    /** With `lock`, PostgreSQL holds the row to the end of the transaction: revisions never race. */
    async find(db: Db, projectId: number, name: string, lock = false): Promise<StoredDataset | undefined> {
      let q = datasetDb(db)
        .selectFrom('datasets')
        .select(DATASET_COLUMNS)
        .where('project_id', '=', projectId)
        .where('name', '=', name);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toDataset(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<(StoredDataset & { itemCount: number })[]> {
      const rows = await datasetDb(db)
        .selectFrom('datasets')
        .select(DATASET_COLUMNS)
        .select((eb) =>
          eb
            .selectFrom('dataset_items')
            .select(eb.fn.countAll().as('n'))
            .whereRef('dataset_items.dataset_id', '=', 'datasets.id')
            .where('dataset_items.valid_to', 'is', null)
            .as('item_count'),
        )
        .where('project_id', '=', projectId)
        .orderBy('name', 'asc')
        .execute();
      return rows.map((row) => ({ ...toDataset(row), itemCount: toNumber(row.item_count ?? 0) }));
    },

    async countCurrent(db: Db, datasetId: number): Promise<number> {
      const row = await datasetDb(db)
        .selectFrom('dataset_items')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('dataset_id', '=', datasetId)
        .where('valid_to', 'is', null)
        .executeTakeFirstOrThrow();
      return toNumber(row.n);
    },

    async setDescription(db: Db, id: number, description: string, at: string): Promise<StoredDataset> {
      const row = await datasetDb(db)
        .updateTable('datasets')
        .set({ description, updated_at: at })
        .where('id', '=', id)
        .returning(DATASET_COLUMNS)
        .executeTakeFirstOrThrow();
      return toDataset(row);
    },

    async setRevision(db: Db, id: number, revision: number, nextItemId: number, at: string): Promise<void> {
      await datasetDb(db)
        .updateTable('datasets')
        .set({ revision, next_item_id: nextItemId, updated_at: at })
        .where('id', '=', id)
        .execute();
    },

    async remove(db: Db, id: number): Promise<void> {
      await datasetDb(db).deleteFrom('dataset_items').where('dataset_id', '=', id).execute();
      await datasetDb(db).deleteFrom('datasets').where('id', '=', id).execute();
    },

    async insertItems(db: Db, datasetId: number, rows: NewItemRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await datasetDb(db)
          .insertInto('dataset_items')
          .values(
            rows.slice(i, i + INSERT_CHUNK).map((r) => ({
              dataset_id: datasetId,
              item_id: r.itemId,
              valid_from: r.validFrom,
              valid_to: null,
              variables: encodeJson(r.variables),
              expected: r.expected === undefined || r.expected === null ? null : encodeJson(r.expected),
              metadata: encodeJson(r.metadata),
              source_trace_id: r.sourceTraceId,
              created_at: r.createdAt,
            })),
          )
          .execute();
      }
    },

    async currentItem(db: Db, datasetId: number, itemId: number): Promise<StoredItem | undefined> {
      const row = await datasetDb(db)
        .selectFrom('dataset_items')
        .select(ITEM_COLUMNS)
        .where('dataset_id', '=', datasetId)
        .where('item_id', '=', itemId)
        .where('valid_to', 'is', null)
        .executeTakeFirst();
      return row ? toItem(row) : undefined;
    },

    /** Ends an item revision at `revision` (it is no longer part of the dataset from then on). */
    async closeItem(db: Db, rowId: number, revision: number): Promise<void> {
      await datasetDb(db)
        .updateTable('dataset_items')
        .set({ valid_to: revision })
        .where('id', '=', rowId)
        .execute();
    },

    /** Items as they were at dataset revision `revision`, in item order, after item id `after`. */
    async itemsAt(
      db: Db,
      datasetId: number,
      revision: number,
      after: number,
      limit: number,
    ): Promise<StoredItem[]> {
      const rows = await datasetDb(db)
        .selectFrom('dataset_items')
        .select(ITEM_COLUMNS)
        .where('dataset_id', '=', datasetId)
        .where('item_id', '>', after)
        .where('valid_from', '<=', revision)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', revision)]))
        .orderBy('item_id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toItem);
    },

    /**
     * Deletes every row (all revisions) of a project's items made from these traces: an end
     * user's erasure removes them from the history too. Answers how many distinct items.
     */
    async eraseFromTraces(db: Db, projectId: number, traceIds: readonly string[]): Promise<number> {
      if (traceIds.length === 0) return 0;
      let items = 0;
      for (let i = 0; i < traceIds.length; i += 500) {
        const chunk = traceIds.slice(i, i + 500);
        const owned = datasetDb(db).selectFrom('datasets').select('id').where('project_id', '=', projectId);
        const found = await datasetDb(db)
          .selectFrom('dataset_items')
          .select(['dataset_id', 'item_id'])
          .distinct()
          .where('dataset_id', 'in', owned)
          .where('source_trace_id', 'in', chunk)
          .execute();
        items += found.length;
        await datasetDb(db)
          .deleteFrom('dataset_items')
          .where('dataset_id', 'in', owned)
          .where('source_trace_id', 'in', chunk)
          .execute();
      }
      return items;
    },
  };
}

export type DatasetStore = ReturnType<typeof createDatasetStore>;

/** 404 for a dataset name. */
export function datasetNotFound(name: string): AppError {
  return new AppError(
    'DATASET_NOT_FOUND',
    `No dataset named "${name}". List datasets with GET /api/v1/datasets; names containing "/" must be URL-encoded in paths.`,
  );
}
