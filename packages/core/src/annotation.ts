/**
 * Human review: the project's score definitions (what a score of a name may hold) and annotation
 * queues — traces put in front of reviewers, claimed one at a time under a lease, completed with
 * scores (`source: human`) or skipped.
 */
import { z } from 'zod';
import { DatasetName, EnvironmentName, PromptName, RowId } from './schemas.ts';
import { ListTracesQuery } from './traces/reading.ts';
import { SpanId, TraceId } from './traces/schemas.ts';

/** A score name: what `POST /api/v1/scores` accepts as `name`. */
export const ScoreName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, "_", ".", ":" and "-" (e.g. helpfulness)');

function checkDefinition(
  d: { dataType: string; min?: number | null; max?: number | null; categories?: string[] },
  ctx: z.RefinementCtx,
) {
  if (d.dataType === 'numeric' && d.min != null && d.max != null && d.min > d.max) {
    ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be at least min' });
  }
  if (d.categories && new Set(d.categories).size !== d.categories.length) {
    ctx.addIssue({ code: 'custom', path: ['categories'], message: 'categories must be distinct' });
  }
}

const definitionFields = { name: ScoreName, description: z.string().max(2_000).default('') };

/** Body of `POST /api/v1/score-definitions`. */
export const CreateScoreDefinitionRequest = z
  .discriminatedUnion('dataType', [
    z.object({
      ...definitionFields,
      dataType: z.literal('numeric'),
      min: z.number().finite().nullable().default(null),
      max: z.number().finite().nullable().default(null),
    }),
    z.object({ ...definitionFields, dataType: z.literal('boolean') }),
    z.object({
      ...definitionFields,
      dataType: z.literal('categorical'),
      categories: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
    }),
  ])
  .superRefine(checkDefinition);

/**
 * Body of `PATCH /api/v1/score-definitions/{id}`: the description, and the range or the
 * categories of its own type (the name and the type stay: scores already written hold them).
 */
export const UpdateScoreDefinitionRequest = z
  .object({
    description: z.string().max(2_000).optional(),
    min: z.number().finite().nullable().optional(),
    max: z.number().finite().nullable().optional(),
    categories: z.array(z.string().trim().min(1).max(200)).min(1).max(50).optional(),
  })
  .strict();

