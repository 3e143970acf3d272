/**
 * Sending one delivery: a job of the runner (`webhook.deliver`), retried with the runner's
 * exponential backoff while the receiver answers 5xx, 408 or 429 or cannot be reached; any other
 * 4xx is a refusal no retry changes. Every attempt is logged with its response code. Delivery is
 * at least once: the `webhook-id` header (the event's id) lets a receiver drop a repeat.
 */
import { AppError } from '@promptline/core';
import type { SecretBox } from '@promptline/core/node';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.ts';
import { decodeJsonAs } from '../db/codecs.ts';
import type { Database } from '../db/database.ts';
import type { JobHandler } from '../jobs/runner.ts';
import { signWebhook } from './payload.ts';
import type { StoredWebhook, WebhookStore } from './store.ts';

export const DELIVER_JOB = 'webhook.deliver';
/** Attempts per delivery: with the runner's backoff (1 s doubling, capped at 5 min) about 8 minutes. */
export const DELIVERY_ATTEMPTS = 10;
const DEFAULT_TIMEOUT_MS = 10_000;

/** What the encrypted `target` column holds. */
export const Target = z.object({ url: z.string(), secret: z.string().nullable() });
export type Target = z.infer<typeof Target>;

export const targetBinding = (projectId: number, webhookId: number) => `webhook/${projectId}/${webhookId}`;

export function openTarget(secretBox: SecretBox, hook: StoredWebhook): Target {
  return decodeJsonAs(
    Target,
    secretBox.decrypt(hook.target, targetBinding(hook.projectId, hook.id)),
    `target of webhook ${hook.id}`,
  );
}

const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

const DeliverPayload = z.object({ projectId: z.number().int(), deliveryId: z.number().int() });

export function createDeliveryHandler(options: {
  database: Database;
  clock: Clock;
  store: WebhookStore;
  secretBox: SecretBox;
  timeoutMs?: number | undefined;
}): JobHandler<z.infer<typeof DeliverPayload>> {
  const { database, clock, store, secretBox } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return {
    kind: DELIVER_JOB,
    payload: DeliverPayload,
    concurrency: 4,
    maxAttempts: DELIVERY_ATTEMPTS,
    async run({ projectId, deliveryId }, ctx) {
      const delivery = await store.findDelivery(database.db, projectId, deliveryId);
      if (!delivery || delivery.status === 'succeeded' || delivery.status === 'failed') return;
      const hook = await store.find(database.db, projectId, delivery.webhookId);
      if (!hook) {
        await ctx.fenced((trx) =>
          store.setStatus(
            trx,
            deliveryId,
            'failed',
            'the webhook was deleted before delivery',
            isoNow(clock),
          ),
        );
        return;
      }
      const target = openTarget(secretBox, hook);
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'Promptline-Webhooks/1',
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(timestamp),
        'promptline-event': delivery.eventType,
        'promptline-delivery': String(delivery.id),
      };
      if (hook.kind === 'webhook' && target.secret) {
        headers['webhook-signature'] = signWebhook(target.secret, delivery.eventId, timestamp, delivery.body);
      }
      const started = performance.now();
      let responseStatus: number | null = null;
      let error: string | null = null;
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers,
          body: delivery.body,
          // A redirect is an answer (3xx), not followed: the signed body goes only where configured.
          redirect: 'manual',
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
        responseStatus = response.status;
        await response.body?.cancel();
        if (response.status < 200 || response.status >= 300)
          error = `the receiver answered HTTP ${response.status}`;
      } catch (cause) {
        // Stopped by the runner (shutdown, cancel, lease lost): it decides what happens next.
        if (ctx.signal.aborted) throw cause;
        const reason =
          cause instanceof Error
            ? cause.cause instanceof Error
              ? cause.cause.message
              : cause.message
            : String(cause);
        error = `could not reach the receiver: ${reason}`;
      }
      const ok = error === null;
      const refused = responseStatus !== null && !ok && !retryable(responseStatus);
      const last = ok || refused || ctx.attempt >= ctx.maxAttempts;
      await ctx.fenced((trx) =>
        store.recordAttempt(
          trx,
          deliveryId,
          {
            attempt: ctx.attempt,
            at: isoNow(clock),
            responseStatus,
            error,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
          },
          ok ? 'succeeded' : last ? 'failed' : 'retrying',
        ),
      );
      if (ok) return;
      if (refused) {
        throw new AppError(
          'WEBHOOK_DELIVERY_REFUSED',
          `Delivery ${deliveryId} was refused with HTTP ${responseStatus}; it is not retried. Fix the receiver, then redeliver it.`,
        );
      }
      throw new Error(`webhook delivery ${deliveryId}: ${error}`);
    },
    async onFailed({ projectId, deliveryId }, error, trx) {
      const delivery = await store.findDelivery(trx, projectId, deliveryId);
      if (delivery && delivery.status !== 'failed' && delivery.status !== 'succeeded') {
        await store.setStatus(trx, deliveryId, 'failed', error, isoNow(clock));
      }
    },
  };
}
