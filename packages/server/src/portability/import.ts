/**
 * Loading an export file into a project, inside one transaction the caller opened: rows are read
 * line by line and written in batches, surrogate ids are assigned by this database and the ids
 * other rows refer to are remapped. Nothing is kept in memory but the id maps of the tables other
 * rows refer to (prompts, environments, history entries, datasets, runs) and one batch.
 */
import {
  AppError,
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  ExportHeader,
  ExportRecord,
  ExportTrailer,
} from '@promptline/core';
import { type Db, isUniqueViolation } from '../db/database.ts';
import { placeImportedRollup } from '../metrics/import-placement.ts';
import { SCORE_TABLE, SPAN_TABLE } from '../metrics/migration.ts';
import { type Column, type PortabilityStore, type Row, rowsPerInsert } from './store.ts';
import { EXPORTED_TABLES, type ExportedTable, REFERENCED_TABLES } from './tables.ts';

const invalid = (message: string, cause?: unknown) =>
  new AppError('IMPORT_FILE_INVALID', `${message} Nothing was imported.`, cause ? { cause } : {});

function parseLine(line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch (cause) {
    throw invalid(`Line ${lineNumber} of the file is not JSON: the file is corrupt.`, cause);
  }
}

/**
 * Reads and checks the header line.
 *
 * @throws AppError IMPORT_FORMAT_UNSUPPORTED for a newer format version or an unknown schema.
 * @throws AppError IMPORT_FILE_INVALID when the first line is not a Promptline export header.
 */
export function readHeader(line: string | undefined, applied: readonly string[]): ExportHeader {
  if (line === undefined) throw invalid('The file is empty.');
  const value = parseLine(line, 1) as { format?: unknown; version?: unknown };
  if (value?.format !== EXPORT_FORMAT) {
    throw invalid(`The file does not start with a "${EXPORT_FORMAT}" header: it is not a Promptline export.`);
  }
  if (typeof value.version === 'number' && value.version > EXPORT_FORMAT_VERSION) {
    throw new AppError(
      'IMPORT_FORMAT_UNSUPPORTED',
      `The file is export format version ${value.version}; this server reads up to version ${EXPORT_FORMAT_VERSION}. Upgrade this server to the release that exported it (or newer) and import again.`,
      { details: { version: value.version, supported: EXPORT_FORMAT_VERSION } },
    );
  }
  const parsed = ExportHeader.safeParse(value);
  if (!parsed.success) throw invalid('The header line of the file is malformed.');
  if (!applied.includes(parsed.data.migration)) {
    throw new AppError(
      'IMPORT_FORMAT_UNSUPPORTED',
      `The file was exported by a newer Promptline (database schema "${parsed.data.migration}"; this server's newest is "${applied.at(-1) ?? 'none'}"). Upgrade this server and import again.`,
      { details: { migration: parsed.data.migration } },
    );
  }
  return parsed.data;
}

interface ImportContext {
  trx: Db;
  store: PortabilityStore;
  projectId: number;
  header: ExportHeader;
  /** The target's hour watermark, locked for the transaction. */
  targetRolledUntil: number;
}

