import { createHash, randomBytes } from 'node:crypto';
import { type ApiKey, AppError, type CreatedApiKey, type Role } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import { createApiKeyStore, type StoredKey } from './store.ts';

/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: number;
  /** The key's name: recorded as author of versions and actor of audit events. */
  name: string;
  role: Role;
  projectId: number;
}

/**
 * Key lookups are cached this long. On PostgreSQL a revocation on another instance reaches this
 * one through the change feed at once; the bound matters only when that feed is down.
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
    createdAt: key.createdAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
  };
}

/** API keys: creation (shown once), listing, revocation and the cached lookup behind every request. */
export function createAuthService({
  database,
  clock,
  audit,
  changeFeed,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
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
    const at = clock.now();
    const now = at.getTime();
    const last = touched.get(principal.keyId);
    if (last !== undefined && Math.abs(now - last) < TOUCH_INTERVAL_MS) return;
    touched.set(principal.keyId, now);
    store.touch(database.db, principal.keyId, at.toISOString()).catch(() => {
      // Best effort: a missed last-used stamp must never fail a request.
    });
  }

  async function insertKey(projectId: number, key: string, name: string, role: Role, actor: string) {
    return database.db.transaction().execute(async (trx) => {
      const stored = await store.insert(trx, {
        projectId,
        name,
        role,
        prefix: key.slice(0, 10),
        keyHash: hashApiKey(key),
        createdAt: isoNow(clock),
      });
      await audit.append(trx, {
        projectId,
        actor,
        action: 'api_key.create',
        targetType: 'api_key',
        target: String(stored.id),
        data: { after: { id: stored.id, name, role, prefix: stored.prefix } },
      });
      return stored;
    });
  }

  return {
    /** Creates a key and returns it with its secret, the only time the secret is shown. */
    async create(
      projectId: number,
      input: { name: string; role: Role },
      actor: string,
    ): Promise<CreatedApiKey> {
      const key = generateApiKey();
      const stored = await insertKey(projectId, key, input.name, input.role, actor);
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
        return { key: publicKey(await insertKey(projectId, key, name, role, 'system')), restored: false };
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
            const admins = await store.activeAdminIds(trx, projectId, database.dialect === 'postgres');
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
        const principal =
          key && key.revokedAt === null
            ? { keyId: key.id, name: key.name, role: key.role, projectId: key.projectId }
            : null;
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
