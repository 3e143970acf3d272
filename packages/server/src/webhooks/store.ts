/** The SQL of webhook subscriptions, deliveries and attempts. */
import {
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  WebhookEventType,
  type WebhookKind,
} from '@promptline/core';
import type { Generated, Selectable } from 'kysely';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

interface WebhooksTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  kind: string;
  url_hint: string;
  target: string;
  events: string;
  enabled: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface DeliveriesTable {
  id: Generated<number>;
  project_id: number;
  webhook_id: number;
  event_id: string;
  event_type: string;
  body: string;
  status: string;
  attempts: number;
  response_status: number | null;
  error: string | null;
  redelivery_of: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

interface AttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  at: string;
  response_status: number | null;
  error: string | null;
  duration_ms: number;
}

const own = (db: Db) =>
  db.withTables<{
    webhooks: WebhooksTable;
    webhook_deliveries: DeliveriesTable;
    webhook_attempts: AttemptsTable;
  }>();

/** A subscription row, decoded; `target` stays encrypted. */
export interface StoredWebhook {
  id: number;
  projectId: number;
  name: string;
  kind: WebhookKind;
  urlHint: string;
  target: string;
  events: WebhookEventType[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredDelivery extends WebhookDelivery {
  projectId: number;
  body: string;
}

const Events = z.array(WebhookEventType);
const STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;

function toWebhook(row: Selectable<WebhooksTable>): StoredWebhook {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    kind: row.kind === 'slack' ? 'slack' : 'webhook',
    urlHint: row.url_hint,
    target: row.target,
    events: decodeJsonAs(Events, row.events, 'webhook events'),
    enabled: decodeBool(row.enabled),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDelivery(row: Selectable<DeliveriesTable>): StoredDelivery {
  return {
    id: row.id,
    projectId: row.project_id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    body: row.body,
    status: STATUSES.find((s) => s === row.status) ?? 'pending',
    attempts: row.attempts,
    responseStatus: row.response_status,
    error: row.error,
    redeliveryOf: row.redelivery_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

export function createWebhookStore() {
  return {
    async insert(
      db: Db,
      input: Omit<StoredWebhook, 'id' | 'target'> & { target: (id: number) => string },
    ): Promise<StoredWebhook> {
      // The target is encrypted bound to the row's id, known only once inserted.
      const row = await own(db)
        .insertInto('webhooks')
        .values({
          project_id: input.projectId,
          name: input.name,
          kind: input.kind,
          url_hint: input.urlHint,
          target: '',
          events: encodeJson(input.events),
          enabled: encodeBool(input.enabled),
          created_by: input.createdBy,
          created_at: input.createdAt,
          updated_at: input.updatedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const updated = await own(db)
        .updateTable('webhooks')
        .set({ target: input.target(row.id) })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWebhook(updated);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredWebhook | undefined> {
      const row = await own(db)
        .selectFrom('webhooks')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toWebhook(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<StoredWebhook[]> {
      const rows = await own(db)
        .selectFrom('webhooks')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(toWebhook);
    },

    /** Enabled subscriptions of a project (filtered by event in the service). */
    async enabled(db: Db, projectId: number): Promise<StoredWebhook[]> {
      const rows = await own(db)
        .selectFrom('webhooks')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('enabled', '=', 1)
        .orderBy('id')
        .execute();
      return rows.map(toWebhook);
    },

    async update(
      db: Db,
      id: number,
      change: Partial<Pick<StoredWebhook, 'name' | 'urlHint' | 'target' | 'events' | 'enabled'>> & {
        updatedAt: string;
      },
    ): Promise<StoredWebhook> {
      const row = await own(db)
        .updateTable('webhooks')
        .set({
          updated_at: change.updatedAt,
          ...(change.name === undefined ? {} : { name: change.name }),
          ...(change.urlHint === undefined ? {} : { url_hint: change.urlHint }),
          ...(change.target === undefined ? {} : { target: change.target }),
          ...(change.events === undefined ? {} : { events: encodeJson(change.events) }),
          ...(change.enabled === undefined ? {} : { enabled: encodeBool(change.enabled) }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWebhook(row);
    },

    async remove(db: Db, id: number): Promise<void> {
      await own(db).deleteFrom('webhooks').where('id', '=', id).execute();
    },

    async insertDelivery(
      db: Db,
      input: Pick<
        StoredDelivery,
        'projectId' | 'webhookId' | 'eventId' | 'eventType' | 'body' | 'redeliveryOf' | 'createdAt'
      >,
    ): Promise<StoredDelivery> {
      const row = await own(db)
        .insertInto('webhook_deliveries')
        .values({
          project_id: input.projectId,
          webhook_id: input.webhookId,
          event_id: input.eventId,
          event_type: input.eventType,
          body: input.body,
          status: 'pending',
          attempts: 0,
          response_status: null,
          error: null,
          redelivery_of: input.redeliveryOf,
          created_at: input.createdAt,
          updated_at: input.createdAt,
          delivered_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDelivery(row);
    },

    async findDelivery(db: Db, projectId: number, id: number): Promise<StoredDelivery | undefined> {
      const row = await own(db)
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDelivery(row) : undefined;
    },

    async listDeliveries(
      db: Db,
      webhookId: number,
      filter: { status?: WebhookDeliveryStatus | undefined; before?: number | undefined; limit: number },
    ): Promise<StoredDelivery[]> {
      let q = own(db).selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.before !== undefined) q = q.where('id', '<', filter.before);
      const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map(toDelivery);
    },

    /** Records one attempt and the delivery's state after it. */
    async recordAttempt(
      db: Db,
      deliveryId: number,
      attempt: WebhookAttempt,
      status: WebhookDeliveryStatus,
    ): Promise<void> {
      await own(db)
        .insertInto('webhook_attempts')
        .values({
          delivery_id: deliveryId,
          attempt: attempt.attempt,
          at: attempt.at,
          response_status: attempt.responseStatus,
          error: attempt.error,
          duration_ms: attempt.durationMs,
        })
        .execute();
      await own(db)
        .updateTable('webhook_deliveries')
        .set({
          status,
          attempts: attempt.attempt,
          response_status: attempt.responseStatus,
          error: attempt.error,
          updated_at: attempt.at,
          ...(status === 'succeeded' ? { delivered_at: attempt.at } : {}),
        })
        .where('id', '=', deliveryId)
        .execute();
    },

    async setStatus(
      db: Db,
      deliveryId: number,
      status: WebhookDeliveryStatus,
      error: string | null,
      at: string,
    ): Promise<void> {
      await own(db)
        .updateTable('webhook_deliveries')
        .set({ status, error, updated_at: at })
        .where('id', '=', deliveryId)
        .execute();
    },

    async attempts(db: Db, deliveryId: number): Promise<WebhookAttempt[]> {
      const rows = await own(db)
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('delivery_id', '=', deliveryId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        attempt: r.attempt,
        at: r.at,
        responseStatus: r.response_status,
        error: r.error,
        durationMs: Number(r.duration_ms),
      }));
    },

    /** Removes deliveries (and their attempts) created before `before`; answers how many. */
    async deleteDeliveriesBefore(db: Db, before: string, batch: number): Promise<number> {
      const ids = (
        await own(db)
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('created_at', '<', before)
          .limit(batch)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      await own(db).deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
      await own(db).deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
      return ids.length;
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
