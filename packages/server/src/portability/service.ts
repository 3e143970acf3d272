/**
 * Backup, export and import of a project (issue 16): the way from the embedded SQLite to
 * PostgreSQL, and back.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppError,
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  type ExportHeader,
  type ImportResult,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import { type Database, type Db, isUniqueViolation } from '../db/database.ts';
import type { MetricsService } from '../metrics/service.ts';
import { importRows, readHeader } from './import.ts';
import { createPortabilityStore, openSqliteReader, type Row } from './store.ts';
import { EXPORTED_TABLES, type ExportedTable } from './tables.ts';

/** Rows read per query while exporting. */
const PAGE_ROWS = 1000;

export interface PortabilityDeps {
  database: Database;
  clock: Clock;
  audit: AuditService;
  metrics: Pick<MetricsService, 'watermark'>;
}

/** A consistent copy of the SQLite database, as a file the caller streams and then removes. */
export interface BackupFile {
  path: string;
  remove(): void;
}

export function createPortabilityService({ database, clock, audit, metrics }: PortabilityDeps) {
  const store = createPortabilityStore(database.dialect);

  /**
   * Runs `read` in one snapshot of the database: on PostgreSQL a repeatable-read transaction, on
   * SQLite a read transaction on a connection of its own, so the server's connection stays free.
   */
  async function inSnapshot<T>(read: (db: Db) => Promise<T>): Promise<T> {
    if (database.dialect === 'postgres') {
      return database.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(read);
    }
    const reader = openSqliteReader(await store.sqliteFile(database.db));
    try {
      return await reader.transaction().execute(read);
    } finally {
      await reader.destroy();
    }
  }

  async function exportTable(
    db: Db,
    spec: ExportedTable,
    projectId: number,
    write: (line: string) => Promise<void>,
  ): Promise<number> {
    const columns = await store.columns(db, spec.table);
    let after: unknown[] | null = null;
    let count = 0;
    for (;;) {
      const rows: Row[] = await store.page(db, spec, columns, projectId, after, PAGE_ROWS);
      for (const row of rows) {
        // The chain's hash covers the id it was written with: carry that one.
        if (spec.audit) row.chain_id = row.chain_id ?? row.id ?? null;
        await write(`${JSON.stringify({ t: spec.table, r: row })}\n`);
      }
      count += rows.length;
      const last = rows.at(-1);
      if (!last || rows.length < PAGE_ROWS) return count;
      after = spec.key.map((k) => last[k]);
    }
  }

  return {
    /**
     * Writes the project as an export file, line by line through `write` (which should wait while
     * its reader is slow): a header, every row of {@link EXPORTED_TABLES} in order, a trailer.
     */
    async exportProject(
      project: { id: number; name: string },
      write: (line: string) => Promise<void>,
    ): Promise<void> {
      await inSnapshot(async (db) => {
        const applied = await store.appliedMigrations(db);
        const header: ExportHeader = {
          format: EXPORT_FORMAT,
          version: EXPORT_FORMAT_VERSION,
          migration: applied.at(-1) ?? '',
          exportedAt: isoNow(clock),
          source: {
            dialect: database.dialect,
            project: project.name,
            auditHead: await audit.head(db, project.id),
            rolledUntil: await metrics.watermark(db, 'none'),
          },
        };
        await write(`${JSON.stringify(header)}\n`);
        const rows: Record<string, number> = {};
        for (const spec of EXPORTED_TABLES) rows[spec.table] = await exportTable(db, spec, project.id, write);
        await write(`${JSON.stringify({ end: true, rows })}\n`);
      });
    },

    /**
     * Loads an export file into the project in one transaction: all of it or, on any error,
     * nothing. The project's own audit events (key creation at first start…) are appended after
     * the imported chain, then a `project.import` event; the chain is verified before commit.
     *
     * @throws AppError IMPORT_TARGET_NOT_EMPTY when the project has prompts, datasets, runs or traces.
     * @throws AppError IMPORT_FORMAT_UNSUPPORTED / IMPORT_FILE_INVALID for a file it cannot take.
     */
    async importProject(
      projectId: number,
      actor: string,
      lines: AsyncIterable<string>,
    ): Promise<ImportResult> {
      const iterator = lines[Symbol.asyncIterator]();
      const first = await iterator.next();
      const header = readHeader(
        first.done ? undefined : first.value,
        await store.appliedMigrations(database.db),
      );
      try {
        return await database.db.transaction().execute(async (trx) => {
          // Taking the chain out also takes its lock: a second import of the project waits here.
          const local = await audit.detach(trx, projectId);
          const owned = await store.ownedCounts(trx, projectId);
          if (Object.values(owned).some((n) => n > 0)) {
            const what = Object.entries(owned)
              .filter(([, n]) => n > 0)
              .map(([table, n]) => `${n} ${table.replace('_', ' ')}`)
              .join(', ');
            throw new AppError(
              'IMPORT_TARGET_NOT_EMPTY',
              `This project already holds ${what}; an import only goes into a project without prompts, datasets, eval runs or traces. Import into a fresh instance (or another project's key).`,
              { details: owned },
            );
          }
          const targetRolledUntil = await metrics.watermark(trx, 'update');
          const rows = await importRows({ trx, store, projectId, header, targetRolledUntil }, iterator);
          // Rows arrived under new ids: seal them as imported (the chain's earlier seals name the
          // source instance's ids), so `audit verify` keeps covering them row by row.
          await audit.resealAll(trx, projectId, actor, 'rows imported under new ids');
          await audit.reattach(trx, projectId, local);
          await audit.append(trx, {
            projectId,
            actor,
            action: 'project.import',
            targetType: 'project',
            target: header.source.project,
            data: {
              format: header.version,
              migration: header.migration,
              exportedAt: header.exportedAt,
              source: header.source,
              rows,
              reattachedEvents: local.length,
            },
          });
          const verification = await audit.verify(projectId, trx);
          if (!verification.ok) {
            throw new AppError(
              'IMPORT_FILE_INVALID',
              `The imported audit chain does not verify (${verification.reason}): the file was altered. Nothing was imported.`,
            );
          }
          return {
            rows,
            audit: { checked: verification.checked, head: await audit.head(trx, projectId) },
            reattachedEvents: local.length,
          };
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError(
            'IMPORT_FILE_INVALID',
            'The file holds the same row twice (a unique key repeats). Nothing was imported.',
            { cause: error },
          );
        }
        throw error;
      }
    },

    /**
     * A consistent copy of the running SQLite database (`VACUUM INTO` on a connection of its own,
     * so requests go on meanwhile), in a temporary file.
     *
     * @throws AppError BACKUP_NOT_SUPPORTED on PostgreSQL (use pg_dump).
     */
    async backup(): Promise<BackupFile> {
      if (database.dialect === 'postgres') {
        throw new AppError(
          'BACKUP_NOT_SUPPORTED',
          'This server runs on PostgreSQL: back it up with pg_dump (`pg_dump --format=custom --file=promptline.dump "$PROMPTLINE_DATABASE_URL"`) and restore with pg_restore; see docs/operations.md. `promptline export` moves one project between instances.',
        );
      }
      const path = join(tmpdir(), `promptline-backup-${randomBytes(8).toString('hex')}.db`);
      const remove = () => rmSync(path, { force: true });
      const reader = openSqliteReader(await store.sqliteFile(database.db));
      try {
        await store.vacuumInto(reader, path);
      } catch (error) {
        remove();
        throw error;
      } finally {
        await reader.destroy();
      }
      return { path, remove };
    },
  };
}

export type PortabilityService = ReturnType<typeof createPortabilityService>;
