import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../test-helpers/database.ts';
import { migrate } from './migrations.ts';

describe('PostgreSQL introspection sees the current schema only', () => {
  let database: TestDatabase;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  const other = `t_${process.env.PROMPTLINE_TEST_RUN ?? 'adhoc'}_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create schema ${other}; create table ${other}.stranger (id serial primary key)`);
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.close();
    await admin.end();
  });

  it("lists this schema's tables with their columns, never another schema's", async () => {
    const tables = await database.db.introspection.getTables();
    const names = tables.map((t) => t.name);
    expect(names).toContain('prompts');
    expect(names).not.toContain('stranger');
    expect(names.some((n) => n.startsWith('kysely_'))).toBe(false);
    const schema = tables[0]?.schema;
    expect(tables.every((t) => t.schema === schema)).toBe(true);
    const withInternal = await database.db.introspection.getTables({ withInternalKyselyTables: true });
    expect(withInternal.map((t) => t.name)).toContain('kysely_migration');
    const prompts = tables.find((t) => t.name === 'prompts');
    const id = prompts?.columns.find((c) => c.name === 'id');
    expect(id).toMatchObject({ isNullable: false, hasDefaultValue: true, isAutoIncrementing: true });
    expect(prompts?.columns.find((c) => c.name === 'name')?.dataType).toMatch(/text|character/);
  });

  it('migrates while other schemas of the database are created and dropped (Kysely alone failed)', async () => {
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `${other}_c${i}`;
        await admin.query(`create schema ${name}; create table ${name}.t (id serial primary key, v text)`);
        await admin.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      for (let round = 0; round < 40; round++) expect(await migrate(database)).toEqual([]);
    } finally {
      stop = true;
      await churn;
      await admin.query(`drop schema if exists ${other} cascade`);
    }
  });
});
