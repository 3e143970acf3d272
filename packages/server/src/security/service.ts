import {
  AppError,
  GENESIS_HASH,
  normalizeEmail,
  type SecurityEvent,
  type SecurityEventPage,
  type SecurityEventType,
  type SecurityLogVerification,
  securityEventHash,
} from '@promptline/core';
import type { Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import { encodeJson } from '../db/codecs.ts';
import type { Database, Db } from '../db/database.ts';
import { nextCursor } from '../paging.ts';
import { createSecurityStore, type SecurityQuery } from './store.ts';

/** What a security event records about itself. */
export interface SecurityEventInput {
  type: SecurityEventType;
  /** The person's email when known. */
  email?: string | undefined;
  /** Who caused it: the person, `system`, or `anonymous`. */
  actor: string;
  /** The project it concerns, when there is one. */
  projectId?: number | null | undefined;
  data: Record<string, unknown>;
}

/** Events read per query while verifying: bounds memory whatever the log's length. */
const VERIFY_PAGE = 1_000;

/**
 * The instance's security log: sign-ins, refused sign-ins, lockouts, sign-outs and instance-admin
 * access to projects, of every person of the instance. A project's audit log must not name people
 * of other projects (a refused sign-in belongs to no project), so these go here, readable only by
 * instance admins. Append-only and hash-chained (one chain for the instance).
 */
export function createSecurityLog({
  database,
  clock,
  isInstanceAdmin,
}: {
  database: Database;
  clock: Clock;
  /** Whether a user administers the instance (users feature). */
  isInstanceAdmin: (userId: number) => Promise<boolean>;
}) {
  const store = createSecurityStore(database.dialect);

  async function requireInstanceAdmin(principal: Principal): Promise<void> {
    if (!(await isInstanceAdmin(principal.userId))) {
      throw new AppError(
        'INSTANCE_ADMIN_REQUIRED',
        'The security log names people of every project: only an instance admin reads it.',
        { hint: 'Ask an instance admin (the first admin, or the PROMPTLINE_API_KEY key).' },
      );
    }
  }

  async function append(trx: Db, input: SecurityEventInput): Promise<void> {
    await store.lock(trx);
    const last = await store.last(trx);
    const prevHash = last?.hash ?? GENESIS_HASH;
    // Round-trip through JSON so what is hashed is exactly what is stored and read back.
    const data = encodeJson(input.data);
    const email = input.email ? normalizeEmail(input.email) : '';
    const row = {
      type: input.type,
      email,
      actor: input.actor,
      projectId: input.projectId ?? null,
      data,
      at: isoNow(clock),
      prevHash,
    };
    const id = await store.insert(trx, row);
    const hash = securityEventHash(prevHash, {
      ...row,
      id,
      email: email === '' ? null : email,
      data: JSON.parse(data) as Record<string, unknown>,
    });
    await store.seal(trx, id, hash);
  }

  return {
    /** Appends an event inside the caller's transaction (the sign-in it records). */
    append,

    /** Appends an event in a transaction of its own (a refusal: nothing else is written). */
    async record(input: SecurityEventInput): Promise<void> {
      await database.db.transaction().execute((trx) => append(trx, input));
    },

    /**
     * One page of events, newest first.
     * @throws AppError INSTANCE_ADMIN_REQUIRED.
     */
    async list(principal: Principal, query: SecurityQuery): Promise<SecurityEventPage> {
      await requireInstanceAdmin(principal);
      const items = await store.list(database.db, {
        ...query,
        email: query.email === undefined ? undefined : normalizeEmail(query.email),
      });
      return { items, nextCursor: nextCursor(items, query.limit) };
    },

    /**
     * Recomputes the chain from the first event: the first broken link, if any.
     * @throws AppError INSTANCE_ADMIN_REQUIRED.
     */
    async verify(principal: Principal): Promise<SecurityLogVerification> {
      await requireInstanceAdmin(principal);
      let expectedPrev = GENESIS_HASH;
      let checked = 0;
      let afterId = 0;
      const broken = (event: SecurityEvent, reason: string): SecurityLogVerification => ({
        ok: false,
        checked,
        brokenAt: event.id,
        reason,
        head: null,
      });
      for (;;) {
        const page = await store.pageFrom(database.db, afterId, VERIFY_PAGE);
        for (const event of page) {
          checked++;
          if (event.prevHash !== expectedPrev) {
            return broken(
              event,
              `event ${event.id} does not link to the event before it: an event was deleted, or the one before it altered`,
            );
          }
          if (securityEventHash(event.prevHash, event) !== event.hash) {
            return broken(
              event,
              `event ${event.id} does not match its hash: it was altered after it was written`,
            );
          }
          expectedPrev = event.hash;
          afterId = event.id;
        }
        if (page.length < VERIFY_PAGE) break;
      }
      return { ok: true, checked, brokenAt: null, reason: null, head: checked === 0 ? null : expectedPrev };
    },
  };
}

export type SecurityLog = ReturnType<typeof createSecurityLog>;