/** Writes the rows of the lines after the header; answers the rows read per table. */
export async function importRows(
  ctx: ImportContext,
  lines: AsyncIterator<string>,
): Promise<Record<string, number>> {
  const { trx, store, projectId } = ctx;
  const maps = new Map<string, Map<number, number>>();
  const columnsOf = new Map<string, Column[]>();
  const received: Record<string, number> = {};
  /** Rows waiting to be written, per table they go to (a rollup row may go to another one). */
  const pending = new Map<string, { spec: ExportedTable; names: string[]; rows: Row[] }>();
  let current = -1;
  let lineNumber = 1;

  const columns = async (table: string) => {
    let known = columnsOf.get(table);
    if (!known) {
      known = await store.columns(trx, table);
      columnsOf.set(table, known);
    }
    return known;
  };

  const flush = async (table: string) => {
    const batch = pending.get(table);
    if (!batch || batch.rows.length === 0) return;
    if (batch.spec.rollup)
      await store.addMany(trx, table, batch.names, batch.spec.rollup.keyColumns, batch.rows);
    else await store.insertMany(trx, table, batch.names, batch.rows);
    batch.rows = [];
  };
  const flushAll = async () => {
    for (const table of pending.keys()) await flush(table);
  };
  const queue = async (spec: ExportedTable, table: string, row: Row) => {
    let batch = pending.get(table);
    const names = Object.keys(row);
    if (batch && batch.names.join() !== names.join()) {
      await flush(table);
      batch = undefined;
    }
    if (!batch) {
      batch = { spec, names, rows: [] };
      pending.set(table, batch);
    }
    batch.rows.push(row);
    if (batch.rows.length >= rowsPerInsert(names.length)) await flush(table);
  };

  const mapped = (table: string, oldId: number, newId: number) => {
    let map = maps.get(table);
    if (!map) {
      map = new Map();
      maps.set(table, map);
    }
    map.set(oldId, newId);
  };

  /** The row as this database stores it for the project: project, references and chain id. */
  const rewrite = async (spec: ExportedTable, source: Record<string, unknown>): Promise<Row> => {
    const known = await columns(spec.table);
    const row: Row = {};
    for (const [name, value] of Object.entries(source)) {
      if (!known.some((c) => c.name === name)) {
        throw invalid(
          `Line ${lineNumber}: table "${spec.table}" has no column "${name}" on this server. Was the file edited?`,
        );
      }
      if (typeof value === 'string' && value.includes('\u0000')) {
        throw invalid(
          `Line ${lineNumber}: a value of "${spec.table}.${name}" holds a NUL character, which Promptline never stores: the file was altered.`,
        );
      }
      row[name] = value as Row[string];
    }
    if ('project_id' in row) row.project_id = projectId;
    for (const [column, table] of Object.entries(spec.refs ?? {})) {
      const old = row[column];
      if (old === null || old === undefined) continue;
      const id = maps.get(table)?.get(Number(old));
      if (id === undefined) {
        throw invalid(
          `Line ${lineNumber}: a row of "${spec.table}" refers to ${table} ${old}, which comes nowhere before it in the file.`,
        );
      }
      row[column] = id;
    }
    if (spec.audit) row.chain_id = row.chain_id ?? row.id ?? null;
    if (spec.generatedId) delete row.id;
    return row;
  };

  const write = async (spec: ExportedTable, source: Record<string, unknown>) => {
    const oldId = Number(source.id);
    const row = await rewrite(spec, source);
    if (spec.mergeOn) {
      const existing = await store.findMerged(
        trx,
        spec.table,
        projectId,
        spec.mergeOn,
        row,
        !!spec.generatedId,
      );
      if (existing !== undefined) {
        await store.updateMerged(trx, spec.table, projectId, existing, row);
        if (existing !== true) mapped(spec.table, oldId, existing);
        return;
      }
    }
    if (spec.rollup) {
      const placements = placeImportedRollup(spec.rollup.grain, Number(row.bucket), {
        source: ctx.header.source.rolledUntil,
        target: ctx.targetRolledUntil,
      });
      const scores = spec.table === SCORE_TABLE[spec.rollup.grain];
      for (const place of placements) {
        const table = scores ? SCORE_TABLE[place.grain] : SPAN_TABLE[place.grain];
        await queue(spec, table, { ...row, bucket: place.bucket });
      }
      return;
    }
    if (spec.generatedId && REFERENCED_TABLES.has(spec.table)) {
      mapped(spec.table, oldId, await store.insertReturningId(trx, spec.table, row));
      return;
    }
    await queue(spec, spec.table, row);
  };

  for (;;) {
    const next = await lines.next();
    if (next.done) {
      throw invalid(
        `The file ends after line ${lineNumber} without its closing line: it was cut off (an interrupted export or copy). Export it again.`,
      );
    }
    lineNumber++;
    if (next.value.trim() === '') continue;
    const value = parseLine(next.value, lineNumber) as { end?: unknown };
    if (value?.end !== undefined) {
      const trailer = ExportTrailer.safeParse(value);
      if (!trailer.success) throw invalid(`Line ${lineNumber}: the closing line is malformed.`);
      for (const [table, count] of Object.entries(trailer.data.rows)) {
        if ((received[table] ?? 0) !== count) {
          throw invalid(
            `The file says it holds ${count} rows of "${table}" but ${received[table] ?? 0} came: rows are missing or were added.`,
          );
        }
      }
      for (const [table, count] of Object.entries(received)) {
        if (trailer.data.rows[table] === undefined && count > 0) {
          throw invalid(`The closing line does not count the rows of "${table}": the file was altered.`);
        }
      }
      const after = await lines.next();
      if (!after.done && after.value.trim() !== '') {
        throw invalid(`Line ${lineNumber + 1} comes after the closing line: the file was altered.`);
      }
      await flushAll();
      return received;
    }
    const record = ExportRecord.safeParse(value);
    if (!record.success) throw invalid(`Line ${lineNumber} is neither a row nor the closing line.`);
    const index = EXPORTED_TABLES.findIndex((t) => t.table === record.data.t);
    const spec = EXPORTED_TABLES[index];
    if (!spec) {
      throw invalid(`Line ${lineNumber}: "${record.data.t}" is not a table this server imports.`);
    }
    if (index < current) {
      throw invalid(`Line ${lineNumber}: rows of "${spec.table}" come after rows of a later table.`);
    }
    if (index > current) {
      // Every row of the tables before is written before a row that may refer to them.
      await flushAll();
      current = index;
    }
    received[spec.table] = (received[spec.table] ?? 0) + 1;
    try {
      await write(spec, record.data.r);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw invalid(`Line ${lineNumber}: a row of "${spec.table}" is there twice.`, error);
      }
      throw error;
    }
  }
}
