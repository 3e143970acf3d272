/**
 * Replay before release: a candidate version run on the last N production inputs of the version
 * an environment serves, next to that live version, as one eval run over a dataset snapshot made
 * from those spans (their `variables`; the recorded output kept in each item's metadata).
 */
import { z } from 'zod';
import { CreateEvalRunRequest, EnvironmentName, EvalRun, EvalRunModel, RowId } from './schemas.ts';

export const MAX_REPLAY_CALLS = 1_000;

export const ReplayRequest = z
  .object({
    env: EnvironmentName,
    /** The candidate version. */
    version: RowId,
    /** How many of the latest production calls of the live version to replay (default 100). */
    last: z.number().int().min(1).max(MAX_REPLAY_CALLS).default(100),
    /** Default: the candidate's own provider and model (its config). */
    models: z.array(EvalRunModel).min(1).max(10).optional(),
    /** Assertions applied to every case, as for an eval run (`{type, value?, threshold?…}`). */
    assertions: CreateEvalRunRequest.shape.assertions,
  })
  .strict();

export const Replay = z.object({
  prompt: z.string(),
  env: z.string(),
  /** The version live in `env` whose calls were replayed (the one with the largest share). */
  live: z.number().int(),
  candidate: z.number().int(),
  /** The snapshot of those calls: one item per call. */
  dataset: z.object({ name: z.string(), revision: z.number().int() }),
  calls: z.number().int(),
  /** The eval run of live and candidate over the snapshot: outputs side by side, scores, latency, cost. */
  run: EvalRun,
});

export type ReplayRequest = z.infer<typeof ReplayRequest>;
export type ReplayInput = z.input<typeof ReplayRequest>;
export type Replay = z.infer<typeof Replay>;
