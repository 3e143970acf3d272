/**
 * The file `promptline export` writes and `promptline import` reads: NDJSON (optionally gzipped),
 * one header line, then one line per stored row in dependency order, then one trailer line. A file
 * without its trailer was cut off and is refused whole.
 *
 * @example
 * {"format":"promptline-export","version":1,"migration":"0145_audit_chain_id",…}
 * {"t":"prompts","r":{"id":1,"name":"support/triage",…}}
 * {"end":true,"rows":{"prompts":1,…}}
 */
import { z } from 'zod';

/** Value of the header's `format`. */
export const EXPORT_FORMAT = 'promptline-export';
/** The format version this code writes and the newest it reads. */
export const EXPORT_FORMAT_VERSION = 1;

/** First line of an export file. */
export const ExportHeader = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int().positive(),
  /** The newest database migration of the exporting server: an importer must know it. */
  migration: z.string(),
  exportedAt: z.string(),
  source: z.object({
    dialect: z.enum(['sqlite', 'postgres']),
    project: z.string(),
    /** Hash of the project's newest audit event when exported (null: no events). */
    auditHead: z.string().nullable(),
    /** Epoch minute before which the source's metric rollups were summed into hours. */
    rolledUntil: z.number().int(),
  }),
});
export type ExportHeader = z.infer<typeof ExportHeader>;

/** One stored row: `t` the table, `r` its columns as stored (JSON columns as their text). */
export const ExportRecord = z.object({
  t: z.string(),
  r: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

/** Last line: how many rows of each table came before it. */
export const ExportTrailer = z.object({
  end: z.literal(true),
  rows: z.record(z.string(), z.number().int().nonnegative()),
});
export type ExportTrailer = z.infer<typeof ExportTrailer>;

/** What `POST /api/v1/import` answers. */
export const ImportResult = z.object({
  /** Rows written per table. */
  rows: z.record(z.string(), z.number().int().nonnegative()),
  /** The imported project's audit chain after the import, verified in the import's transaction. */
  audit: z.object({ checked: z.number().int(), head: z.string().nullable() }),
  /** Events this instance had written for the project before the import, appended after the imported chain. */
  reattachedEvents: z.number().int().nonnegative(),
});
export type ImportResult = z.infer<typeof ImportResult>;
