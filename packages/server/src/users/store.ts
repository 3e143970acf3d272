import type { Member, Role, User, UserStatus } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { UsersTable, UserTables } from './migration.ts';

const tables = (db: Db) => db.withTables<UserTables>();

type UserRow = Omit<UsersTable, 'id'> & { id: number };

const USER_COLUMNS = ['id', 'email', 'name', 'initials', 'status', 'instance_admin', 'created_at'] as const;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    initials: row.initials,
    status: row.status as UserStatus,
    instanceAdmin: row.instance_admin === 1,
    createdAt: row.created_at,
  };
}

/** SQL of users and project members. Emails arrive normalised (lowercase) from the service. */
export function createUserStore() {
  return {
    async findByEmail(db: Db, email: string): Promise<User | undefined> {
      const row = await tables(db)
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('email', '=', email)
        .executeTakeFirst();
      return row ? toUser(row) : undefined;
    },

    async findById(db: Db, id: number): Promise<User | undefined> {
      const row = await tables(db)
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toUser(row) : undefined;
    },

    /** Inserts the user unless the email is taken (by a concurrent writer too); answers who holds it. */
    async insertIfAbsent(
      db: Db,
      input: {
        email: string;
        name: string;
        initials: string;
        status: UserStatus;
        instanceAdmin: boolean;
        createdAt: string;
      },
    ): Promise<{ user: User; created: boolean }> {
      const inserted = await tables(db)
        .insertInto('users')
        .values({
          email: input.email,
          name: input.name,
          initials: input.initials,
          status: input.status,
          instance_admin: input.instanceAdmin ? 1 : 0,
          created_at: input.createdAt,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(USER_COLUMNS)
        .executeTakeFirst();
      if (inserted) return { user: toUser(inserted), created: true };
      const row = await tables(db)
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('email', '=', input.email)
        .executeTakeFirstOrThrow();
      return { user: toUser(row), created: false };
    },

    async update(
      db: Db,
      id: number,
      patch: { name?: string; initials?: string; status?: UserStatus; instanceAdmin?: boolean },
    ): Promise<void> {
      const set: Partial<Omit<UsersTable, 'id'>> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.initials !== undefined) set.initials = patch.initials;
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.instanceAdmin !== undefined) set.instance_admin = patch.instanceAdmin ? 1 : 0;
      if (Object.keys(set).length === 0) return;
      await tables(db).updateTable('users').set(set).where('id', '=', id).execute();
    },

    /** How many users may administer the instance (first-run and first-SSO-user checks). */
    async countInstanceAdmins(db: Db, opts: { people: boolean }): Promise<number> {
      let q = tables(db)
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('instance_admin', '=', 1);
      if (opts.people) q = q.where('status', '!=', 'service');
      return Number((await q.executeTakeFirstOrThrow()).n);
    },

    async countPeople(db: Db): Promise<number> {
      const row = await tables(db)
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '!=', 'service')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async memberRole(db: Db, projectId: number, userId: number): Promise<Role | undefined> {
      const row = await tables(db)
        .selectFrom('members')
        .select('role')
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role as Role | undefined;
    },

    /** Adds the member, or changes their role. */
    async putMember(db: Db, projectId: number, userId: number, role: Role, at: string): Promise<void> {
      await tables(db)
        .insertInto('members')
        .values({ project_id: projectId, user_id: userId, role, created_at: at })
        .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
        .execute();
    },

    async removeMember(db: Db, projectId: number, userId: number): Promise<void> {
      await tables(db)
        .deleteFrom('members')
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId)
        .execute();
    },

    async listMembers(db: Db, projectId: number): Promise<Member[]> {
      const rows = await tables(db)
        .selectFrom('members')
        .innerJoin('users', 'users.id', 'members.user_id')
        .select([
          'users.id as id',
          'users.email as email',
          'users.name as name',
          'users.initials as initials',
          'users.status as status',
          'users.instance_admin as instance_admin',
          'users.created_at as created_at',
          'members.role as role',
          'members.created_at as since',
        ])
        .where('members.project_id', '=', projectId)
        .orderBy('users.email')
        .execute();
      return rows.map((row) => ({ user: toUser(row), role: row.role as Role, since: row.since }));
    },

    /**
     * Ids of the project's admin members who are people. `lock` (PostgreSQL) holds their rows
     * until the transaction ends, so two concurrent demotions cannot each leave the other last.
     */
    async adminMemberIds(db: Db, projectId: number, lock: boolean): Promise<number[]> {
      let q = tables(db)
        .selectFrom('members')
        .select('user_id')
        .where('project_id', '=', projectId)
        .where('role', '=', 'admin');
      if (lock) q = q.forUpdate();
      return (await q.execute()).map((row) => row.user_id);
    },

    /** The projects a user is a member of, with their role, by name. */
    async projectsOf(db: Db, userId: number): Promise<{ id: number; name: string; role: Role }[]> {
      const rows = await tables(db)
        .selectFrom('members')
        .innerJoin('projects', 'projects.id', 'members.project_id')
        .select(['projects.id as id', 'projects.name as name', 'members.role as role'])
        .where('members.user_id', '=', userId)
        .orderBy('projects.name')
        .execute();
      return rows.map((row) => ({ ...row, role: row.role as Role }));
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
