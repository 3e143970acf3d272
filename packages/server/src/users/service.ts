import {
  AppError,
  initialsOf,
  type Member,
  normalizeEmail,
  type PutMemberRequest,
  type Role,
  roleAtLeast,
  type User,
  type UserStatus,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { createUserStore } from './store.ts';

/** Email of the service user behind `PROMPTLINE_API_KEY` and the key generated at first start. */
export const INSTANCE_ADMIN_SERVICE_EMAIL = 'instance-admin@promptline.invalid';

/** Display name for a user known only by email: the local part. */
const nameFromEmail = (email: string) => email.split('@')[0] || email;

/**
 * People of the instance and members of projects. Methods taking `trx` run inside the caller's
 * transaction (key creation, sign-in), the others open their own.
 */
export function createUserService({
  database,
  clock,
  audit,
  onMembersChanged,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** Told after a member's role changed or a member left (the key cache caps roles by membership). */
  onMembersChanged?: () => void;
}) {
  const store = createUserStore();

  async function ensureUser(
    trx: Db,
    input: { email: string; name?: string | undefined; status: UserStatus; instanceAdmin?: boolean },
  ): Promise<{ user: User; created: boolean }> {
    const email = normalizeEmail(input.email);
    const name = input.name?.trim() || nameFromEmail(email);
    return store.insertIfAbsent(trx, {
      email,
      name,
      initials: initialsOf(name, email),
      status: input.status,
      instanceAdmin: input.instanceAdmin ?? false,
      createdAt: isoNow(clock),
    });
  }

  /** Adds `userId` to the project with `role` unless a member already (their role is kept). */
  async function ensureMember(trx: Db, projectId: number, userId: number, role: Role): Promise<Role> {
    const existing = await store.memberRole(trx, projectId, userId);
    if (existing) return existing;
    await store.putMember(trx, projectId, userId, role, isoNow(clock));
    return role;
  }

  async function refuseLastAdmin(trx: Db, projectId: number, userId: number, what: string): Promise<void> {
    const admins = await store.adminMemberIds(trx, projectId, database.dialect === 'postgres');
    if (admins.length === 1 && admins[0] === userId) {
      throw new AppError('LAST_ADMIN_MEMBER', `${what} would leave the project without an admin member.`, {
        hint: 'Make another member admin first (PUT /api/v1/members with "role": "admin").',
      });
    }
  }

  return {
    ensureUser,
    ensureMember,

    /**
     * The service user that `PROMPTLINE_API_KEY` and the first-start key act as: an instance
     * admin, admin of `projectId`. Idempotent.
     */
    async ensureInstanceAdminService(trx: Db, projectId: number): Promise<User> {
      const { user } = await ensureUser(trx, {
        email: INSTANCE_ADMIN_SERVICE_EMAIL,
        name: 'Instance admin (API key)',
        status: 'service',
        instanceAdmin: true,
      });
      await ensureMember(trx, projectId, user.id, 'admin');
      return user;
    },

    /** @throws AppError USER_NOT_FOUND */
    async get(id: number, trx: Db = database.db): Promise<User> {
      const user = await store.findById(trx, id);
      if (!user)
        throw new AppError('USER_NOT_FOUND', `No user with id ${id}.`, {
          hint: 'List members with GET /api/v1/members.',
        });
      return user;
    },

    async findByEmail(email: string, trx: Db = database.db): Promise<User | undefined> {
      return store.findByEmail(trx, normalizeEmail(email));
    },

    /** The user's role in the project, or undefined when not a member. */
    async roleIn(projectId: number, userId: number, trx: Db = database.db): Promise<Role | undefined> {
      return store.memberRole(trx, projectId, userId);
    },

    async members(projectId: number): Promise<Member[]> {
      return store.listMembers(database.db, projectId);
    },

    /** Members whose role includes `least` (e.g. everyone who may approve: `reviewer`). */
    async membersAtLeast(projectId: number, least: Role, trx: Db = database.db): Promise<Member[]> {
      return (await store.listMembers(trx, projectId)).filter((m) => roleAtLeast(m.role, least));
    },

    /** The projects a user belongs to, with their role in each (the project switcher). */
    async projectsOf(
      userId: number,
      trx: Db = database.db,
    ): Promise<{ id: number; name: string; role: Role }[]> {
      return store.projectsOf(trx, userId);
    },

    /** Whether some person (not a service account) may administer the instance: else the first to sign in becomes admin. */
    async hasAdminPerson(trx: Db): Promise<boolean> {
      return (await store.countInstanceAdmins(trx, { people: true })) > 0;
    },

    /**
     * Marks a person as signed in: `active`, with a better name than the email's local part when
     * one is known, and instance admin when `instanceAdmin` (the first person of the instance).
     */
    async activate(
      trx: Db,
      user: User,
      patch: { name?: string | undefined; instanceAdmin?: boolean },
    ): Promise<void> {
      const name = patch.name?.trim();
      const rename = name && user.status === 'invited' && user.name === nameFromEmail(user.email);
      await store.update(trx, user.id, {
        status: 'active',
        ...(rename ? { name, initials: initialsOf(name, user.email) } : {}),
        ...(patch.instanceAdmin ? { instanceAdmin: true } : {}),
      });
    },

    /**
     * Sets a member's role inside the caller's transaction (SSO group mapping, first admin),
     * audited; answers false and changes nothing when it would demote the project's last admin.
     */
    async syncRole(trx: Db, projectId: number, userId: number, role: Role, actor: string): Promise<boolean> {
      const before = await store.memberRole(trx, projectId, userId);
      if (before === role) return true;
      if (before === 'admin') {
        const admins = await store.adminMemberIds(trx, projectId, database.dialect === 'postgres');
        if (admins.length === 1 && admins[0] === userId) return false;
      }
      const user = await store.findById(trx, userId);
      await store.putMember(trx, projectId, userId, role, isoNow(clock));
      await audit.append(trx, {
        projectId,
        actor,
        action: before ? 'member.update' : 'member.add',
        targetType: 'user',
        target: user?.email ?? String(userId),
        data: { before: before ? { role: before } : null, after: { role } },
      });
      onMembersChanged?.();
      return true;
    },

    /**
     * Adds a user to the project by email (creating them as invited when new) or changes their role.
     * @throws AppError LAST_ADMIN_MEMBER when it would demote the project's last admin member.
     */
    async putMember(projectId: number, input: PutMemberRequest, actor: string): Promise<Member> {
      const result = await database.db.transaction().execute(async (trx) => {
        const { user } = await ensureUser(trx, { email: input.email, name: input.name, status: 'invited' });
        const before = await store.memberRole(trx, projectId, user.id);
        if (before === input.role) {
          const same = (await store.listMembers(trx, projectId)).find((m) => m.user.id === user.id);
          if (same) return same;
        }
        if (before === 'admin' && input.role !== 'admin') {
          await refuseLastAdmin(trx, projectId, user.id, `Demoting ${user.email}`);
        }
        await store.putMember(trx, projectId, user.id, input.role, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: before ? 'member.update' : 'member.add',
          targetType: 'user',
          target: user.email,
          data: { before: before ? { role: before } : null, after: { role: input.role } },
        });
        const member = (await store.listMembers(trx, projectId)).find((m) => m.user.id === user.id);
        if (!member) throw new AppError('INTERNAL', `Member ${user.email} vanished while being added.`);
        return member;
      });
      onMembersChanged?.();
      return result;
    },

    /**
     * Removes a member from the project.
     * @throws AppError MEMBER_NOT_FOUND; LAST_ADMIN_MEMBER for the project's last admin member.
     */
    async removeMember(projectId: number, userId: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const role = await store.memberRole(trx, projectId, userId);
        const user = await store.findById(trx, userId);
        if (!role || !user) {
          throw new AppError('MEMBER_NOT_FOUND', `User ${userId} is not a member of this project.`, {
            hint: 'List members with GET /api/v1/members.',
          });
        }
        if (role === 'admin') await refuseLastAdmin(trx, projectId, userId, `Removing ${user.email}`);
        await store.removeMember(trx, projectId, userId);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'member.remove',
          targetType: 'user',
          target: user.email,
          data: { before: { role }, after: null },
        });
      });
      onMembersChanged?.();
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
