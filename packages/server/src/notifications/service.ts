/**
 * In-app notifications: what a person signed in to the web app should see without a webhook.
 * Subscribed to the event bus; today alerts firing and resolving become notifications, in the
 * transaction that records the transition.
 */
import { AppError, type Notification, type NotificationPage, type NotificationQuery } from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { EventBus } from '../events/bus.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { createNotificationStore } from './store.ts';

export function createNotificationService({
  database,
  clock,
  events,
}: {
  database: Database;
  clock: Clock;
  events: EventBus;
}) {
  const store = createNotificationStore();

  events.subscribe(async (trx, event) => {
    if (event.type !== 'alert.fired' && event.type !== 'alert.resolved') return;
    const d = event.data;
    const firing = event.type === 'alert.fired';
    await store.insert(trx, event.projectId, {
      kind: event.type,
      title: `${firing ? 'Alert firing' : 'Alert resolved'}: ${String(d.rule)}`,
      body: `${String(d.metric)} = ${String(d.value)} (${String(d.condition)})`,
      data: { ...d, eventId: event.id },
      createdAt: event.at,
    });
  });

  return {
    /** Newest first; `unread` counts every unread one of the project. */
    async list(projectId: number, query: NotificationQuery): Promise<NotificationPage> {
      const items = await store.list(database.db, projectId, {
        unread: query.unread === 'true',
        before: cursorId(query.cursor),
        limit: query.limit,
      });
      return {
        items,
        nextCursor: nextCursor(items, query.limit),
        unread: await store.unreadCount(database.db, projectId),
      };
    },

    /** @throws AppError NOTIFICATION_NOT_FOUND */
    async markRead(projectId: number, id: number): Promise<Notification> {
      const read = await store.markRead(database.db, projectId, id, isoNow(clock));
      if (!read) {
        throw new AppError(
          'NOTIFICATION_NOT_FOUND',
          `No notification ${id}. List them with GET /api/v1/notifications.`,
        );
      }
      return read;
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
