/** A/B(/n) experiments over versions of a prompt in an environment: requests and answers. */
import { z } from 'zod';
import { EnvironmentName, RowId, Variant } from './schemas.ts';
import { SrmResult } from './stats/srm-schema.ts';

/** `errorRate`, `latency` (mean ms per call), `costPerCall` or `score:<name>`. */
export const ExperimentMetric = z
  .string()
  .regex(/^(errorRate|latency|costPerCall|score:.+)$/, 'use errorRate, latency, costPerCall or score:<name>')
  .max(200);

export const CreateExperimentRequest = z.object({
  env: EnvironmentName,
  /** The split to serve (basis points summing to 10 000), measured from now. */
  variants: z.array(Variant).min(2).max(10),
  metric: ExperimentMetric,
  secondary: z.array(ExperimentMetric).max(10).default([]),
  /** The version the others are compared with; default the version live before, else the first variant. */
  control: RowId.optional(),
  /**
   * Units per arm you expect to look at: the anytime-valid intervals are tightest there (default
   * 1 000). Larger values narrow late intervals and widen early ones.
   */
  expectedUnitsPerArm: z.number().int().min(10).max(100_000_000).default(1000),
  reason: z.string().max(2000).optional(),
});

export const ExperimentStatus = z.enum(['running', 'stopped']);

export const Experiment = z.object({
  id: z.number().int(),
  prompt: z.string(),
  environment: z.string(),
  variants: z.array(Variant),
  control: z.number().int(),
  metric: z.string(),
  secondary: z.array(z.string()),
  expectedUnitsPerArm: z.number().int(),
  status: ExperimentStatus,
  shipped: z.number().int().nullable(),
  createdBy: z.string(),
  reason: z.string().nullable(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
});

export const VariantResultSchema = z.object({
  version: z.number().int(),
  weight: z.number().int(),
  units: z.number().int(),
  n: z.number().int(),
  mean: z.number().nullable(),
  ci: z.tuple([z.number(), z.number()]).nullable(),
  lift: z
    .object({
      absolute: z.number(),
      ci: z.tuple([z.number(), z.number()]),
      relative: z.number().nullable(),
    })
    .nullable(),
  chanceToBeatControl: z.number().nullable(),
});

export const MetricResults = z.object({
  metric: z.string(),
  variants: z.array(VariantResultSchema),
});

export const ExperimentResultsResponse = z.object({
  id: z.number().int(),
  status: ExperimentStatus,
  metric: z.string(),
  control: z.number().int(),
  from: z.string(),
  to: z.string(),
  /** The primary metric's results per variant. */
  variants: z.array(VariantResultSchema),
  srm: SrmResult,
  /** Secondary metrics, the same shape. */
  secondary: z.array(MetricResults),
  /** The variant a stop with `ship: "winner"` would ship now. */
  winner: z.number().int(),
});

export const StopExperimentRequest = z.object({
  /** A version to deploy alone, or `winner`; without it the split stays live. */
  ship: z.union([RowId, z.literal('winner')]).optional(),
  reason: z.string().max(2000).optional(),
});

export const ExperimentQuery = z.object({
  prompt: z.string().max(500).optional(),
  status: ExperimentStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export type CreateExperimentRequest = z.infer<typeof CreateExperimentRequest>;
export type Experiment = z.infer<typeof Experiment>;
export type ExperimentResultsResponse = z.infer<typeof ExperimentResultsResponse>;
export type StopExperimentRequest = z.infer<typeof StopExperimentRequest>;
export type ExperimentQuery = z.infer<typeof ExperimentQuery>;
