/** The SQL of in-app notifications. */
import type { Notification } from '@promptline/core';
import { type Generated, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

interface NotificationsTable {
  id: Generated<number>;
  project_id: number;
  kind: string;
  title: string;
  body: string;
  data: string;
  created_at: string;
  read_at: string | null;
}

const own = (db: Db) => db.withTables<{ notifications: NotificationsTable }>();
const Data = z.record(z.string(), z.unknown());

function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: decodeJsonAs(Data, row.data, 'notification data'),
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

export function createNotificationStore() {
  return {
    async insert(db: Db, projectId: number, n: Omit<Notification, 'id' | 'readAt'>): Promise<void> {
      await own(db)
        .insertInto('notifications')
        .values({
          project_id: projectId,
          kind: n.kind,
          title: n.title,
          body: n.body,
          data: encodeJson(n.data),
          created_at: n.createdAt,
          read_at: null,
        })
        .execute();
    },

    async list(
      db: Db,
      projectId: number,
      filter: { unread: boolean; before?: number | undefined; limit: number },
    ): Promise<Notification[]> {
      let q = own(db).selectFrom('notifications').selectAll().where('project_id', '=', projectId);
      if (filter.unread) q = q.where('read_at', 'is', null);
      if (filter.before !== undefined) q = q.where('id', '<', filter.before);
      return (await q.orderBy('id', 'desc').limit(filter.limit).execute()).map(toNotification);
    },

    async unreadCount(db: Db, projectId: number): Promise<number> {
      const row = await own(db)
        .selectFrom('notifications')
        .select(sql<number>`count(*)`.as('n'))
        .where('project_id', '=', projectId)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      return toNumber(row?.n ?? 0);
    },

    /** Marks one as read; answers false when the project has no such notification. */
    async markRead(db: Db, projectId: number, id: number, at: string): Promise<Notification | undefined> {
      const row = await own(db)
        .updateTable('notifications')
        .set({ read_at: sql`coalesce(read_at, ${at})` })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toNotification(row) : undefined;
    },
  };
}
