import { initialsOf } from '@promptline/core';
import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface UsersTable {
  id: Generated<number>;
  /** Lowercase; unique per instance. */
  email: string;
  name: string;
  initials: string;
  /** `active`, `invited` or `service`. */
  status: string;
  /** 1: may create projects and manage every project's members. */
  instance_admin: number;
  created_at: string;
}

export interface MembersTable {
  id: Generated<number>;
  project_id: number;
  user_id: number;
  role: string;
  created_at: string;
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type UserTables = { users: UsersTable; members: MembersTable };

/** The email of the service user an existing API key is moved onto (`.invalid` never resolves). */
export const serviceEmailForKey = (keyId: number) => `service-key-${keyId}@promptline.invalid`;

/**
 * Users and project members; every API key gains the user it acts as. Keys that existed before
 * users did each get a service user of their own (named like the key, a member of the key's
 * project with the key's role; admin keys' users are instance admins, there having been one
 * project), so that approvals by two old keys still count as two people.
 */
export function usersMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('users'), dialect)
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', notNull)
        .addColumn('initials', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('instance_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', notNull)
        .execute();
      await withId(db.schema.createTable('members'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addUniqueConstraint('members_project_user_unique', ['project_id', 'user_id'])
        .execute();
      // "Which projects is this user in" (the project switcher).
      await db.schema.createIndex('members_user').on('members').columns(['user_id']).execute();
      await db.schema
        .alterTable('api_keys')
        .addColumn('user_id', 'integer', (c) => c.references('users.id'))
        .execute();

      const keys = await sql<{
        id: number;
        project_id: number;
        name: string;
        role: string;
        created_at: string;
      }>`
        select id, project_id, name, role, created_at from api_keys order by id`.execute(db);
      for (const key of keys.rows) {
        const email = serviceEmailForKey(key.id);
        const user = await sql<{ id: number }>`
          insert into users (email, name, initials, status, instance_admin, created_at)
          values (${email}, ${key.name}, ${initialsOf(key.name, email)}, 'service',
                  ${key.role === 'admin' ? 1 : 0}, ${key.created_at})
          returning id`.execute(db);
        const userId = user.rows[0]?.id;
        if (userId === undefined) throw new Error(`no user was created for API key ${key.id}`);
        await sql`update api_keys set user_id = ${userId} where id = ${key.id}`.execute(db);
        await sql`insert into members (project_id, user_id, role, created_at)
          values (${key.project_id}, ${userId}, ${key.role}, ${key.created_at})`.execute(db);
      }
    },
  };
}
