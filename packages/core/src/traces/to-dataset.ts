/**
 * From production to a test case: spans picked by id or by a trace filter become dataset items
 * (the span's variables, its input and output as metadata, its output as the expected answer unless
 * told otherwise), each linked back to its trace by `sourceTraceId`.
 */
import { z } from 'zod';
import { DatasetItem, JsonValue } from '../schemas.ts';
import { ListTracesQuery } from './reading.ts';
import { SpanId, TraceId } from './schemas.ts';

/** The largest number of spans one request turns into items. */
export const MAX_TRACES_TO_DATASET = 1_000;

export const TracesToDatasetRequest = z
  .object({
    /** Chosen spans: a trace (its first span with a prompt, else its root) or one span of it. `expected` overrides. */
    traces: z
      .array(
        z.object({
          traceId: TraceId,
          spanId: SpanId.optional(),
          /** The expected answer of the item (null: none); default the span's output (see `expected`). */
          expected: JsonValue.optional(),
        }),
      )
      .min(1)
      .max(MAX_TRACES_TO_DATASET)
      .optional(),
    /** Or every trace the list filter matches (newest first), up to `limit`. */
    filter: ListTracesQuery.omit({ limit: true, cursor: true }).optional(),
    limit: z.number().int().min(1).max(MAX_TRACES_TO_DATASET).default(100),
    /** Create the dataset when it does not exist (else 404 DATASET_NOT_FOUND). */
    create: z.boolean().default(false),
    description: z.string().max(5000).optional(),
    /** `output`: the span's output is the item's expected answer (edit it later); `none`: no expected answer. */
    expected: z.enum(['output', 'none']).default('output'),
  })
  .refine((r) => (r.traces === undefined) !== (r.filter === undefined), {
    message: 'send either traces (ids) or filter, not both',
    path: ['traces'],
  });

export const TracesToDatasetResult = z.object({
  dataset: z.string(),
  /** The dataset revision the items were written at (null when none was written). */
  revision: z.number().int().nullable(),
  created: z.boolean(),
  items: z.array(DatasetItem),
  /** Traces that could not become an item, and why. */
  skipped: z.array(z.object({ traceId: z.string(), reason: z.string() })),
});

export type TracesToDatasetRequest = z.infer<typeof TracesToDatasetRequest>;
export type TracesToDatasetResult = z.infer<typeof TracesToDatasetResult>;
/** The request as a client writes it (defaults may be left out). */
export type TracesToDatasetInput = z.input<typeof TracesToDatasetRequest>;
