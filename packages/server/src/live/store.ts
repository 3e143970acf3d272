import type pg from 'pg';

/** The channel the feed LISTENs on; the triggers of migration `0021_change_notify` NOTIFY on it too. */
export const CHANGE_CHANNEL = 'promptline_changes';

/**
 * SQL of the PostgreSQL change feed. It speaks to `pg` clients directly, not through Kysely: a
 * LISTEN needs one dedicated connection that receives notifications.
 */
export function createChangeFeedStore() {
  return {
    async currentSchema(client: pg.ClientBase): Promise<string> {
      const result = await client.query<{ schema: string }>('select current_schema() as schema');
      return result.rows[0]?.schema ?? 'public';
    },

    async listen(client: pg.ClientBase): Promise<void> {
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    },

    async unlisten(client: pg.ClientBase): Promise<void> {
      await client.query(`UNLISTEN ${CHANGE_CHANNEL}`);
    },

    async notify(pool: pg.Pool, payload: string): Promise<void> {
      await pool.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
    },
  };
}
