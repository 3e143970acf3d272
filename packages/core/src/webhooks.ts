/**
 * Webhooks: the events a project publishes, subscriptions to them, and the log of their
 * deliveries. Deliveries are signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), so any of its
 * verification libraries checks them.
 */
import { z } from 'zod';
import { PageCursor, RowId } from './schemas.ts';

/** Every event a subscription can ask for. */
export const WEBHOOK_EVENT_TYPES = [
  'version.created',
  'deployment.changed',
  'deployment.requested',
  'deployment.approved',
  'eval.completed',
  'redteam.completed',
  'alert.fired',
  'alert.resolved',
] as const;

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);

/** `webhook`: signed JSON of the event; `slack`: Slack-compatible incoming-webhook JSON (`{ text }`). */
export const WebhookKind = z.enum(['webhook', 'slack']);

/** A signing secret as Standard Webhooks spells it: `whsec_` and base64 of 24 to 64 bytes. */
export const WebhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'use whsec_ followed by base64 of 24–64 random bytes');

const HttpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'use an http:// or https:// URL');

const Name = z.string().trim().min(1).max(200);

export const CreateWebhookRequest = z.object({
  name: Name,
  url: HttpUrl,
  kind: WebhookKind.default('webhook'),
  events: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
  /** The signing secret; generated when absent (answered once, on creation). Not used by `slack`. */
  secret: WebhookSecret.optional(),
  enabled: z.boolean().default(true),
});

export const UpdateWebhookRequest = z.object({
  name: Name.optional(),
  url: HttpUrl.optional(),
  events: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
  enabled: z.boolean().optional(),
  /** A new signing secret is generated and answered once (the old one stops at once). */
  rotateSecret: z.boolean().optional(),
});

export const Webhook = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  kind: WebhookKind,
  /** The URL without its query string (a Slack URL without its token): the full URL is stored encrypted. */
  urlHint: z.string(),
  events: z.array(WebhookEventType),
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Creation (and secret rotation) answers the signing secret, the only time it is shown. */
export const WebhookWithSecret = Webhook.extend({ secret: z.string().nullable() });

export const WebhookDeliveryStatus = z.enum(['pending', 'retrying', 'succeeded', 'failed']);

export const WebhookAttempt = z.object({
  attempt: z.number().int().positive(),
  at: z.string(),
  /** The receiver's HTTP status, null when it could not be reached. */
  responseStatus: z.number().int().nullable(),
  /** What went wrong (network error, non-2xx), null on success. */
  error: z.string().nullable(),
  durationMs: z.number(),
});

export const WebhookDelivery = z.object({
  id: z.number().int().positive(),
  webhookId: z.number().int().positive(),
  /** The event's id, sent as `webhook-id`: the same on every retry and redelivery (receivers dedupe by it). */
  eventId: z.string(),
  eventType: z.string(),
  status: WebhookDeliveryStatus,
  attempts: z.number().int().min(0),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  /** The delivery this one sends again (`POST …/redeliver`), else null. */
  redeliveryOf: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export const WebhookDeliveryDetail = WebhookDelivery.extend({
  /** The exact body sent (JSON text). */
  body: z.string(),
  attemptLog: z.array(WebhookAttempt),
});

export const WebhookDeliveryQuery = z.object({
  status: WebhookDeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: PageCursor.optional(),
});

export const WebhookDeliveryPage = z.object({
  items: z.array(WebhookDelivery),
  nextCursor: z.string().nullable(),
});

/** The body of a `webhook` delivery. */
export const WebhookEventBody = z.object({
  id: z.string(),
  type: z.union([WebhookEventType, z.literal('webhook.test')]),
  createdAt: z.string(),
  project: z.object({ id: RowId }),
  data: z.record(z.string(), z.unknown()),
});

export type WebhookEventType = z.infer<typeof WebhookEventType>;
export type WebhookKind = z.infer<typeof WebhookKind>;
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequest>;
export type Webhook = z.infer<typeof Webhook>;
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export type WebhookDeliveryDetail = z.infer<typeof WebhookDeliveryDetail>;
export type WebhookDeliveryQuery = z.infer<typeof WebhookDeliveryQuery>;
export type WebhookEventBody = z.infer<typeof WebhookEventBody>;
