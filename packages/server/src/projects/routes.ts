import {
  CreatedProject,
  CreateProjectRequest,
  EnteredProject,
  EnterProjectRequest,
  listOf,
  ProjectSummary,
  RowId,
  RowIdParam,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { sessionTokenOf } from '../session/cookie.ts';
import type { SessionService } from '../session/service.ts';
import type { ProjectService } from './service.ts';

const tags = ['projects'];

/** Projects (`/api/v1/projects`) and the web app's project switcher (`PUT /api/v1/session/project`). */
export function registerProjectRoutes(
  app: FastifyInstance,
  { projects, sessions }: { projects: ProjectService; sessions: SessionService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/projects', {
    schema: {
      operationId: 'listProjects',
      tags,
      summary: "The caller's projects with their role (an instance admin: every project)",
      response: { 200: listOf(ProjectSummary), ...problemResponses },
    },
    handler: async (request) => ({ items: await projects.list(principalOf(request)) }),
  });

  r.post('/api/v1/projects', {
    // Any member may ask; the service requires an instance admin (a role in one project says nothing of the instance).
    config: { role: 'viewer' },
    schema: {
      operationId: 'createProject',
      tags,
      summary:
        'Create a project (instance admins): default environments, you as admin, an admin key shown once',
      body: CreateProjectRequest,
      response: { 201: CreatedProject, ...problemResponses },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await projects.create(principalOf(request), request.body.name)),
  });

  r.post('/api/v1/projects/:id/enter', {
    // Any admin key or session; the service requires an instance admin.
    config: { role: 'admin' },
    schema: {
      operationId: 'enterProject',
      tags,
      summary: 'Enter any project (instance admins): become its admin, get an expiring admin key of it',
      description:
        "Makes the caller's person admin of the project (audited there as `project.instance_admin_access`, and in the instance security log) and answers an admin key of it acting as them, shown once, expiring after `expiresInHours` (default 24). `403 INSTANCE_ADMIN_REQUIRED` for anyone who does not administer the instance.",
      params: z.object({ id: RowIdParam }),
      body: EnterProjectRequest,
      response: { 201: EnteredProject, ...problemResponses },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await projects.enter(principalOf(request), request.params.id, request.body.expiresInHours)),
  });

  r.put('/api/v1/session/project', {
    config: { role: 'viewer' },
    schema: {
      operationId: 'switchProject',
      tags: ['session'],
      summary: "Switch the browser session to another of the person's projects",
      description:
        "Only a person's session switches (`409 SESSION_PROJECT_FIXED` for a key or a key's session: a key belongs to one project); the person must be a member (`403 PROJECT_NOT_MEMBER`) — or an instance admin, who enters any project as its admin (audited there as `project.instance_admin_access`).",
      body: z.object({ projectId: RowId }),
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const token = request.headers.authorization ? undefined : sessionTokenOf(request);
      // A bearer key has no session to move: answered like a key's session (SESSION_PROJECT_FIXED).
      if (token && (await sessions.isPersonSession(token))) {
        await projects.prepareSwitch(principalOf(request), request.body.projectId);
      }
      await sessions.switchProject(token ?? '', request.body.projectId);
      return reply.code(204).send(null);
    },
  });
}
