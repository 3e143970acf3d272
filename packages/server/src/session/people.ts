import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import type { AuthService } from '../auth/service.ts';
import type { Clock } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { problemResponses } from '../http/schemas.ts';
import { createFirstRun } from '../invitations/first-run.ts';
import { registerInvitationRoutes } from '../invitations/routes.ts';
import { createInvitationService } from '../invitations/service.ts';
import { registerOidcRoutes } from '../oidc/routes.ts';
import { createOidcService } from '../oidc/service.ts';
import type { OidcSettings } from '../oidc/settings.ts';
import { registerPasswordRoutes } from '../passwords/routes.ts';
import { createPasswordService, type PasswordSettings } from '../passwords/service.ts';
import { DEFAULT_PROJECT } from '../projects/seed.ts';
import type { createProjectStore } from '../projects/store.ts';
import type { SecurityLog } from '../security/service.ts';
import type { UserService } from '../users/service.ts';
import type { SessionService } from './service.ts';
import { createPersonSignIn } from './sign-in.ts';
import { projectName } from './store.ts';

/** `GET /api/v1/auth/methods`: what the sign-in page offers. */
export const SignInMethods = z.object({
  apiKey: z.literal(true),
  /** Email and password (`POST /api/v1/session/password`), for people an admin or an invitation gave one. */
  password: z.boolean(),
  /** Single sign-on with the configured OpenID Connect provider (`GET /auth/oidc/login`). */
  sso: z.boolean(),
});

/**
 * People signing in (not keys): single sign-on when configured, and the sign-in page's list of
 * methods. Every way shares one person sign-in (joining rules, session, audit).
 */
export function registerPeopleSignIn(
  app: FastifyInstance,
  deps: {
    database: Database;
    clock: Clock;
    audit: AuditService;
    /** The instance security log: sign-ins, refusals, lockouts. */
    security: SecurityLog;
    users: UserService;
    sessions: SessionService;
    /** Checks the first-run screen's bootstrap key. */
    auth: Pick<AuthService, 'authenticate'>;
    /** The store of projects app.ts builds (the default project is where people join). */
    projects: Pick<ReturnType<typeof createProjectStore>, 'findByName'>;
    oidc?: OidcSettings | (() => OidcSettings) | undefined;
    passwords?: PasswordSettings | undefined;
  },
): void {
  const projects = deps.projects;
  const defaultProjectId = async (db: Db) => {
    const project = await projects.findByName(db, DEFAULT_PROJECT);
    if (!project) throw new Error('the default project is missing: the server was not bootstrapped');
    return project.id;
  };
  // Invitations set passwords through the passwords feature, built below (called only later).
  const invitations = createInvitationService({
    ...deps,
    setPassword: (trx, userId, password) => passwords.setIn(trx, userId, password),
    hasPassword: (db, userId) => passwords.hasPassword(db, userId),
    verifyPassword: (db, userId, password) => passwords.verifyFor(db, userId, password),
    passwordGuard: {
      guardAttempt: (email, address) => passwords.guardAttempt(email, address),
      countWrong: (email, error, address) => passwords.countWrong(email, error, address),
    },
    projectName,
  });
  const people = createPersonSignIn({ ...deps, defaultProjectId, claimInvitations: invitations.claim });
  const settings = deps.oidc;
  const oidc = settings
    ? createOidcService({
        ...deps,
        settings: typeof settings === 'function' ? settings : () => settings,
        people,
        logger: app.log,
      })
    : undefined;
  registerOidcRoutes(app, { oidc });
  const passwords = createPasswordService({ ...deps, people, settings: deps.passwords });
  registerPasswordRoutes(app, { passwords });
  const firstRun = createFirstRun({
    ...deps,
    invitations,
    setPassword: (trx, userId, password) => passwords.setIn(trx, userId, password),
    defaultProjectId,
  });
  registerInvitationRoutes(app, { invitations, firstRun });

  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/auth/methods', {
    config: { public: true },
    schema: {
      operationId: 'signInMethods',
      tags: ['session'],
      summary: 'How one may sign in here: API key, password, single sign-on',
      security: [],
      response: { 200: SignInMethods, ...problemResponses },
    },
    handler: async () => ({ apiKey: true as const, password: true, sso: oidc !== undefined }),
  });
}
