/**
 * Webhooks: subscriptions per project, the one delivery engine every event goes through (the
 * features' events from the bus, alert destinations, test sends and redeliveries), and the log
 * of what was sent. URL and signing secret are stored encrypted with the server's secret box,
 * bound to the row; nothing here logs or audits them.
 */
import { randomUUID } from 'node:crypto';
import {
  AppError,
  type CreateWebhookRequest,
  type UpdateWebhookRequest,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookDeliveryQuery,
  type WebhookEventBody,
  type WebhookWithSecret,
} from '@promptline/core';
import type { SecretBox } from '@promptline/core/node';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { EventBus, PublishedEvent } from '../events/bus.ts';
import type { JobService } from '../jobs/service.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { createDeliveryHandler, DELIVER_JOB, openTarget, type Target, targetBinding } from './delivery.ts';
import { deliveryBody, generateWebhookSecret, urlHint } from './payload.ts';
import { createWebhookStore, type StoredDelivery, type StoredWebhook } from './store.ts';

/** Deliveries (and their attempts) are kept 30 days. */
const RETENTION = { kind: 'webhooks.retention', everySeconds: 3600, days: 30, batch: 5_000 };

function publicWebhook(hook: StoredWebhook): Webhook {
  const { projectId: _p, target: _t, ...rest } = hook;
  return rest;
}

function publicDelivery(delivery: StoredDelivery): WebhookDelivery {
  const { projectId: _p, body: _b, ...rest } = delivery;
  return rest;
}

function notFound(id: number): AppError {
  return new AppError(
    'WEBHOOK_NOT_FOUND',
    `No webhook ${id} in this project. List them with GET /api/v1/webhooks.`,
  );
}

export interface WebhookServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  jobs: JobService;
  secretBox: SecretBox;
  /** The bus whose events are delivered to the subscriptions that ask for them. */
  events: EventBus;
  /** How long one send may take (default 10 s). */
  timeoutMs?: number | undefined;
}

