/**
 * The results file `promptline eval -o` writes, as the server accepts it for upload
 * (`POST /api/v1/eval-runs/import`): one schema for a result line (JSONL) and for the JSON
 * document's `results` list. Every field the server stores is checked here, before anything is
 * written, so a stored run can always be read back.
 */
import { z } from 'zod';

const count = z.number().int().min(0);

/** One graded cell of an uploaded results file. Unknown fields are ignored; missing optional ones get defaults. */
export const UploadedEvalResult = z.object({
  key: z.string().min(1),
  promptId: z.string().min(1),
  promptLabel: z.string().optional(),
  providerId: z.string().min(1),
  providerLabel: z.string().optional(),
  caseIndex: count.default(0),
  repeatIndex: count.default(0),
  description: z.string().nullable().default(null),
  vars: z.record(z.string(), z.unknown()).default({}),
  prompt: z.string().default(''),
  output: z.string().default(''),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).default([]),
  error: z.string().nullable().default(null),
  pass: z.boolean(),
  score: z.number().optional(),
  reason: z.string().default(''),
  assertions: z
    .array(
      z.object({
        type: z.string(),
        pass: z.boolean(),
        score: z.number(),
        reason: z.string().default(''),
        weight: z.number().default(1),
        metric: z.string().optional(),
      }),
    )
    .default([]),
  namedScores: z.record(z.string(), z.number()).default({}),
  latencyMs: z.number().min(0).default(0),
  usage: z
    .object({
      inputTokens: count,
      outputTokens: count,
      cachedInputTokens: count.default(0),
      estimated: z.boolean().default(false),
    })
    .nullable()
    .default(null),
  costUsd: z.number().min(0).nullable().default(null),
  cached: z.boolean().default(false),
  registry: z
    .object({ name: z.string().min(1), version: z.number().int().positive() })
    .nullable()
    .optional(),
  item: z
    .object({ dataset: z.string().min(1), revision: count, itemId: z.number().int().positive() })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type UploadedEvalResult = z.infer<typeof UploadedEvalResult>;
