/**
 * The datasets' tables (revisioned items), owned by this feature: the first half of the shipped
 * migration `0010_datasets_and_evals`, unchanged, so existing databases see the same schema.
 */
import type { Generated, Kysely, Migration } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface DatasetsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  /** Bumped by every change to the items; 0 for a new, empty dataset. */
  revision: number;
  /** Next per-dataset item id (ids are never reused, so a deleted item's id stays unambiguous). */
  next_item_id: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/**
 * One revision of one item. The item as of dataset revision N is the row with
 * `valid_from <= N < coalesce(valid_to, ∞)`; an edit closes the current row and opens a new one.
 */
export interface DatasetItemsTable {
  id: Generated<number>;
  dataset_id: number;
  item_id: number;
  valid_from: number;
  valid_to: number | null;
  variables: string;
  expected: string | null;
  metadata: string;
  source_trace_id: string | null;
  created_at: string;
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type DatasetTables = { datasets: DatasetsTable; dataset_items: DatasetItemsTable };

/** The database handle with this feature's tables typed. */
export const datasetDb = (db: Db) => db.withTables<DatasetTables>();

/** Datasets and their items. */
export function datasetTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('datasets'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('revision', 'integer', notNull)
        .addColumn('next_item_id', 'integer', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addUniqueConstraint('datasets_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('dataset_items'), dialect)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('item_id', 'integer', notNull)
        .addColumn('valid_from', 'integer', notNull)
        .addColumn('valid_to', 'integer')
        .addColumn('variables', 'text', notNull)
        .addColumn('expected', 'text')
        .addColumn('metadata', 'text', notNull)
        .addColumn('source_trace_id', 'text')
        .addColumn('created_at', 'text', notNull)
        .execute();
      // Current items and "items at revision N" both scan one dataset in item order.
      await db.schema
        .createIndex('dataset_items_lookup')
        .on('dataset_items')
        .columns(['dataset_id', 'item_id', 'valid_from'])
        .execute();
    },
  };
}
