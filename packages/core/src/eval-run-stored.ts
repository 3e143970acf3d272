/**
 * Shapes the server stores in JSON columns of eval runs, results and datasets, so each is decoded
 * with a schema (not cast) when read back: a row written by an older version or edited by hand
 * fails where it is read, naming the column.
 */
import { z } from 'zod';
import { EvalRunGroup, EvalVersionVerdict, PromptThresholds } from './schemas.ts';

/** What a server eval run was asked to do, frozen at creation (versions and dataset revision resolved). */
export const EvalRunSpec = z.object({
  versions: z.array(z.number().int().positive()),
  models: z.array(
    z.object({
      provider: z.string(),
      model: z.string(),
      label: z.string(),
      parameters: z.record(z.string(), z.unknown()),
      baseUrl: z.string().nullable(),
    }),
  ),
  assertions: z.array(z.record(z.string(), z.unknown())),
  repeat: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  /** Thresholds applied to this run (the request's, else the prompt's at creation). */
  thresholds: PromptThresholds.nullable(),
  /** The run compared against, when one was named. */
  baseline: z.number().int().positive().nullable(),
});

/** A finished run's summary: groups and per-version verdicts. */
export const EvalRunSummary = z.object({
  groups: z.array(EvalRunGroup),
  verdicts: z.array(EvalVersionVerdict),
});

/** The graded assertions stored with a result. */
export const StoredAssertionOutcomes = z.array(
  z.object({ type: z.string(), pass: z.boolean(), score: z.number(), reason: z.string() }),
);

/** A JSON object of named values (variables, metadata). */
export const JsonObject = z.record(z.string(), z.unknown());

export type EvalRunSpec = z.infer<typeof EvalRunSpec>;
export type EvalRunSummary = z.infer<typeof EvalRunSummary>;
