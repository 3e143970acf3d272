import { EnvironmentName, Problem, PromptName, RowIdParam } from '@promptline/core';
import { z } from 'zod';

/** Error responses every route documents (sent pre-serialised by the error handler). */
export const problemResponses = { '4xx': Problem, '5xx': Problem } as const;

export const PromptParams = z.object({ name: PromptName });
export const PromptEnvParams = z.object({ name: PromptName, env: EnvironmentName });
export const EnvParams = z.object({ env: EnvironmentName });

/** A row addressed by its numeric id in the path (`…/:id`). */
export const IdParams = z.object({ id: RowIdParam });
/** The answer of a DELETE that removed what it named. */
export const Deleted = z.object({ deleted: z.literal(true) });