export function createWebhookService(options: WebhookServiceOptions) {
  const { database, clock, audit, jobs, secretBox } = options;
  const store = createWebhookStore();

  const seal = (projectId: number, id: number, target: Target) =>
    secretBox.encrypt(JSON.stringify(target), targetBinding(projectId, id));

  async function requireHook(db: Db, projectId: number, id: number): Promise<StoredWebhook> {
    const hook = await store.find(db, projectId, id);
    if (!hook) throw notFound(id);
    return hook;
  }

  /** Adds a delivery of `event` to `hook` and its job, in the caller's transaction. */
  async function enqueue(
    trx: Db,
    hook: StoredWebhook,
    event: WebhookEventBody,
    redeliveryOf: number | null = null,
    body?: string,
  ): Promise<StoredDelivery> {
    const delivery = await store.insertDelivery(trx, {
      projectId: hook.projectId,
      webhookId: hook.id,
      eventId: event.id,
      eventType: event.type,
      body: body ?? deliveryBody(hook.kind, event),
      redeliveryOf,
      createdAt: isoNow(clock),
    });
    await jobs.enqueue(trx, {
      kind: DELIVER_JOB,
      key: `${DELIVER_JOB}:${delivery.id}`,
      projectId: hook.projectId,
      payload: { projectId: hook.projectId, deliveryId: delivery.id },
    });
    return delivery;
  }

  jobs.register(createDeliveryHandler({ database, clock, store, secretBox, timeoutMs: options.timeoutMs }));
  jobs.register({
    kind: RETENTION.kind,
    payload: z.object({}),
    maxAttempts: 3,
    async run(_payload, ctx) {
      const before = new Date(clock.now().getTime() - RETENTION.days * 86_400_000).toISOString();
      while ((await ctx.fenced((trx) => store.deleteDeliveriesBefore(trx, before, RETENTION.batch))) > 0) {
        if (ctx.signal.aborted) return;
      }
    },
  });
  jobs.every(RETENTION.kind, RETENTION.everySeconds);

  // Every event of the bus reaches the enabled subscriptions that ask for it, in the publisher's transaction.
  options.events.subscribe(async (trx: Db, event: PublishedEvent) => {
    const hooks = (await store.enabled(trx, event.projectId)).filter((h) => h.events.includes(event.type));
    const body: WebhookEventBody = {
      id: event.id,
      type: event.type,
      createdAt: event.at,
      project: { id: event.projectId },
      data: event.data,
    };
    for (const hook of hooks) await enqueue(trx, hook, body);
  });

  return {
    /**
     * Subscribes a URL to events. The signing secret is generated unless given, and answered
     * only here (and on rotation).
     */
    async create(
      projectId: number,
      request: CreateWebhookRequest,
      actor: string,
    ): Promise<WebhookWithSecret> {
      const secret = request.kind === 'slack' ? null : (request.secret ?? generateWebhookSecret());
      const at = isoNow(clock);
      const hook = await database.db.transaction().execute(async (trx) => {
        const created = await store.insert(trx, {
          projectId,
          name: request.name,
          kind: request.kind,
          urlHint: urlHint(request.kind, request.url),
          target: (id) => seal(projectId, id, { url: request.url, secret }),
          events: [...new Set(request.events)],
          enabled: request.enabled,
          createdBy: actor,
          createdAt: at,
          updatedAt: at,
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'webhook.create',
          targetType: 'webhook',
          target: String(created.id),
          data: {
            after: {
              name: created.name,
              kind: created.kind,
              urlHint: created.urlHint,
              events: created.events,
            },
          },
        });
        return created;
      });
      return { ...publicWebhook(hook), secret };
    },

    async list(projectId: number): Promise<Webhook[]> {
      return (await store.list(database.db, projectId)).map(publicWebhook);
    },

    /** @throws AppError WEBHOOK_NOT_FOUND */
    async get(projectId: number, id: number): Promise<Webhook> {
      return publicWebhook(await requireHook(database.db, projectId, id));
    },

    /** @throws AppError WEBHOOK_NOT_FOUND */
    async update(
      projectId: number,
      id: number,
      request: UpdateWebhookRequest,
      actor: string,
    ): Promise<WebhookWithSecret> {
      let secret: string | null = null;
      const hook = await database.db.transaction().execute(async (trx) => {
        const before = await requireHook(trx, projectId, id);
        const target = openTarget(secretBox, before);
        const url = request.url ?? target.url;
        if (request.rotateSecret && before.kind === 'webhook') secret = generateWebhookSecret();
        const changedTarget = request.url !== undefined || secret !== null;
        const updated = await store.update(trx, id, {
          updatedAt: isoNow(clock),
          ...(request.name === undefined ? {} : { name: request.name }),
          ...(request.events === undefined ? {} : { events: [...new Set(request.events)] }),
          ...(request.enabled === undefined ? {} : { enabled: request.enabled }),
          ...(changedTarget
            ? {
                urlHint: urlHint(before.kind, url),
                target: seal(projectId, id, { url, secret: secret ?? target.secret }),
              }
            : {}),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'webhook.update',
          targetType: 'webhook',
          target: String(id),
          data: {
            after: {
              name: updated.name,
              urlHint: updated.urlHint,
              events: updated.events,
              enabled: updated.enabled,
            },
            ...(secret === null ? {} : { secretRotated: true }),
          },
        });
        return updated;
      });
      return { ...publicWebhook(hook), secret };
    },

    /** Deletes the subscription; its pending deliveries end failed, its log stays until retention. */
    async remove(projectId: number, id: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const hook = await requireHook(trx, projectId, id);
        await store.remove(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'webhook.delete',
          targetType: 'webhook',
          target: String(id),
          data: { before: { name: hook.name, urlHint: hook.urlHint } },
        });
      });
    },

    /** Sends a `webhook.test` event now (also to a disabled subscription). @throws AppError WEBHOOK_NOT_FOUND */
    async test(projectId: number, id: number, actor: string): Promise<WebhookDelivery> {
      const delivery = await database.db.transaction().execute(async (trx) => {
        const hook = await requireHook(trx, projectId, id);
        return enqueue(trx, hook, {
          id: `evt_${randomUUID()}`,
          type: 'webhook.test',
          createdAt: isoNow(clock),
          project: { id: projectId },
          data: { webhookId: id, requestedBy: actor },
        });
      });
      jobs.wake();
      return publicDelivery(delivery);
    },

    /** A page of a subscription's deliveries, newest first. @throws AppError WEBHOOK_NOT_FOUND */
    async deliveries(
      projectId: number,
      id: number,
      query: WebhookDeliveryQuery,
    ): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
      await requireHook(database.db, projectId, id);
      const rows = await store.listDeliveries(database.db, id, {
        status: query.status,
        before: cursorId(query.cursor),
        limit: query.limit,
      });
      return { items: rows.map(publicDelivery), nextCursor: nextCursor(rows, query.limit) };
    },

    /** One delivery with its body and every attempt. @throws AppError WEBHOOK_DELIVERY_NOT_FOUND */
    async delivery(projectId: number, deliveryId: number): Promise<WebhookDeliveryDetail> {
      const delivery = await store.findDelivery(database.db, projectId, deliveryId);
      if (!delivery) throw deliveryNotFound(deliveryId);
      return {
        ...publicDelivery(delivery),
        body: delivery.body,
        attemptLog: await store.attempts(database.db, deliveryId),
      };
    },

    /**
     * Sends a delivery again as a new delivery: the same body and `webhook-id` (receivers that
     * already processed it can tell), signed anew with the current secret.
     *
     * @throws AppError WEBHOOK_DELIVERY_NOT_FOUND, WEBHOOK_NOT_FOUND (its subscription was deleted)
     */
    async redeliver(projectId: number, deliveryId: number, actor: string): Promise<WebhookDelivery> {
      const delivery = await database.db.transaction().execute(async (trx) => {
        const original = await store.findDelivery(trx, projectId, deliveryId);
        if (!original) throw deliveryNotFound(deliveryId);
        const hook = await requireHook(trx, projectId, original.webhookId);
        const again = await enqueue(
          trx,
          hook,
          {
            id: original.eventId,
            type: original.eventType as WebhookEventBody['type'],
            createdAt: original.createdAt,
            project: { id: projectId },
            data: {},
          },
          original.id,
          original.body,
        );
        await audit.append(trx, {
          projectId,
          actor,
          action: 'webhook.redeliver',
          targetType: 'webhook',
          target: String(hook.id),
          data: { deliveryId: original.id, redeliveryId: again.id, eventId: original.eventId },
        });
        return again;
      });
      jobs.wake();
      return publicDelivery(delivery);
    },
  };
}

function deliveryNotFound(id: number): AppError {
  return new AppError(
    'WEBHOOK_DELIVERY_NOT_FOUND',
    `No webhook delivery ${id} in this project (deliveries are kept 30 days). List them with GET /api/v1/webhooks/{id}/deliveries.`,
  );
}

export type WebhookService = ReturnType<typeof createWebhookService>;
