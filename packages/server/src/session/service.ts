import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@promptline/core';
import { type AuthService, type Principal, principalOfKey } from '../auth/service.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { UserService } from '../users/service.ts';
import { createSessionStore, projectName } from './store.ts';

/** A session lives this long after its last use (sliding). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** The expiry is pushed forward at most this often per session: reads must not write on every request. */
const EXTEND_EVERY_MS = 5 * 60 * 1000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Browser sessions opened with an API key. Stored server-side (only the token's hash) rather than
 * as a signed token, so that sign-out and key revocation end a session at once, on every instance.
 */
export function createSessionService({
  database,
  clock,
  auth,
  users,
}: {
  database: Database;
  clock: Clock;
  auth: AuthService;
  users: UserService;
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
      if (!principal) {
        throw new AppError(
          'UNAUTHORIZED',
          'The API key is unknown or revoked. Check it, or ask an admin for a key (POST /api/v1/api-keys).',
        );
      }
      const now = clock.now().getTime();
      const token = randomBytes(32).toString('base64url');
      await store.deleteExpired(database.db, new Date(now).toISOString());
      await store.insert(database.db, {
        tokenHash: hashToken(token),
        keyId: principal.keyId,
        createdAt: new Date(now).toISOString(),
        expiresAt: expiryFrom(now),
      });
      return { token, principal };
    },

    /** The caller behind a session token, or null when it is unknown, expired or its key was revoked. */
    async authenticate(token: string): Promise<Principal | null> {
      const found = await store.findByHash(database.db, hashToken(token));
      const now = clock.now().getTime();
      if (!found || Date.parse(found.expiresAt) <= now) return null;
      const principal = principalOfKey({
        id: found.keyId,
        projectId: found.projectId,
        name: found.keyName,
        role: found.role,
        revokedAt: found.keyRevokedAt,
        memberRole: found.memberRole,
        user: { id: found.userId, email: found.userEmail },
      });
      if (!principal) return null;
      if (Date.parse(found.expiresAt) - now < SESSION_TTL_MS - EXTEND_EVERY_MS) {
        await store.extend(database.db, found.id, expiryFrom(now));
      }
      return principal;
    },

    /** Who a principal is, for the app's top bar: user, key name, role and project. */
    async describe(principal: Principal) {
      const user = await users.get(principal.userId);
      return {
        user: { id: user.id, email: user.email, name: user.name, initials: user.initials },
        keyName: principal.name,
        role: principal.role,
        project: {
          id: principal.projectId,
          name: (await projectName(database.db, principal.projectId)) ?? '',
        },
      };
    },

    /** Ends a session (a no-op for an unknown token). */
    async close(token: string): Promise<void> {
      await store.deleteByHash(database.db, hashToken(token));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
