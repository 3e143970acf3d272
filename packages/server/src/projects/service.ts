import { AppError, type CreatedProject, type ProjectSummary } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { AuthService, Principal } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import { type Database, isUniqueViolation } from '../db/database.ts';
import type { EnvironmentService } from '../environments/service.ts';
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
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  users: UserService;
  environments: Pick<EnvironmentService, 'seedDefaults'>;
  auth: Pick<AuthService, 'create'>;
}) {
  const store = createProjectStore();

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
     * Creates a project with the default environments, its creator as admin member, and an admin
     * key acting as the creator (its secret answered once).
     * @throws AppError INSTANCE_ADMIN_REQUIRED, PROJECT_EXISTS.
     */
    async create(principal: Principal, name: string): Promise<CreatedProject> {
      const user = await users.get(principal.userId);
      if (!user.instanceAdmin) {
        throw new AppError('INSTANCE_ADMIN_REQUIRED', 'Only an instance admin creates projects.', {
          hint: 'Ask an instance admin (the first admin, or the PROMPTLINE_API_KEY key) to create it.',
        });
      }
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