export const ScoreDefinition = z.object({
  id: RowId,
  name: z.string(),
  description: z.string(),
  dataType: z.enum(['numeric', 'boolean', 'categorical']),
  /** Numeric: the inclusive range (null: unbounded on that side). */
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Categorical: the allowed values, in display order (empty for the other types). */
  categories: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * Why a value does not fit a definition, or null when it does.
 *
 * @example
 * scoreValueProblem({ dataType: 'numeric', min: 1, max: 5, categories: [] }, 7) // 'must be at most 5'
 */
export function scoreValueProblem(
  definition: Pick<ScoreDefinition, 'dataType' | 'min' | 'max' | 'categories'>,
  value: number | boolean | string,
): string | null {
  switch (definition.dataType) {
    case 'numeric':
      if (typeof value !== 'number') return 'must be a number';
      if (definition.min !== null && value < definition.min) return `must be at least ${definition.min}`;
      if (definition.max !== null && value > definition.max) return `must be at most ${definition.max}`;
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'categorical':
      return typeof value === 'string' && definition.categories.includes(value)
        ? null
        : `must be one of ${definition.categories.map((c) => JSON.stringify(c)).join(', ')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Queues

/** The most traces one request adds to a queue. */
export const MAX_QUEUE_ITEMS_PER_ADD = 1_000;

/**
 * A queue's sampling rule: a share of the new traces of a prompt (in one environment, or any) is
 * added to the queue as they arrive, by a recurring job. Which traces is decided by the trace id
 * ({@link sampledTrace}), so the choice is the same however often a window is looked at.
 */
export const AnnotationSampling = z.object({
  prompt: PromptName,
  env: EnvironmentName.optional(),
  /** The share of traces sampled, above 0 and at most 1 (0.05 = 5 %). */
  rate: z.number().gt(0).max(1),
});

/**
 * Whether a trace falls in a sample of `rate`: its id's first 8 hex digits read as a fraction of
 * 2³² (trace ids are random, so this is uniform), below the rate.
 *
 * @example
 * sampledTrace('00000000ffffffffffffffffffffffff', 0.01) // true
 */
export function sampledTrace(traceId: string, rate: number): boolean {
  return Number.parseInt(traceId.slice(0, 8), 16) / 2 ** 32 < rate;
}

const queueFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2_000).default(''),
  /** Names of the project's score definitions a reviewer fills in, in display order. */
  scoreDefinitions: z.array(ScoreName).min(1).max(20),
  /** Emails of the people who may claim items; empty: any reviewer of the project. */
  assignees: z.array(z.string().trim().min(3).max(320)).max(100).default([]),
  /** Sample new traces into the queue (null or absent: none). */
  sampling: AnnotationSampling.nullable().default(null),
};

/** Body of `POST /api/v1/annotation-queues`. */
export const CreateAnnotationQueueRequest = z.object(queueFields);
/** Body of `PATCH /api/v1/annotation-queues/{id}`. */
export const UpdateAnnotationQueueRequest = z
  .object({
    name: queueFields.name.optional(),
    description: z.string().max(2_000).optional(),
    scoreDefinitions: queueFields.scoreDefinitions.optional(),
    assignees: z.array(z.string().trim().min(3).max(320)).max(100).optional(),
    /** A new rule (sampling starts from now), or null to stop sampling. */
    sampling: AnnotationSampling.nullable().optional(),
  })
  .strict();

export const AnnotationProgress = z.object({
  total: z.number().int(),
  /** Waiting, not claimed by anyone (or claimed under a lease that ran out). */
  pending: z.number().int(),
  /** Claimed by a reviewer whose lease still runs. */
  claimed: z.number().int(),
  completed: z.number().int(),
  skipped: z.number().int(),
});

export const AnnotationQueue = z.object({
  id: RowId,
  name: z.string(),
  description: z.string(),
  scoreDefinitions: z.array(z.string()),
  assignees: z.array(z.string()),
  sampling: AnnotationSampling.nullable(),
  progress: AnnotationProgress,
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** `GET /api/v1/annotation-queues/{id}`: the queue with its definitions spelled out. */
export const AnnotationQueueDetail = AnnotationQueue.extend({ definitions: z.array(ScoreDefinition) });

export const AnnotationItemStatus = z.enum(['pending', 'claimed', 'completed', 'skipped']);

const ScoreValue = z.union([z.number().finite(), z.boolean(), z.string().min(1).max(200)]);

export const AnnotationItem = z.object({
  id: RowId,
  queueId: RowId,
  traceId: TraceId,
  /** The span the scores go to; null: the trace's first span with a prompt. */
  spanId: SpanId.nullable(),
  status: AnnotationItemStatus,
  /** Who holds it (claimed) or finished it (completed, skipped). */
  reviewer: z.string().nullable(),
  /** Until when a claim holds. */
  leaseUntil: z.string().nullable(),
  /** The scores given when completed. */
  scores: z.array(z.object({ name: z.string(), value: ScoreValue })),
  comment: z.string().nullable(),
  createdAt: z.string(),
  doneAt: z.string().nullable(),
});

/** Body of `POST /api/v1/annotation-queues/{id}/items`: trace ids, or a saved traces-list filter. */
export const AddAnnotationItemsRequest = z
  .object({
    traces: z
      .array(z.object({ traceId: TraceId, spanId: SpanId.optional() }))
      .min(1)
      .max(MAX_QUEUE_ITEMS_PER_ADD)
      .optional(),
    /** Every trace the list filter matches (newest first), up to `limit`. */
    filter: ListTracesQuery.omit({ limit: true, cursor: true }).optional(),
    limit: z.number().int().min(1).max(MAX_QUEUE_ITEMS_PER_ADD).default(100),
  })
  .refine((r) => (r.traces === undefined) !== (r.filter === undefined), {
    message: 'send either traces (ids) or filter, not both',
    path: ['traces'],
  });

export const AddAnnotationItemsResult = z.object({
  /** Items created. */
  added: z.number().int(),
  /** Traces already in the queue (not added twice). */
  alreadyQueued: z.number().int(),
  /** Trace ids that name no trace of the project. */
  missing: z.array(z.string()),
  progress: AnnotationProgress,
});

export const ListAnnotationItemsQuery = z.object({
  status: AnnotationItemStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Items after this id. */
  after: z.coerce.number().int().nonnegative().optional(),
});

export const AnnotationItemPage = z.object({
  items: z.array(AnnotationItem),
  /** Pass as `after` for the next page; null on the last page. */
  next: z.number().int().nullable(),
});

/** `GET /api/v1/annotation-queues/{id}/next`: the claimed item (null when nothing is left) and the queue's progress. */
export const NextAnnotationItem = z.object({
  item: AnnotationItem.nullable(),
  progress: AnnotationProgress,
});

/** Body of `POST …/items/{itemId}/complete`. */
export const CompleteAnnotationItemRequest = z
  .object({
    scores: z
      .array(z.object({ name: ScoreName, value: ScoreValue }))
      .max(20)
      .default([]),
    comment: z.string().trim().max(4_000).optional(),
  })
  .refine((r) => r.scores.length > 0 || (r.comment ?? '') !== '', {
    message: 'give at least one score or a comment (or skip the item)',
    path: ['scores'],
  })
  .refine((r) => new Set(r.scores.map((s) => s.name)).size === r.scores.length, {
    message: 'one value per score name',
    path: ['scores'],
  });

/** Body of `POST …/items/{itemId}/dataset`: the item's trace as a dataset item (see from-traces). */
export const AnnotationItemToDatasetRequest = z.object({
  dataset: DatasetName,
  create: z.boolean().default(false),
  expected: z.enum(['output', 'none']).default('output'),
});

export type ScoreDefinition = z.infer<typeof ScoreDefinition>;
export type AnnotationSampling = z.infer<typeof AnnotationSampling>;
export type CreateScoreDefinitionRequest = z.infer<typeof CreateScoreDefinitionRequest>;
export type CreateScoreDefinitionInput = z.input<typeof CreateScoreDefinitionRequest>;
export type UpdateScoreDefinitionRequest = z.infer<typeof UpdateScoreDefinitionRequest>;
export type CreateAnnotationQueueRequest = z.infer<typeof CreateAnnotationQueueRequest>;
export type CreateAnnotationQueueInput = z.input<typeof CreateAnnotationQueueRequest>;
export type UpdateAnnotationQueueRequest = z.infer<typeof UpdateAnnotationQueueRequest>;
export type AnnotationProgress = z.infer<typeof AnnotationProgress>;
export type AnnotationQueue = z.infer<typeof AnnotationQueue>;
export type AnnotationQueueDetail = z.infer<typeof AnnotationQueueDetail>;
export type AnnotationItemStatus = z.infer<typeof AnnotationItemStatus>;
export type AnnotationItem = z.infer<typeof AnnotationItem>;
export type AddAnnotationItemsRequest = z.infer<typeof AddAnnotationItemsRequest>;
export type AddAnnotationItemsInput = z.input<typeof AddAnnotationItemsRequest>;
export type AddAnnotationItemsResult = z.infer<typeof AddAnnotationItemsResult>;
export type ListAnnotationItemsQuery = z.infer<typeof ListAnnotationItemsQuery>;
export type AnnotationItemPage = z.infer<typeof AnnotationItemPage>;
export type NextAnnotationItem = z.infer<typeof NextAnnotationItem>;
export type CompleteAnnotationItemRequest = z.infer<typeof CompleteAnnotationItemRequest>;
export type CompleteAnnotationItemInput = z.input<typeof CompleteAnnotationItemRequest>;
export type AnnotationItemToDatasetRequest = z.infer<typeof AnnotationItemToDatasetRequest>;
