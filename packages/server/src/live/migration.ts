import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../db/database.ts';

/**
 * PostgreSQL only: triggers that NOTIFY `promptline_changes` (see postgres-change-feed.ts) in the
 * same transaction as every change of what an environment serves, so other instances hear of a
 * change exactly when it commits. The payload names the schema: instances of different schemas
 * may share one database (and one channel). SQLite has one instance per file: nothing to do.
 */
export function changeNotifyMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      // `set search_path from current`: the function finds the tables of the schema it was made in,
      // whatever the search path of the session that fires it.
      await sql`
        create function promptline_notify_deployment() returns trigger
        language plpgsql set search_path from current as $$
        declare
          r record;
        begin
          if tg_op = 'DELETE' then r := old; else r := new; end if;
          perform pg_notify('promptline_changes', json_build_object(
            'schema', tg_table_schema,
            'origin', 'db',
            'projectId', r.project_id::text,
            'environment', (select name from environments where id = r.environment_id),
            'prompt', (select name from prompts where id = r.prompt_id)
          )::text);
          return null;
        end
        $$`.execute(db);
      await sql`
        create trigger deployments_notify after insert or update or delete on deployments
        for each row execute function promptline_notify_deployment()`.execute(db);

      // Snapshots are keyed by environment name: a rename changes both the old and the new one.
      await sql`
        create function promptline_notify_environment() returns trigger
        language plpgsql set search_path from current as $$
        begin
          perform pg_notify('promptline_changes', json_build_object(
            'schema', tg_table_schema, 'origin', 'db', 'projectId', old.project_id::text,
            'environment', old.name, 'prompt', '*')::text);
          if new.name is distinct from old.name then
            perform pg_notify('promptline_changes', json_build_object(
              'schema', tg_table_schema, 'origin', 'db', 'projectId', new.project_id::text,
              'environment', new.name, 'prompt', '*')::text);
          end if;
          return null;
        end
        $$`.execute(db);
      await sql`
        create trigger environments_notify after update on environments
        for each row execute function promptline_notify_environment()`.execute(db);
    },
  };
}

/**
 * PostgreSQL only: a trigger that NOTIFYs `promptline_changes` when an API key is revoked or
 * restored, in the same transaction, so every instance drops the key from its cache the moment
 * the change commits (instead of when its 30 s cache entry expires).
 */
export function apiKeyNotifyMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`
        create function promptline_notify_api_key() returns trigger
        language plpgsql set search_path from current as $$
        begin
          perform pg_notify('promptline_changes', json_build_object(
            'kind', 'api-key', 'schema', tg_table_schema, 'origin', 'db', 'keyId', new.id)::text);
          return null;
        end
        $$`.execute(db);
      await sql`
        create trigger api_keys_notify after update of revoked_at on api_keys
        for each row when (old.revoked_at is distinct from new.revoked_at)
        execute function promptline_notify_api_key()`.execute(db);
    },
  };
}

/**
 * PostgreSQL only: a trigger that NOTIFYs `promptline_changes` when a project membership is
 * added, changes role or ends, in the same transaction. A key's role is capped by its user's role
 * in the project and a key of someone who left stops working, so every instance drops its cached
 * key lookups (`keyId` null: any key may have changed) the moment the change commits. Membership
 * changes are rare; forgetting the whole cache for one costs one lookup per active key.
 */
export function memberNotifyMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`
        create function promptline_notify_member() returns trigger
        language plpgsql set search_path from current as $$
        begin
          perform pg_notify('promptline_changes', json_build_object(
            'kind', 'api-key', 'schema', tg_table_schema, 'origin', 'db', 'keyId', null)::text);
          return null;
        end
        $$`.execute(db);
      await sql`
        create trigger members_notify after insert or delete or update of role on members
        for each row execute function promptline_notify_member()`.execute(db);
    },
  };
}

/**
 * PostgreSQL only: the API-key trigger of `0080_api_key_notify` also fires when a key's expiry
 * changes. Rotation (`POST /api/v1/api-keys/{id}/rotate`) ends the old key by setting its
 * `expires_at`; the expiry is part of the cached key, so without this another instance would
 * accept the old key for up to 30 s after a rotation with `graceSeconds: 0`.
 */
export function apiKeyExpiryNotifyMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== 'postgres') return;
      await sql`drop trigger api_keys_notify on api_keys`.execute(db);
      await sql`
        create trigger api_keys_notify after update of revoked_at, expires_at on api_keys
        for each row when (old.revoked_at is distinct from new.revoked_at
          or old.expires_at is distinct from new.expires_at)
        execute function promptline_notify_api_key()`.execute(db);
    },
  };
}
