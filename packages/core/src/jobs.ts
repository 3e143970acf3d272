/**
 * The durable job runner's public shapes: a job as `GET /api/v1/jobs` lists it and the query that
 * filters the list. Jobs are the server's background work (eval runs, retention…), stored in the
 * database and shared by every instance.
 */
import { z } from 'zod';
import { PageCursor } from './schemas.ts';

/** queued → running → succeeded | failed | cancelled; a failed attempt with retries left goes back to queued. */
export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const Job = z.object({
  id: z.number().int().positive(),
  kind: z.string(),
  /** What the job works on, as its kind defines it (e.g. `{ projectId, runId }` for an eval run). */
  payload: z.record(z.string(), z.unknown()),
  status: JobStatus,
  /** Attempts started so far (a claim after an expired lease counts as one). */
  attempts: z.number().int().min(0),
  maxAttempts: z.number().int().positive(),
  /** Not claimed before this instant (a retry's backoff). */
  runAfter: z.string(),
  /** The instance holding the job while it runs, and until when its lease holds. */
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** Query of `GET /api/v1/jobs`: newest first, paged by `cursor` (the `nextCursor` of the previous page). */
export const ListJobsQuery = z.object({
  status: JobStatus.optional(),
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a job kind such as eval.run or jobs.retention')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

export const JobPage = z.object({ items: z.array(Job), nextCursor: z.string().nullable() });

export type JobStatus = z.infer<typeof JobStatus>;
export type Job = z.infer<typeof Job>;
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;
export type JobPage = z.infer<typeof JobPage>;
