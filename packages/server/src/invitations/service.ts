import { createHash, randomBytes } from 'node:crypto';
import {
  AppError,
  type CreatedInvitation,
  type CreateInvitationRequest,
  type Invitation,
  type InvitationPreview,
  normalizeEmail,
  ROLE_RANK,
  type Role,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { SecurityLog } from '../security/service.ts';
import type { SessionService } from '../session/service.ts';
import type { UserService } from '../users/service.ts';
import { createInvitationStore, type StoredInvitation } from './store.ts';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const invalid = () =>
  new AppError('INVITATION_INVALID', 'This invitation link is unknown, used, revoked or expired.', {
    hint: 'Ask an admin for a new invitation, or sign in if you have an account.',
  });

/**
 * Invitations: an admin invites an email with a role; the one-time link (a random token, only its
 * hash stored) lets the person set a password and join, once, before it expires. Signing in with
 * SSO as the invited email claims the invitation too.
 */
export function createInvitationService({
  database,
  clock,
  audit,
  security,
  users,
  sessions,
  setPassword,
  hasPassword,
  verifyPassword,
  passwordGuard,
  projectName,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** The instance security log: accepting a link signs the person in. */
  security: Pick<SecurityLog, 'append'>;
  users: UserService;
  sessions: SessionService;
  /** Sets a user's password inside the caller's transaction (the passwords feature). */
  setPassword: (trx: Db, userId: number, password: string) => Promise<void>;
  hasPassword: (trx: Db, userId: number) => Promise<boolean>;
  verifyPassword: (trx: Db, userId: number, password: string) => Promise<boolean>;
  /**
   * The password sign-in's guards for a link that asks for an existing password: the address
   * throttle and the email's lockout before the check, and a wrong password counted after it.
   */
  passwordGuard?: {
    guardAttempt(email: string, address: string): Promise<void>;
    countWrong(email: string, error: AppError, address: string): Promise<void>;
  };
  projectName: (db: Db, projectId: number) => Promise<string | undefined>;
}) {
  const store = createInvitationStore();

  function statusOf(row: StoredInvitation): Invitation['status'] {
    if (row.acceptedAt) return 'accepted';
    if (row.revokedAt) return 'revoked';
    return Date.parse(row.expiresAt) <= clock.now().getTime() ? 'expired' : 'pending';
  }
  const publicInvitation = (row: StoredInvitation): Invitation => ({
    id: row.id,
    email: row.email,
    role: row.role,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    status: statusOf(row),
  });

  async function open(trx: Db, token: string): Promise<StoredInvitation> {
    const row = await store.findByTokenHash(trx, hashToken(token));
    if (!row || statusOf(row) !== 'pending') throw invalid();
    return row;
  }

  /** The acceptance itself, in one transaction (see `accept`). */
  async function acceptIn(
    token: string,
    input: { password: string; name?: string | undefined },
  ): Promise<string> {
    return database.db.transaction().execute(async (trx) => {
      const row = await open(trx, token);
      if (!(await store.markAccepted(trx, row.id, isoNow(clock)))) throw invalid();
      const { user } = await users.ensureUser(trx, {
        email: row.email,
        name: input.name,
        status: 'invited',
      });
      if (user.status === 'service') {
        throw new AppError('ACCOUNT_NOT_ALLOWED', `${row.email} is a service account: it never signs in.`);
      }
      // The link is a bearer token the inviting admin holds too: it may create an account, never
      // take over one. An account with a password accepts with that password (unchanged); one
      // that signs in otherwise, or belongs to other projects, accepts by signing in (SSO).
      if (await hasPassword(trx, user.id)) {
        if (!(await verifyPassword(trx, user.id, input.password))) {
          throw new AppError('WRONG_PASSWORD', `${row.email} has a password already: enter it to accept.`, {
            hint: 'Forgot it? Ask an admin of your project to set a new one, then accept with it.',
          });
        }
      } else {
        const elsewhere = (await users.projectsOf(user.id, trx)).some((p) => p.id !== row.projectId);
        if (user.status === 'active' || elsewhere) {
          throw new AppError(
            'ACCOUNT_EXISTS',
            `${row.email} has an account already: sign in with single sign-on as ${row.email} to accept the invitation.`,
            { hint: 'Or ask an admin of your project to set your password, then accept with it.' },
          );
        }
        await setPassword(trx, user.id, input.password);
      }
      const role = await join(trx, row, user.id, row.email);
      await users.activate(trx, user, { name: input.name });
      const session = await sessions.openForUser(trx, {
        userId: user.id,
        projectId: row.projectId,
        method: 'password',
      });
      await audit.append(trx, {
        projectId: row.projectId,
        actor: row.email,
        action: 'invitation.accept',
        targetType: 'invitation',
        target: row.email,
        data: { id: row.id, role, method: 'password' },
      });
      await security.append(trx, {
        type: 'session.sign_in',
        email: row.email,
        actor: row.email,
        projectId: row.projectId,
        data: { method: 'password', via: 'invitation', role },
      });
      return session;
    });
  }

  /** Adds the user with the invitation's role; an existing member keeps a higher role. */
  async function join(trx: Db, row: StoredInvitation, userId: number, actor: string): Promise<Role> {
    const before = await users.roleIn(row.projectId, userId, trx);
    if (before && ROLE_RANK[before] >= ROLE_RANK[row.role]) return before;
    await users.syncRole(trx, row.projectId, userId, row.role, actor);
    return row.role;
  }

  return {
    /** Creates an invitation and its one-time link (shown only in this answer). */
    async create(
      projectId: number,
      input: CreateInvitationRequest,
      actor: string,
    ): Promise<CreatedInvitation> {
      const email = normalizeEmail(input.email);
      const token = randomBytes(32).toString('base64url');
      const now = clock.now().getTime();
      const row = await database.db.transaction().execute(async (trx) => {
        const known = await users.findByEmail(email, trx);
        if (known?.status === 'service') {
          throw new AppError('ACCOUNT_NOT_ALLOWED', `${email} is a service account: it cannot be invited.`);
        }
        const created = await store.insert(trx, {
          projectId,
          email,
          role: input.role,
          tokenHash: hashToken(token),
          createdBy: actor,
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + input.expiresInHours * 3_600_000).toISOString(),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'invitation.create',
          targetType: 'invitation',
          target: email,
          data: { after: { id: created.id, email, role: input.role, expiresAt: created.expiresAt } },
        });
        return created;
      });
      return { ...publicInvitation(row), token, path: `/invite/${token}` };
    },

    async list(projectId: number): Promise<Invitation[]> {
      return (await store.list(database.db, projectId)).map(publicInvitation);
    },

    /** @throws AppError INVITATION_INVALID when it is not pending (accepted, revoked, expired, unknown). */
    async revoke(projectId: number, id: number, actor: string): Promise<Invitation> {
      return database.db.transaction().execute(async (trx) => {
        const row = await store.findById(trx, projectId, id);
        if (!row || statusOf(row) !== 'pending') throw invalid();
        await store.revoke(trx, projectId, id, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'invitation.revoke',
          targetType: 'invitation',
          target: row.email,
          data: { before: { id, status: 'pending' }, after: { status: 'revoked' } },
        });
        return { ...publicInvitation(row), status: 'revoked' as const };
      });
    },

    /** What the invitation page shows. @throws AppError INVITATION_INVALID */
    async inspect(token: string): Promise<InvitationPreview> {
      const row = await open(database.db, token);
      const user = await users.findByEmail(row.email);
      return {
        email: row.email,
        role: row.role,
        project: (await projectName(database.db, row.projectId)) ?? '',
        expiresAt: row.expiresAt,
        hasAccount: user ? await hasPassword(database.db, user.id) : false,
      };
    },

    /**
     * Accepts an invitation: sets the person's password, makes them a member, opens their session
     * (one transaction; the link works once, even for two concurrent requests). Answers the token.
     * @throws AppError INVITATION_INVALID; ACCOUNT_NOT_ALLOWED for a service account.
     */
    async accept(
      token: string,
      input: { password: string; name?: string | undefined },
      address = '',
    ): Promise<string> {
      const pending = await open(database.db, token);
      if (passwordGuard && (await users.findByEmail(pending.email))) {
        await passwordGuard.guardAttempt(pending.email, address);
      }
      try {
        return await acceptIn(token, input);
      } catch (error) {
        // Counted after the transaction rolled back, so the count is not rolled back with it.
        if (passwordGuard && error instanceof AppError && error.code === 'WRONG_PASSWORD') {
          await passwordGuard.countWrong(pending.email, error, address);
        }
        throw error;
      }
    },

    /**
     * Claims every open invitation of a person who proved their email another way (single
     * sign-on), inside the sign-in's transaction.
     */
    async claim(trx: Db, userId: number, emailInput: string): Promise<void> {
      const email = normalizeEmail(emailInput);
      for (const row of await store.pendingFor(trx, email, isoNow(clock))) {
        if (!(await store.markAccepted(trx, row.id, isoNow(clock)))) continue;
        const role = await join(trx, row, userId, email);
        await audit.append(trx, {
          projectId: row.projectId,
          actor: email,
          action: 'invitation.accept',
          targetType: 'invitation',
          target: email,
          data: { id: row.id, role, method: 'oidc' },
        });
      }
    },

    /** Whether the first-run screen was used. */
    firstRunDone: (db: Db = database.db) => store.firstRunDone(db),
    /** Records the first run inside the caller's transaction; throws a unique violation the second time. */
    recordFirstRun: (trx: Db, email: string) => store.recordFirstRun(trx, email, isoNow(clock)),
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
