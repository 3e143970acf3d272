import { AppError, normalizeEmail } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { AuthService } from '../auth/service.ts';
import { type Database, type Db, isUniqueViolation } from '../db/database.ts';
import type { SecurityLog } from '../security/service.ts';
import type { SessionService } from '../session/service.ts';
import type { UserService } from '../users/service.ts';
import type { InvitationService } from './service.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const done = () =>
  new AppError('SETUP_DONE', 'This server has an admin already: the first-run screen is closed.', {
    hint: 'Sign in, or ask an admin for an invitation.',
  });

/**
 * The first-run screen: while no person administers the instance, someone on the server's own
 * machine (loopback), or anyone holding the bootstrap key (an admin API key such as
 * `PROMPTLINE_API_KEY`), creates the first admin with a password. It works once: a row in
 * `first_run` guards it, on every instance.
 */
export function createFirstRun({
  database,
  audit,
  security,
  users,
  sessions,
  auth,
  invitations,
  setPassword,
  defaultProjectId,
}: {
  database: Database;
  audit: AuditService;
  /** The instance security log: the first run signs the first admin in. */
  security: Pick<SecurityLog, 'append'>;
  users: UserService;
  sessions: SessionService;
  auth: Pick<AuthService, 'authenticate'>;
  invitations: Pick<InvitationService, 'firstRunDone' | 'recordFirstRun'>;
  setPassword: (trx: Db, userId: number, password: string) => Promise<void>;
  defaultProjectId: (db: Db) => Promise<number>;
}) {
  async function needed(db: Db): Promise<boolean> {
    return !(await invitations.firstRunDone(db)) && !(await users.hasAdminPerson(db));
  }

  return {
    /** Whether the first-run screen is open. */
    needed: () => needed(database.db),

    /**
     * Creates the first admin and opens their session; answers the session token.
     * @throws AppError SETUP_DONE, SETUP_NOT_ALLOWED, ACCOUNT_NOT_ALLOWED (a service account's email).
     */
    async setup(
      input: {
        email: string;
        name?: string | undefined;
        password: string;
        bootstrapKey?: string | undefined;
      },
      address: string,
    ): Promise<string> {
      if (!LOOPBACK.has(address)) {
        const principal = input.bootstrapKey ? await auth.authenticate(input.bootstrapKey) : null;
        if (principal?.role !== 'admin' || principal.scope) {
          throw new AppError(
            'SETUP_NOT_ALLOWED',
            'The first-run screen works from the server itself (127.0.0.1) or with the bootstrap key.',
            {
              hint: 'Open it on the server, or enter the bootstrap key: PROMPTLINE_API_KEY, or the key printed at first start.',
            },
          );
        }
      }
      const email = normalizeEmail(input.email);
      try {
        return await database.db.transaction().execute(async (trx) => {
          if (!(await needed(trx))) throw done();
          await invitations.recordFirstRun(trx, email);
          const { user } = await users.ensureUser(trx, {
            email,
            name: input.name,
            status: 'active',
            instanceAdmin: true,
          });
          if (user.status === 'service') {
            throw new AppError('ACCOUNT_NOT_ALLOWED', `${email} is a service account: it never signs in.`);
          }
          await users.activate(trx, user, { name: input.name, instanceAdmin: true });
          const projectId = await defaultProjectId(trx);
          await users.syncRole(trx, projectId, user.id, 'admin', email);
          await setPassword(trx, user.id, input.password);
          const token = await sessions.openForUser(trx, { userId: user.id, projectId, method: 'password' });
          await audit.append(trx, {
            projectId,
            actor: email,
            action: 'setup.first_admin',
            targetType: 'user',
            target: email,
            data: { via: LOOPBACK.has(address) ? 'loopback' : 'bootstrap key' },
          });
          await security.append(trx, {
            type: 'session.sign_in',
            email,
            actor: email,
            projectId,
            data: { method: 'password', via: 'setup', role: 'admin', firstAdmin: true, address },
          });
          return token;
        });
      } catch (error) {
        // Two first runs at once: the second hits the guard row.
        if (isUniqueViolation(error)) throw done();
        throw error;
      }
    },
  };
}

export type FirstRun = ReturnType<typeof createFirstRun>;
