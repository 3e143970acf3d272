import { createHash, randomBytes } from 'node:crypto';
import {
  type ApiKey,
  AppError,
  type CreatedApiKey,
  ROLE_RANK,
  type Role,
  roleAtLeast,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import type { UserService } from '../users/service.ts';
import { type KeyScope, scopeOf } from './scope.ts';
import { createApiKeyStore, type KeyIdentity, type KeyLimits, type StoredKey } from './store.ts';

/** Who is calling: resolved from the API key (or the session) on every request. */
export interface Principal {
  /** The API key; null for a person's browser session (signed in with SSO or a password). */
  keyId: number | null;
  /** The key's name (a person's session: their email): recorded as author of versions and actor of audit events. */
  name: string;
  /** The key's role, capped by its user's role in the project (a person's session: that role). */
  role: Role;
  projectId: number;
  /** The user the key acts as: approvals compare users, not keys. */
  userId: number;
  userEmail: string;
  /** The key's limits (read-only, environments, prompts, expiry); absent for an unlimited key or a person. */
  scope?: KeyScope | undefined;
}

/** The principal a key stands for, or null when it is revoked or its user left the project. */
export function principalOfKey(
  key: Pick<
    KeyIdentity,
    | 'id'
    | 'projectId'
    | 'name'
    | 'role'
    | 'revokedAt'
    | 'memberRole'
    | 'environments'
    | 'promptPrefix'
    | 'readOnly'
    | 'expiresAt'
  > & {
    user: { id: number; email: string };
  },
): Principal | null {
  if (key.revokedAt !== null || key.memberRole === null) return null;
  const role = ROLE_RANK[key.memberRole] < ROLE_RANK[key.role] ? key.memberRole : key.role;
  const scope = scopeOf(key);
  return {
    keyId: key.id,
    name: key.name,
    role,
    projectId: key.projectId,
    userId: key.user.id,
    userEmail: key.user.email,
    ...(scope ? { scope } : {}),
  };
}

const NO_LIMITS: KeyLimits = {
  environments: null,
  promptPrefix: null,
  readOnly: false,
  expiresAt: null,
  rotatedFrom: null,
};

/**
 * Key lookups are cached this long. On PostgreSQL a revocation or a membership change on another
 * instance reaches this one through the change feed at once (triggers 0080 and 0300); the bound
 * matters only while that feed's LISTEN connection is down.
 */
const CACHE_TTL_MS = 30_000;
/**
 * `last_used_at` is written at most this often per key: the hot path must not write per request,
 * and the keys list must not lag by more than a few seconds.
 */
const TOUCH_INTERVAL_MS = 5_000;

/** SHA-256 (hex) of a key: what the database stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new secret: `pl_` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  return `pl_${randomBytes(32).toString('base64url')}`;
}

function publicKey(key: StoredKey): ApiKey {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    user: key.user,
    createdAt: key.createdAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
    environments: key.environments,
    promptPrefix: key.promptPrefix,
    readOnly: key.readOnly,
    expiresAt: key.expiresAt,
    rotatedFrom: key.rotatedFrom,
  };
}

/** API keys: creation (shown once), listing, revocation and the cached lookup behind every request. */
export function createAuthService({
  database,
  clock,
  audit,
  users,
  changeFeed,
  environmentNames,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  users: UserService;
  /** The project's environment names: a key limited to environments must name existing ones. */
  environmentNames?: (projectId: number) => Promise<string[]>;
  /** Carries revocations made on other instances (PostgreSQL); absent or local: this instance only. */
  changeFeed?: ChangeFeed;
}) {
  const store = createApiKeyStore();
  // Keyed by the secret itself: the process holds it per request anyway, and hashing it on every
  // request was a visible share of the resolve hot path.
  const cache = new Map<string, { principal: Principal | null; expires: number }>();
  const touched = new Map<number, number>();
  // Bumped by every invalidation: a lookup that started before one must not cache what it read.
  let generation = 0;

  /** Forgets `keyId` (null: every key), and every known-bad entry (the key may be restored). */
  function forget(keyId: number | null): void {
    generation++;
    if (keyId === null) {
      cache.clear();
      return;
    }
    for (const [secret, entry] of cache) {
      if (entry.principal === null || entry.principal.keyId === keyId) cache.delete(secret);
    }
  }
  changeFeed?.subscribeKeys?.(forget);

  function touch(principal: Principal): void {
    const keyId = principal.keyId;
    if (keyId === null) return;
    const at = clock.now();
    const now = at.getTime();
    const last = touched.get(keyId);
    if (last !== undefined && Math.abs(now - last) < TOUCH_INTERVAL_MS) return;
    touched.set(keyId, now);
    store.touch(database.db, keyId, at.toISOString()).catch(() => {
      // Best effort: a missed last-used stamp must never fail a request.
    });
  }

  async function insertKey(
    trx: Db,
    projectId: number,
    userId: number,
    key: string,
    name: string,
    role: Role,
    actor: string,
    limits: KeyLimits = NO_LIMITS,
  ) {
    const stored = await store.insert(trx, {
      projectId,
      userId,
      name,
      role,
      prefix: key.slice(0, 10),
      keyHash: hashApiKey(key),
      createdAt: isoNow(clock),
      ...limits,
    });
    const scoped = Object.fromEntries(
      Object.entries(limits).filter(([, value]) => value !== null && value !== false),
    );
    await audit.append(trx, {
      projectId,
      actor,
      action: 'api_key.create',
      targetType: 'api_key',
      target: String(stored.id),
      data: {
        after: { id: stored.id, name, role, prefix: stored.prefix, user: stored.user.email, ...scoped },
      },
    });
    return stored;
  }

  /** Checks a new key's limits: known environments, an expiry in the future. */
  async function limitsOf(
    projectId: number,
    input: {
      environments?: string[] | undefined;
      promptPrefix?: string | undefined;
      readOnly?: boolean;
      expiresAt?: string | undefined;
    },
  ): Promise<KeyLimits> {
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined) {
      const at = Date.parse(input.expiresAt);
      if (at <= clock.now().getTime()) {
        throw new AppError('VALIDATION_FAILED', `expiresAt ${input.expiresAt} is not in the future.`, {
          errors: [{ path: 'expiresAt', message: 'must be in the future' }],
        });
      }
      expiresAt = new Date(at).toISOString();
    }
    let environments: string[] | null = null;
    if (input.environments !== undefined) {
      environments = [...new Set(input.environments)].sort();
      const known = new Set(environmentNames ? await environmentNames(projectId) : environments);
      const unknown = environments.filter((env) => !known.has(env));
      if (unknown.length > 0) {
        throw new AppError('ENVIRONMENT_NOT_FOUND', `No environment named ${unknown.join(', ')}.`, {
          hint: 'List environments with GET /api/v1/environments.',
        });
      }
    }
    return {
      environments,
      promptPrefix: input.promptPrefix ?? null,
      readOnly: input.readOnly ?? false,
      expiresAt,
      rotatedFrom: null,
    };
  }

  return {
    /**
     * Creates a key and returns it with its secret, the only time the secret is shown. The key acts
     * as `input.user` (an email; created as an invited or service account and added to the project
     * with the key's role when new) or else as the creator's user.
     * @throws AppError KEY_ROLE_ABOVE_MEMBER when the user's role in the project is below the key's.
     */
    async create(
      projectId: number,
      input: {
        name: string;
        role: Role;
        user?: string | undefined;
        account?: 'invited' | 'service';
        environments?: string[] | undefined;
        promptPrefix?: string | undefined;
        readOnly?: boolean;
        expiresAt?: string | undefined;
      },
      creator: { userId: number; name: string },
    ): Promise<CreatedApiKey> {
      const key = generateApiKey();
      const limits = await limitsOf(projectId, input);
      // An application key reads and reports, nothing more: its role is viewer whatever was asked.
      const role: Role = limits.readOnly ? 'viewer' : input.role;
      input = { ...input, role };
      const stored = await database.db.transaction().execute(async (trx) => {
        let userId = creator.userId;
        if (input.user !== undefined) {
          const { user } = await users.ensureUser(trx, {
            email: input.user,
            status: input.account === 'service' ? 'service' : 'invited',
          });
          userId = user.id;
        }
        const memberRole = await users.ensureMember(trx, projectId, userId, input.role);
        if (!roleAtLeast(memberRole, input.role)) {
          const who = input.user ?? 'your user';
          throw new AppError(
            'KEY_ROLE_ABOVE_MEMBER',
            `A key acting as ${who} cannot be ${input.role}: ${who} is ${memberRole} in this project.`,
            {
              hint: `Raise the member's role first (PUT /api/v1/members with "role": "${input.role}"), or create a ${memberRole} key.`,
            },
          );
        }
        return insertKey(trx, projectId, userId, key, input.name, input.role, creator.name, limits);
      });
      return { ...publicKey(stored), key };
    },

    /**
     * Rotates a key: a new secret with the same name, role, user and limits; the old one keeps
     * working for `graceSeconds` (0: stops at once), then is refused with KEY_EXPIRED.
     * @throws AppError API_KEY_NOT_FOUND; KEY_EXPIRED when the key is revoked or already expired.
     */
    async rotate(projectId: number, id: number, graceSeconds: number, actor: string): Promise<CreatedApiKey> {
      const key = generateApiKey();
      const now = clock.now().getTime();
      const stored = await database.db.transaction().execute(async (trx) => {
        const old = await store.findById(trx, projectId, id);
        if (!old) {
          throw new AppError('API_KEY_NOT_FOUND', `No API key with id ${id}.`, {
            hint: 'List keys with GET /api/v1/api-keys.',
          });
        }
        if (old.revokedAt !== null || (old.expiresAt !== null && Date.parse(old.expiresAt) <= now)) {
          throw new AppError(
            'KEY_EXPIRED',
            `Key ${id} ("${old.name}") is ${old.revokedAt ? 'revoked' : 'expired'}: there is nothing to rotate.`,
            { hint: 'Create a new key with POST /api/v1/api-keys.' },
          );
        }
        const graceEnds = now + graceSeconds * 1000;
        const oldEnds =
          old.expiresAt !== null && Date.parse(old.expiresAt) < graceEnds
            ? old.expiresAt
            : new Date(graceEnds).toISOString();
        await store.expire(trx, projectId, id, oldEnds);
        const created = await insertKey(trx, projectId, old.user.id, key, old.name, old.role, actor, {
          environments: old.environments,
          promptPrefix: old.promptPrefix,
          readOnly: old.readOnly,
          expiresAt: old.expiresAt,
          rotatedFrom: old.id,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'api_key.rotate',
          targetType: 'api_key',
          target: String(id),
          data: {
            before: { id, expiresAt: old.expiresAt },
            after: { expiresAt: oldEnds, replacedBy: created.id },
          },
        });
        return created;
      });
      forget(id);
      return { ...publicKey(stored), key };
    },

    /**
     * Registers a given secret (e.g. `PROMPTLINE_API_KEY`); a no-op when it is already registered
     * and active. A revoked one is restored (audited as `api_key.restore`): the operator configured
     * it, so starting with it must not lock them out. `restored` tells the caller to log it.
     */
    async register(
      projectId: number,
      key: string,
      name: string,
      role: Role,
    ): Promise<{ key: ApiKey; restored: boolean }> {
      const existing = await store.findByHash(database.db, hashApiKey(key));
      if (!existing) {
        const stored = await database.db.transaction().execute(async (trx) => {
          const user = await users.ensureInstanceAdminService(trx, projectId);
          return insertKey(trx, projectId, user.id, key, name, role, 'system');
        });
        return { key: publicKey(stored), restored: false };
      }
      if (existing.revokedAt === null) return { key: publicKey(existing), restored: false };
      const restored = await database.db.transaction().execute(async (trx) => {
        await store.restore(trx, existing.id);
        await audit.append(trx, {
          projectId: existing.projectId,
          actor: 'system',
          action: 'api_key.restore',
          targetType: 'api_key',
          target: String(existing.id),
          data: {
            before: { id: existing.id, name: existing.name, role: existing.role, revoked: true },
            after: { revoked: false },
          },
        });
        return (await store.findById(trx, existing.projectId, existing.id)) ?? existing;
      });
      forget(null);
      return { key: publicKey(restored), restored: true };
    },

    /** Forgets every cached key: a membership changed (a key's role is capped by its user's). */
    forgetAll(): void {
      forget(null);
    },

    async count(projectId: number): Promise<number> {
      return store.count(database.db, projectId);
    },

    async list(projectId: number): Promise<ApiKey[]> {
      return (await store.list(database.db, projectId)).map(publicKey);
    },

    /**
     * Revokes a key; it stops working on this instance at once.
     * @throws AppError API_KEY_NOT_FOUND; LAST_ADMIN_KEY when it is the project's last active admin key.
     */
    async revoke(projectId: number, id: number, actor: string): Promise<ApiKey> {
      const key = await database.db.transaction().execute(async (trx) => {
        const found = await store.findById(trx, projectId, id);
        if (!found) {
          throw new AppError('API_KEY_NOT_FOUND', `No API key with id ${id}.`, {
            hint: 'List keys with GET /api/v1/api-keys.',
          });
        }
        if (found.revokedAt === null) {
          if (found.role === 'admin') {
            const admins = await store.activeAdminIds(
              trx,
              projectId,
              database.dialect === 'postgres',
              isoNow(clock),
            );
            if (admins.length === 1 && admins[0] === id) {
              throw new AppError(
                'LAST_ADMIN_KEY',
                `Key ${id} ("${found.name}") is the project's last active admin key; revoking it would lock everyone out.`,
                {
                  hint: 'Create another admin key first (POST /api/v1/api-keys with "role": "admin"), then revoke this one.',
                },
              );
            }
          }
          await store.revoke(trx, projectId, id, isoNow(clock));
          await audit.append(trx, {
            projectId,
            actor,
            action: 'api_key.revoke',
            targetType: 'api_key',
            target: String(id),
            data: {
              before: { id, name: found.name, role: found.role, revoked: false },
              after: { revoked: true },
            },
          });
        }
        return (await store.findById(trx, projectId, id)) ?? found;
      });
      forget(id);
      return publicKey(key);
    },

    /**
     * The caller behind a secret from the in-memory cache: a principal, null (known bad key), or
     * undefined when the cache cannot tell and {@link authenticate} must ask the database.
     */
    authenticateCached(secret: string): Principal | null | undefined {
      const now = Date.now();
      const entry = cache.get(secret);
      if (!entry || entry.expires <= now) return undefined;
      if (entry.principal) touch(entry.principal);
      return entry.principal;
    },

    /** The caller behind a secret, or null when the key is unknown or revoked. Cached in memory. */
    async authenticate(secret: string): Promise<Principal | null> {
      const now = Date.now();
      let entry = cache.get(secret);
      if (!entry || entry.expires <= now) {
        const seen = generation;
        const key = await store.findByHash(database.db, hashApiKey(secret));
        const principal = key ? principalOfKey(key) : null;
        entry = { principal, expires: now + CACHE_TTL_MS };
        // Bound the memory a flood of wrong keys could take.
        if (cache.size > 10_000) cache.clear();
        // A revocation heard while reading may be newer than the row read: answer, don't cache.
        if (generation === seen) cache.set(secret, entry);
      }
      if (entry.principal) touch(entry.principal);
      return entry.principal;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
