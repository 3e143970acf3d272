import type { Db } from '../db/database.ts';

/** SQL of projects (the tenant). */
export function createProjectStore() {
  return {
    async findByName(db: Db, name: string): Promise<{ id: number; name: string } | undefined> {
      return db.selectFrom('projects').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
    },
    async nameOf(db: Db, id: number): Promise<string | undefined> {
      return (await db.selectFrom('projects').select('name').where('id', '=', id).executeTakeFirst())?.name;
    },
    /** Every project's id (few: projects are tenants). */
    async listIds(db: Db): Promise<number[]> {
      return (await db.selectFrom('projects').select('id').orderBy('id').execute()).map((r) => r.id);
    },
    async findById(db: Db, id: number): Promise<{ id: number; name: string; createdAt: string } | undefined> {
      const row = await db
        .selectFrom('projects')
        .select(['id', 'name', 'created_at'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? { id: row.id, name: row.name, createdAt: row.created_at } : undefined;
    },
    /** Every project (few: projects are tenants), by name. */
    async listAll(db: Db): Promise<{ id: number; name: string; createdAt: string }[]> {
      const rows = await db
        .selectFrom('projects')
        .select(['id', 'name', 'created_at'])
        .orderBy('name')
        .execute();
      return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
    },
    async insert(db: Db, name: string, createdAt: string): Promise<number> {
      const row = await db
        .insertInto('projects')
        .values({ name, created_at: createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
  };
}
