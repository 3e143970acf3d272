import { AppError, normalizeEmail } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { SessionService } from '../session/service.ts';
import type { PersonSession, PersonSignIn } from '../session/sign-in.ts';
import type { UserService } from '../users/service.ts';
import { decoyHash, hashPassword, verifyPassword } from './hash.ts';
import { createPasswordStore } from './store.ts';

/** Lockout and throttling of password sign-in (PROMPTLINE_PASSWORD_*). */
export interface PasswordSettings {
  /** Failed attempts in a row that lock an email (default 5). */
  maxFailures: number;
  /** How long a lockout lasts (default 15 minutes). */
  lockoutMs: number;
  /** Attempts one client address may make per window (default 30 a minute); null: no limit. */
  perAddress: { max: number; windowMs: number } | null;
}

export const DEFAULT_PASSWORD_SETTINGS: PasswordSettings = {
  maxFailures: 5,
  lockoutMs: 15 * 60_000,
  perAddress: { max: 30, windowMs: 60_000 },
};

/**
 * Local passwords, the fallback for installs without an identity provider: scrypt hashes with a
 * salt per user (hash.ts), a lockout per email after repeated failures (counted in the database, so
 * it holds across instances), and a throttle per client address (in memory, per instance).
 */
export function createPasswordService({
  database,
  clock,
  audit,
  users,
  sessions,
  people,
  settings = DEFAULT_PASSWORD_SETTINGS,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  users: UserService;
  sessions: SessionService;
  people: PersonSignIn;
  settings?: PasswordSettings;
}) {
  const store = createPasswordStore();
  const windows = new Map<string, { start: number; count: number }>();

  function throttle(address: string): void {
    const limit = settings.perAddress;
    if (!limit) return;
    const now = clock.now().getTime();
    let window = windows.get(address);
    if (!window || now - window.start >= limit.windowMs) {
      if (windows.size > 10_000) windows.clear();
      window = { start: now, count: 0 };
      windows.set(address, window);
    }
    window.count++;
    if (window.count > limit.max) {
      const seconds = Math.ceil((window.start + limit.windowMs - now) / 1000);
      throw new AppError(
        'RATE_LIMITED',
        `Too many sign-in attempts from this address. Try again in ${seconds} s.`,
        {
          details: { retryAfter: seconds },
        },
      );
    }
  }

  /** Counts a wrong password against an email; locks it (recorded in the security log) at the limit. */
  async function countFailure(email: string): Promise<void> {
    const failures = await store.addFailure(database.db, email, isoNow(clock));
    if (failures >= settings.maxFailures) {
      const until = new Date(clock.now().getTime() + settings.lockoutMs).toISOString();
      await store.lock(database.db, email, until);
      await people.record('session.locked', email, { failures, lockedUntil: until });
    }
  }

  function lockedError(email: string, until: string): AppError {
    return new AppError(
      'ACCOUNT_LOCKED',
      `Too many failed passwords for ${email}: sign-in is locked until ${until}.`,
      {
        hint: 'Wait, or ask an admin to set a new password (PUT /api/v1/members/{userId}/password).',
      },
    );
  }

  return {
    /**
     * Guards a password check made outside sign-in (an invitation link asking for the person's
     * existing password): the per-address throttle and the email's lockout apply there too, so a
     * link cannot be used to guess a password faster than the sign-in page allows.
     * @throws AppError RATE_LIMITED, ACCOUNT_LOCKED (recorded in the security log).
     */
    async guardAttempt(emailInput: string, address: string): Promise<void> {
      throttle(address);
      const email = normalizeEmail(emailInput);
      const record = await store.failures(database.db, email);
      if (record?.lockedUntil && Date.parse(record.lockedUntil) > clock.now().getTime()) {
        throw await people.fail('password', lockedError(email, record.lockedUntil), {
          email,
          address,
          detail: 'invitation',
        });
      }
    },

    /** Counts a wrong password given outside sign-in (see {@link guardAttempt}) and records the refusal. */
    async countWrong(emailInput: string, error: AppError, address: string): Promise<void> {
      const email = normalizeEmail(emailInput);
      await countFailure(email);
      await people.fail('password', error, { email, address, detail: 'invitation' });
    },

    /**
     * Checks a password and opens the person's session.
     * @throws AppError INVALID_CREDENTIALS, ACCOUNT_LOCKED, RATE_LIMITED, ACCOUNT_NOT_ALLOWED — refusals audited.
     */
    async signIn(emailInput: string, password: string, address: string): Promise<PersonSession> {
      throttle(address);
      const email = normalizeEmail(emailInput);
      const now = clock.now().getTime();
      const record = await store.failures(database.db, email);
      if (record?.lockedUntil && Date.parse(record.lockedUntil) > now) {
        throw await people.fail('password', lockedError(email, record.lockedUntil), { email, address });
      }
      const user = await users.findByEmail(email);
      const stored = user && user.status !== 'service' ? await store.hashOf(database.db, user.id) : undefined;
      // Always one scrypt, so that an unknown email answers as slowly as a wrong password.
      const matches = await verifyPassword(password, stored ?? (await decoyHash()));
      if (!stored || !matches) {
        await countFailure(email);
        throw await people.fail(
          'password',
          new AppError('INVALID_CREDENTIALS', 'Wrong email or password.', {
            hint: 'Check both, or ask an admin to set a new password.',
          }),
          { email, address },
        );
      }
      await store.clear(database.db, email);
      try {
        return await people.signIn({
          email,
          method: 'password',
          address,
          create: false,
          joinRole: 'viewer',
          promoteFirstAdmin: false,
        });
      } catch (error) {
        if (error instanceof AppError) throw await people.fail('password', error, { email, address });
        throw error;
      }
    },

    /** Whether `password` is the user's (false without one; always one scrypt, like sign-in). */
    async verifyFor(db: Db, userId: number, password: string): Promise<boolean> {
      const stored = await store.hashOf(db, userId);
      const matches = await verifyPassword(password, stored ?? (await decoyHash()));
      return stored !== undefined && matches;
    },

    /** Whether a user has a password (inside the caller's transaction or not). */
    async hasPassword(db: Db, userId: number): Promise<boolean> {
      return (await store.hashOf(db, userId)) !== undefined;
    },

    /**
     * A person changes their own password, giving the current one. Every session of theirs ends;
     * when `reopen` names the project of the caller's own session, a new one is opened for it and
     * its token answered (so the person stays signed in here).
     * @throws AppError WRONG_PASSWORD (audited as user.password_change_failed), RATE_LIMITED, ACCOUNT_NOT_ALLOWED.
     */
    async changeOwn(
      who: { userId: number; email: string; projectId: number },
      input: { currentPassword: string; newPassword: string },
      address: string,
      reopen: boolean,
    ): Promise<string | null> {
      throttle(address);
      const user = await users.get(who.userId);
      if (user.status === 'service') {
        throw new AppError('ACCOUNT_NOT_ALLOWED', `${user.email} is a service account: it has no password.`);
      }
      const stored = await store.hashOf(database.db, user.id);
      const matches = await verifyPassword(input.currentPassword, stored ?? (await decoyHash()));
      if (!stored || !matches) {
        await database.db.transaction().execute(async (trx) => {
          await audit.append(trx, {
            projectId: who.projectId,
            actor: user.email,
            action: 'user.password_change_failed',
            targetType: 'user',
            target: user.email,
            data: {},
          });
        });
        throw new AppError('WRONG_PASSWORD', 'The current password is wrong.', {
          hint: stored
            ? 'Type your current password again.'
            : 'You have no password yet: ask an admin to set one.',
        });
      }
      const hash = await hashPassword(input.newPassword);
      return database.db.transaction().execute(async (trx) => {
        await store.put(trx, user.id, hash, isoNow(clock));
        await sessions.closeAllOf(trx, user.id);
        await audit.append(trx, {
          projectId: who.projectId,
          actor: user.email,
          action: 'user.password_changed',
          targetType: 'user',
          target: user.email,
          data: { by: 'self' },
        });
        return reopen
          ? sessions.openForUser(trx, { userId: user.id, projectId: who.projectId, method: 'password' })
          : null;
      });
    },

    /** Sets a user's password inside the caller's transaction (an invitation being accepted, the first admin). */
    async setIn(trx: Db, userId: number, password: string): Promise<void> {
      await store.put(trx, userId, await hashPassword(password), isoNow(clock));
    },

    /**
     * An admin sets the password of a member of their project: it replaces any other, lifts a
     * lockout and ends the person's open sessions.
     * @throws AppError MEMBER_NOT_FOUND; ACCOUNT_NOT_ALLOWED for a service account.
     */
    async setForMember(
      projectId: number,
      userId: number,
      password: string,
      actor: string,
      /** The admin's user: a person who belongs to other projects too takes an instance admin. */
      by?: number,
    ): Promise<void> {
      const hash = await hashPassword(password);
      await database.db.transaction().execute(async (trx) => {
        const role = await users.roleIn(projectId, userId, trx);
        const user = role ? await users.get(userId, trx) : undefined;
        if (!user) {
          throw new AppError('MEMBER_NOT_FOUND', `User ${userId} is not a member of this project.`, {
            hint: 'List members with GET /api/v1/members.',
          });
        }
        // A password opens every project of the person: an admin of one project must not reach the others.
        const elsewhere = (await users.projectsOf(userId, trx)).some((p) => p.id !== projectId);
        if (elsewhere && by !== undefined && !(await users.get(by, trx)).instanceAdmin) {
          throw new AppError(
            'INSTANCE_ADMIN_REQUIRED',
            `${user.email} belongs to other projects too: only an instance admin sets their password.`,
            {
              hint: 'Ask an instance admin, or ask the person to change it themselves (PUT /api/v1/me/password).',
            },
          );
        }
        if (user.status === 'service') {
          throw new AppError(
            'ACCOUNT_NOT_ALLOWED',
            `${user.email} is a service account: it signs in with API keys only.`,
          );
        }
        await store.put(trx, userId, hash, isoNow(clock));
        await store.clear(trx, user.email);
        await sessions.closeAllOf(trx, userId);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'user.password_set',
          targetType: 'user',
          target: user.email,
          data: { by: 'admin' },
        });
      });
    },
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
