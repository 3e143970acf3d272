import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type AuthService, type Principal, principalOfKey } from '../auth/service.ts';
import type { Clock } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { SecurityLog } from '../security/service.ts';
import type { UserService } from '../users/service.ts';
import { createSessionStore, projectName, type SignInMethod, type StoredUserSession } from './store.ts';

/** A session lives this long after its last use (sliding). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** The expiry is pushed forward at most this often per session: reads must not write on every request. */
const EXTEND_EVERY_MS = 5 * 60 * 1000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The principal of a person's session: it acts as the user, with their role in the session's project. */
function principalOfUserSession(found: StoredUserSession): Principal | null {
  if (found.memberRole === null || found.userStatus === 'service') return null;
  return {
    keyId: null,
    name: found.userEmail,
    role: found.memberRole,
    projectId: found.projectId,
    userId: found.userId,
    userEmail: found.userEmail,
  };
}

/**
 * Browser sessions: opened with an API key, or by a person signing in (SSO, password). Stored
 * server-side (only the token's hash) rather than as a signed token, so that sign-out, key
 * revocation and removal from the project end a session at once, on every instance.
 */
export function createSessionService({
  database,
  clock,
  auth,
  users,
  audit,
  security,
}: {
  database: Database;
  clock: Clock;
  auth: AuthService;
  users: UserService;
  audit: AuditService;
  /** The instance security log, where every person's sign-out is recorded. */
  security: Pick<SecurityLog, 'append'>;
}) {
  const store = createSessionStore();
  const expiryFrom = (now: number) => new Date(now + SESSION_TTL_MS).toISOString();

  return {
    /**
     * Checks `apiKey` and opens a session for it; returns the token for the cookie.
     * @throws AppError UNAUTHORIZED when the key is unknown or revoked.
     */
    async open(apiKey: string): Promise<{ token: string; principal: Principal }> {
      const principal = await auth.authenticate(apiKey);
      const expiresAt = principal?.scope?.expiresAt ?? null;
      if (expiresAt !== null && clock.now().getTime() >= expiresAt) {
        throw new AppError('KEY_EXPIRED', `The key expired at ${new Date(expiresAt).toISOString()}.`, {
          hint: 'Use its replacement, or ask an admin for a new key (POST /api/v1/api-keys).',
        });
      }
      if (!principal || principal.keyId === null) {
        throw new AppError(
          'UNAUTHORIZED',
          'The API key is unknown or revoked. Check it, or ask an admin for a key (POST /api/v1/api-keys).',
        );
      }
      const now = clock.now().getTime();
      const token = randomBytes(32).toString('base64url');
      const keyId = principal.keyId;
      await database.db.transaction().execute(async (trx) => {
        await store.deleteExpired(trx, new Date(now).toISOString());
        await store.insert(trx, {
          tokenHash: hashToken(token),
          keyId,
          createdAt: new Date(now).toISOString(),
          expiresAt: expiryFrom(now),
        });
        // A browser signed in with a key: the instance sees who (the key's user) and with which key.
        // Refused keys are not recorded: nothing throttles this route, and a flood must not fill the log.
        await security.append(trx, {
          type: 'session.sign_in',
          email: principal.userEmail,
          actor: principal.userEmail,
          projectId: principal.projectId,
          data: { method: 'api_key', key: principal.name, role: principal.role },
        });
      });
      return { token, principal };
    },

    /**
     * Opens a person's session (inside the caller's transaction, which also audits the sign-in);
     * returns the token for the cookie.
     */
    async openForUser(
      trx: Db,
      input: { userId: number; projectId: number; method: SignInMethod },
    ): Promise<string> {
      const now = clock.now().getTime();
      const token = randomBytes(32).toString('base64url');
      await store.deleteExpired(trx, new Date(now).toISOString());
      await store.insertUserSession(trx, {
        tokenHash: hashToken(token),
        userId: input.userId,
        projectId: input.projectId,
        method: input.method,
        createdAt: new Date(now).toISOString(),
        expiresAt: expiryFrom(now),
      });
      return token;
    },

    /** Ends every session a person opened (not their keys' sessions). */
    async closeAllOf(trx: Db, userId: number): Promise<void> {
      await store.deleteUserSessionsOf(trx, userId);
    },

    /**
     * The caller behind a session token, or null when it is unknown, expired, its key was revoked,
     * or its person left the project.
     */
    async authenticate(token: string): Promise<Principal | null> {
      const tokenHash = hashToken(token);
      const found = await store.findByHash(database.db, tokenHash);
      const now = clock.now().getTime();
      if (!found) {
        const person = await store.findUserSession(database.db, tokenHash);
        if (!person || Date.parse(person.expiresAt) <= now) return null;
        const principal = principalOfUserSession(person);
        if (principal && Date.parse(person.expiresAt) - now < SESSION_TTL_MS - EXTEND_EVERY_MS) {
          await store.extendUserSession(database.db, person.id, expiryFrom(now));
        }
        return principal;
      }
      if (Date.parse(found.expiresAt) <= now) return null;
      const principal = principalOfKey({
        id: found.keyId,
        projectId: found.projectId,
        name: found.keyName,
        role: found.role,
        revokedAt: found.keyRevokedAt,
        memberRole: found.memberRole,
        user: { id: found.userId, email: found.userEmail },
        environments: found.environments,
        promptPrefix: found.promptPrefix,
        readOnly: found.readOnly,
        expiresAt: found.keyExpiresAt,
      });
      if (!principal) return null;
      if (Date.parse(found.expiresAt) - now < SESSION_TTL_MS - EXTEND_EVERY_MS) {
        await store.extend(database.db, found.id, expiryFrom(now));
      }
      return principal;
    },

    /** Who a principal is, for the app's top bar: user, key name (null for a person's session), role and project. */
    async describe(principal: Principal) {
      const user = await users.get(principal.userId);
      return {
        user: {
          id: user.id,
          email: user.email,
          name: user.name,
          initials: user.initials,
          instanceAdmin: user.instanceAdmin,
        },
        keyName: principal.keyId === null ? null : principal.name,
        role: principal.role,
        project: {
          id: principal.projectId,
          name: (await projectName(database.db, principal.projectId)) ?? '',
        },
      };
    },

    /** Whether a token is a person's session (not one opened with an API key). */
    async isPersonSession(token: string): Promise<boolean> {
      return (await store.findUserSession(database.db, hashToken(token))) !== undefined;
    },

    /**
     * Moves a person's browser session to another project they are a member of.
     * @throws AppError PROJECT_NOT_MEMBER; SESSION_PROJECT_FIXED for a session opened with an API key (keys belong to one project).
     */
    async switchProject(token: string, projectId: number): Promise<void> {
      const tokenHash = hashToken(token);
      const person = await store.findUserSession(database.db, tokenHash);
      if (!person) {
        throw new AppError(
          'SESSION_PROJECT_FIXED',
          'This session was opened with an API key, which belongs to one project. Sign in as a person to switch projects, or use a key of the other project.',
        );
      }
      if (!(await users.roleIn(projectId, person.userId))) {
        throw new AppError('PROJECT_NOT_MEMBER', `You are not a member of project ${projectId}.`, {
          hint: 'List your projects with GET /api/v1/projects; an admin of the project can add you.',
        });
      }
      await store.setUserSessionProject(database.db, tokenHash, projectId);
    },

    /** Ends a session (a no-op for an unknown token); a person's sign-out is recorded in the security log, and in the project's audit log when they are a member. */
    async close(token: string): Promise<void> {
      const tokenHash = hashToken(token);
      const keySession = await store.findByHash(database.db, tokenHash);
      if (keySession) {
        await database.db.transaction().execute(async (trx) => {
          await store.deleteByHash(trx, tokenHash);
          await security.append(trx, {
            type: 'session.sign_out',
            email: keySession.userEmail,
            actor: keySession.userEmail,
            projectId: keySession.projectId,
            data: { method: 'api_key', key: keySession.keyName },
          });
        });
        return;
      }
      const person = await store.findUserSession(database.db, tokenHash);
      if (!person) return;
      await database.db.transaction().execute(async (trx) => {
        await store.deleteUserSession(trx, tokenHash);
        await security.append(trx, {
          type: 'session.sign_out',
          email: person.userEmail,
          actor: person.userEmail,
          projectId: person.projectId,
          data: { method: person.method },
        });
        // The project's own log only for its members: a person removed from it (or an instance
        // admin visiting) is not the project's to see come and go.
        if (person.memberRole === null) return;
        await audit.append(trx, {
          projectId: person.projectId,
          actor: person.userEmail,
          action: 'session.sign_out',
          targetType: 'user',
          target: person.userEmail,
          data: { method: person.method },
        });
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
