import { Notification, NotificationPage, NotificationQuery, RowIdParam } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { NotificationService } from './service.ts';

const tags = ['notifications'];

/** In-app notifications: `/api/v1/notifications…`. */
export function registerNotificationRoutes(
  app: FastifyInstance,
  { notifications }: { notifications: NotificationService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/notifications', {
    schema: {
      operationId: 'listNotifications',
      tags,
      summary: 'In-app notifications (alerts firing and resolving), newest first, with the unread count',
      querystring: NotificationQuery,
      response: { 200: NotificationPage, ...problemResponses },
    },
    handler: async (request) => notifications.list(principalOf(request).projectId, request.query),
  });

  r.post('/api/v1/notifications/:id/read', {
    // Reading is what viewers do: marking read changes nothing but the notification's own flag.
    config: { role: 'viewer' },
    schema: {
      operationId: 'markNotificationRead',
      tags,
      summary: 'Mark a notification read',
      params: z.object({ id: RowIdParam }),
      response: { 200: Notification, ...problemResponses },
    },
    handler: async (request) => notifications.markRead(principalOf(request).projectId, request.params.id),
  });
}
