import { AppError, normalizeEmail, type Role } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { Database, Db } from '../db/database.ts';
import type { SecurityLog } from '../security/service.ts';
import type { UserService } from '../users/service.ts';
import type { SessionService } from './service.ts';
import type { SignInMethod } from './store.ts';

/** What a person's sign-in opened. */
export interface PersonSession {
  token: string;
  userId: number;
  email: string;
  projectId: number;
  role: Role;
}

/** How a person who proved their email joins or keeps their place. */
export interface PersonSignInInput {
  email: string;
  name?: string | undefined;
  method: SignInMethod;
  /** Create the user when unknown (SSO), or refuse (passwords belong to known users). */
  create: boolean;
  /** The role a newcomer joins the default project with (PROMPTLINE_OIDC_DEFAULT_ROLE or a mapped group). */
  joinRole: Role;
  /** A role the identity provider asserts (group mapping): applied to an existing member too. */
  assertedRole?: Role | undefined;
  /** The client's address, for the security log. */
  address?: string | undefined;
  /** Make this person admin when no person administers the instance (SSO; default true). */
  promoteFirstAdmin?: boolean;
}

/**
 * Signs a person in once their identity is proven (by the OpenID provider or a password): creates
 * or activates the user, applies the joining rules, opens the session and audits it — in one
 * transaction, so a sign-in is either complete or leaves nothing behind. The first person to sign
 * in while no person administers the instance becomes instance admin and admin of the default
 * project. Failures and lockouts go to the instance security log only ({@link fail}).
 */
export function createPersonSignIn({
  database,
  audit,
  security,
  users,
  sessions,
  defaultProjectId,
  claimInvitations,
}: {
  database: Database;
  audit: AuditService;
  security: Pick<SecurityLog, 'append' | 'record'>;
  users: UserService;
  sessions: SessionService;
  /** The project newcomers join. */
  defaultProjectId: (db: Db) => Promise<number>;
  /** Makes a person who proved their email a member wherever they were invited (invitations). */
  claimInvitations?: (trx: Db, userId: number, email: string) => Promise<void>;
}) {
  async function chooseProject(trx: Db, userId: number, preferred: number) {
    const projects = await users.projectsOf(userId, trx);
    return projects.find((p) => p.id === preferred) ?? projects[0];
  }

  return {
    /**
     * @throws AppError ACCOUNT_NOT_ALLOWED for a service account, an unknown user when `create` is
     * false, or a person who belongs to no project.
     */
    async signIn(input: PersonSignInInput): Promise<PersonSession> {
      const email = normalizeEmail(input.email);
      return database.db.transaction().execute(async (trx) => {
        const projectId = await defaultProjectId(trx);
        const firstAdmin = (input.promoteFirstAdmin ?? true) && !(await users.hasAdminPerson(trx));
        let user = await users.findByEmail(email, trx);
        if (user?.status === 'service') {
          throw new AppError(
            'ACCOUNT_NOT_ALLOWED',
            `${email} is a service account: it acts through API keys and never signs in.`,
          );
        }
        let joined: Role | null = null;
        if (!user) {
          if (!input.create) {
            throw new AppError(
              'ACCOUNT_NOT_ALLOWED',
              `No account for ${email}. Ask an admin for an invitation.`,
            );
          }
          user = (
            await users.ensureUser(trx, {
              email,
              name: input.name,
              status: 'active',
              instanceAdmin: firstAdmin,
            })
          ).user;
          joined = firstAdmin ? 'admin' : input.joinRole;
          await users.ensureMember(trx, projectId, user.id, joined);
        } else {
          await users.activate(trx, user, { name: input.name, instanceAdmin: firstAdmin });
        }
        await claimInvitations?.(trx, user.id, email);
        if (firstAdmin) {
          await users.syncRole(trx, projectId, user.id, 'admin', email);
        } else if (input.assertedRole && !joined) {
          await users.syncRole(trx, projectId, user.id, input.assertedRole, email);
        }
        const project = await chooseProject(trx, user.id, projectId);
        if (!project) {
          throw new AppError(
            'ACCOUNT_NOT_ALLOWED',
            `${email} is not a member of any project. Ask an admin to add you (PUT /api/v1/members).`,
          );
        }
        const token = await sessions.openForUser(trx, {
          userId: user.id,
          projectId: project.id,
          method: input.method,
        });
        const data = { method: input.method, role: project.role, joined, firstAdmin };
        // The project the session opens in sees its member come in; the instance sees everyone.
        await audit.append(trx, {
          projectId: project.id,
          actor: email,
          action: 'session.sign_in',
          targetType: 'user',
          target: email,
          data,
        });
        await security.append(trx, {
          type: 'session.sign_in',
          email,
          actor: email,
          projectId: project.id,
          data: { ...data, ...(input.address ? { address: input.address } : {}) },
        });
        return { token, userId: user.id, email, projectId: project.id, role: project.role };
      });
    },

    /**
     * Records a lockout in the instance security log (not in a project's audit log: the email may
     * be of no project, or of another than the default one).
     */
    async record(type: 'session.locked', email: string, data: Record<string, unknown>): Promise<void> {
      await security.record({ type, email, actor: 'system', data });
    },

    /**
     * Records a refused sign-in in the instance security log and answers the error to throw. Not in
     * a project's audit log: the person may belong to no project, or to one whose admins are not
     * the default project's.
     */
    async fail(
      method: SignInMethod,
      error: AppError,
      who: { email?: string | undefined; detail?: string | undefined; address?: string | undefined } = {},
    ): Promise<AppError> {
      await security.record({
        type: 'session.sign_in_failed',
        email: who.email,
        actor: who.email ?? 'anonymous',
        data: {
          method,
          code: error.code,
          ...(who.detail ? { detail: who.detail.slice(0, 500) } : {}),
          ...(who.address ? { address: who.address } : {}),
        },
      });
      return error;
    },
  };
}

export type PersonSignIn = ReturnType<typeof createPersonSignIn>;
