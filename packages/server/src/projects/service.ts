import {
  AppError,
  type CreatedProject,
  type EnteredProject,
  type ProjectSummary,
  type Role,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { AuthService, Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import { type Database, type Db, isUniqueViolation } from '../db/database.ts';
import type { EnvironmentService } from '../environments/service.ts';
import type { SecurityLog } from '../security/service.ts';
import type { UserService } from '../users/service.ts';
import { createProjectStore } from './store.ts';

/**
 * Projects (tenants): instance admins create them; each starts with the default environments and
 * its creator as admin member. Everything else is scoped by the project of the caller's key or
 * session, so a project never sees another's data.
 */
export function createProjectService({
  database,
  clock,
  audit,
  users,
  environments,
  auth,
  security,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  users: UserService;
  environments: Pick<EnvironmentService, 'seedDefaults'>;
  auth: Pick<AuthService, 'create'>;
  /** The instance security log, where instance-admin access to a project is recorded too. */
  security: Pick<SecurityLog, 'append'>;
}) {
  const store = createProjectStore();

  async function requireInstanceAdmin(principal: Principal, what: string) {
    const user = await users.get(principal.userId);
    if (!user.instanceAdmin) {
      throw new AppError('INSTANCE_ADMIN_REQUIRED', `Only an instance admin ${what}.`, {
        hint: 'Ask an instance admin (the first admin, or the PROMPTLINE_API_KEY key), or an admin of the project to add you (PUT /api/v1/members).',
      });
    }
    return user;
  }

  /**
   * Makes an instance admin admin of a project (inside the caller's transaction), audited in that
   * project as `project.instance_admin_access` — so its own admins see who came in — and in the
   * instance security log. A no-op for someone already admin of it.
   */
  async function grantAccess(
    trx: Db,
    principal: Principal,
    user: { id: number; email: string },
    project: { id: number; name: string },
    via: 'session' | 'key',
  ): Promise<void> {
    const previousRole: Role | null = (await users.roleIn(project.id, user.id, trx)) ?? null;
    if (previousRole === 'admin') return;
    await users.syncRole(trx, project.id, user.id, 'admin', principal.name);
    const data = { via, previousRole, instanceAdmin: user.email };
    await audit.append(trx, {
      projectId: project.id,
      actor: principal.name,
      action: 'project.instance_admin_access',
      targetType: 'project',
      target: project.name,
      data,
    });
    await security.append(trx, {
      type: 'project.instance_admin_access',
      email: user.email,
      actor: principal.name,
      projectId: project.id,
      data,
    });
  }

  async function projectOrThrow(projectId: number) {
    const project = await store.findById(database.db, projectId);
    if (!project) {
      throw new AppError('PROJECT_NOT_FOUND', `No project #${projectId}.`, {
        hint: 'List projects with GET /api/v1/projects (`promptline projects list`).',
      });
    }
    return project;
  }

  return {
    /**
     * The projects the caller's user belongs to, with their role; an instance admin sees every
     * project (role null where not a member).
     */
    async list(principal: Principal): Promise<ProjectSummary[]> {
      const user = await users.get(principal.userId);
      const mine = await users.projectsOf(principal.userId);
      const roles = new Map(mine.map((p) => [p.id, p.role]));
      const all = user.instanceAdmin ? await store.listAll(database.db) : mine;
      return all.map((p) => ({
        id: p.id,
        name: p.name,
        role: roles.get(p.id) ?? null,
        current: p.id === principal.projectId,
      }));
    },

    /**
     * An instance admin enters a project: becomes its admin (audited there and in the security log)
     * and gets an admin key of it acting as them, expiring after `expiresInHours` — the way in for
     * the CLI and scripts, whose keys stay in their own project.
     * @throws AppError INSTANCE_ADMIN_REQUIRED, PROJECT_NOT_FOUND.
     */
    async enter(principal: Principal, projectId: number, expiresInHours: number): Promise<EnteredProject> {
      const user = await requireInstanceAdmin(principal, 'enters a project it is not a member of');
      const project = await projectOrThrow(projectId);
      await database.db.transaction().execute((trx) => grantAccess(trx, principal, user, project, 'key'));
      const expiresAt = new Date(clock.now().getTime() + expiresInHours * 3_600_000).toISOString();
      const key = await auth.create(
        project.id,
        { name: `instance admin access (${user.email})`, role: 'admin', expiresAt },
        { userId: user.id, name: principal.name },
      );
      return {
        project: {
          id: project.id,
          name: project.name,
          role: 'admin',
          current: project.id === principal.projectId,
        },
        apiKey: { id: key.id, name: key.name, key: key.key, expiresAt },
      };
    },

    /**
     * Before a person's session moves to a project: a member goes as they are; an instance admin who
     * is not a member enters it as admin ({@link enter}'s rules, without a key); anyone else is refused.
     * @throws AppError PROJECT_NOT_MEMBER, PROJECT_NOT_FOUND.
     */
    async prepareSwitch(principal: Principal, projectId: number): Promise<void> {
      if (await users.roleIn(projectId, principal.userId)) return;
      const user = await users.get(principal.userId);
      if (!user.instanceAdmin) {
        throw new AppError('PROJECT_NOT_MEMBER', `You are not a member of project ${projectId}.`, {
          hint: 'List your projects with GET /api/v1/projects; an admin of the project can add you.',
        });
      }
      const project = await projectOrThrow(projectId);
      await database.db.transaction().execute((trx) => grantAccess(trx, principal, user, project, 'session'));
    },

    /**
     * Creates a project with the default environments, its creator as admin member, and an admin
     * key acting as the creator (its secret answered once).
     * @throws AppError INSTANCE_ADMIN_REQUIRED, PROJECT_EXISTS.
     */
    async create(principal: Principal, name: string): Promise<CreatedProject> {
      const user = await requireInstanceAdmin(principal, 'creates projects');
      let id: number;
      try {
        id = await database.db.transaction().execute(async (trx) => {
          const at = isoNow(clock);
          const projectId = await store.insert(trx, name, at);
          await environments.seedDefaults(trx, projectId, at);
          await users.syncRole(trx, projectId, user.id, 'admin', principal.name);
          await audit.append(trx, {
            projectId,
            actor: principal.name,
            action: 'project.create',
            targetType: 'project',
            target: name,
            data: { after: { id: projectId, name, admin: user.email } },
          });
          return projectId;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new AppError('PROJECT_EXISTS', `A project named "${name}" exists already.`, {
          hint: 'Pick another name, or list projects with GET /api/v1/projects.',
        });
      }
      const key = await auth.create(
        id,
        { name: `admin of ${name}`, role: 'admin' },
        { userId: user.id, name: principal.name },
      );
      return {
        project: { id, name, role: 'admin', current: false },
        apiKey: { id: key.id, name: key.name, key: key.key },
      };
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
