import { EnvironmentName, Problem, PromptName } from '@promptline/core';
import { z } from 'zod';

/** Error responses every route documents (sent pre-serialised by the error handler). */
export const problemResponses = { '4xx': Problem, '5xx': Problem } as const;

export const PromptParams = z.object({ name: PromptName });
export const PromptEnvParams = z.object({ name: PromptName, env: EnvironmentName });
export const EnvParams = z.object({ env: EnvironmentName });
