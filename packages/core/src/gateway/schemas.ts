/**
 * The OpenAI-compatible gateway's wire shapes (`/gateway/v1`) and its per-key spend budgets.
 * Requests are validated loosely on purpose: the gateway checks what it reads (the model, the
 * messages, `stream`) and forwards every other field untouched, so a field OpenAI adds tomorrow
 * reaches an OpenAI-kind provider without a Promptline release.
 */
import { z } from 'zod';
import { IsoInstant, MAX_INT32, Problem } from '../schemas.ts';

/** `<provider>/<model>`: a provider configured in the project (or `mock`), then its model name. */
export const GatewayModel = z
  .string()
  .min(3)
  .max(300)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/\S+$/, 'use "<provider>/<model>", e.g. openai/gpt-4o-mini');

/** One part of a message's content (text, image_url, input_audio…). */
const ContentPart = z.looseObject({ type: z.string().min(1).max(100) });

/** A chat message in OpenAI's shape. */
export const GatewayMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(ContentPart).max(1_000), z.null()]).optional(),
  name: z.string().max(256).optional(),
  tool_call_id: z.string().max(1_000).optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string().max(1_000),
        type: z.literal('function').optional(),
        function: z.looseObject({ name: z.string().max(256), arguments: z.string() }),
      }),
    )
    .max(1_000)
    .optional(),
});

/** Body of `POST /gateway/v1/chat/completions` (OpenAI's; unknown fields are forwarded). */
export const ChatCompletionRequest = z.looseObject({
  model: GatewayModel,
  messages: z.array(GatewayMessage).min(1).max(10_000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z
    .array(z.looseObject({ type: z.string() }))
    .max(512)
    .optional(),
  response_format: z.looseObject({ type: z.string() }).optional(),
  n: z.number().int().min(1).max(128).optional(),
});

/** A chat completion (OpenAI's `chat.completion`); what providers add beyond it is kept. */
export const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number(), finish_reason: z.string().nullable() })),
  usage: z.looseObject({}).optional(),
});

/** Body of `POST /gateway/v1/embeddings`. */
export const EmbeddingsRequest = z.looseObject({
  model: GatewayModel,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2_048),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1).max(2_048),
  ]),
});

export const EmbeddingsResponse = z.looseObject({
  object: z.literal('list'),
  data: z.array(z.looseObject({ index: z.number(), embedding: z.unknown() })),
  model: z.string(),
  usage: z.looseObject({}).optional(),
});

/** `GET /gateway/v1/models`. */
export const GatewayModelList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() }),
  ),
});

/**
 * Every error on `/gateway` paths: OpenAI's `{ error: { message, type, code, param } }`, which the
 * `openai` SDKs read, and — for the gateway's own refusals — the problem+json members beside it.
 */
export const GatewayError = Problem.partial().extend({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.string().nullable(),
    param: z.string().nullable(),
  }),
});

const Usd = z.number().nonnegative().finite().max(1_000_000_000);

/** Body of `PUT /api/v1/gateway/budgets/{keyId}`: USD a key may spend through the gateway. */
export const SetKeyBudgetRequest = z
  .object({
    /** Per UTC day; null for no daily limit. */
    usdPerDay: Usd.nullable().optional(),
    /** Per UTC calendar month; null for no monthly limit. */
    usdPerMonth: Usd.nullable().optional(),
  })
  .refine((b) => b.usdPerDay !== undefined || b.usdPerMonth !== undefined, {
    message: 'send usdPerDay and/or usdPerMonth (a number, or null for no limit)',
  });

/** A key's gateway budget and what it spent in the current day and month (UTC). */
export const KeyBudget = z.object({
  keyId: z.number().int().positive().max(MAX_INT32),
  usdPerDay: z.number().nullable(),
  usdPerMonth: z.number().nullable(),
  spentTodayUsd: z.number(),
  spentThisMonthUsd: z.number(),
  updatedAt: IsoInstant,
  updatedBy: z.string(),
});

export const KeyBudgetList = z.object({ items: z.array(KeyBudget) });

/** Most fallbacks one model may name (a route's table entry or the `x-promptline-fallback` header). */
export const MAX_GATEWAY_FALLBACKS = 5;

/**
 * Body of `PUT /api/v1/gateway/routes`: when a call on `model` fails after its retries (429, 5xx,
 * timeout, network, not configured), the gateway tries `fallbacks` in order.
 */
export const SetGatewayRouteRequest = z
  .object({
    model: GatewayModel,
    fallbacks: z.array(GatewayModel).min(1).max(MAX_GATEWAY_FALLBACKS),
    /**
     * How long each model of the chain has to begin its answer (headers of a stream, the whole
     * body otherwise) before the next is tried; without it a provider's own timeout (10 min) holds.
     */
    timeoutMs: z.number().int().min(100).max(600_000).nullable().optional(),
  })
  .superRefine((route, ctx) => {
    const seen = new Set<string>([route.model]);
    for (const [index, fallback] of route.fallbacks.entries()) {
      if (seen.has(fallback)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fallbacks', index],
          message:
            fallback === route.model ? 'a model cannot be its own fallback' : 'each fallback is named once',
        });
      }
      seen.add(fallback);
    }
  });

/** A project's fallback route for one model. */
export const GatewayRoute = z.object({
  model: GatewayModel,
  fallbacks: z.array(GatewayModel),
  timeoutMs: z.number().int().nullable(),
  updatedAt: IsoInstant,
  updatedBy: z.string(),
});

export const GatewayRouteList = z.object({ items: z.array(GatewayRoute) });

/** Query of `DELETE /api/v1/gateway/routes`. */
export const GatewayRouteQuery = z.object({ model: GatewayModel });

export type GatewayMessage = z.infer<typeof GatewayMessage>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;
export type ChatCompletion = z.infer<typeof ChatCompletion>;
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;
export type GatewayModelList = z.infer<typeof GatewayModelList>;
export type GatewayError = z.infer<typeof GatewayError>;
export type SetKeyBudgetRequest = z.infer<typeof SetKeyBudgetRequest>;
export type KeyBudget = z.infer<typeof KeyBudget>;
export type SetGatewayRouteRequest = z.infer<typeof SetGatewayRouteRequest>;
export type GatewayRoute = z.infer<typeof GatewayRoute>;
