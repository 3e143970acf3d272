import { AppError } from '@promptline/core';

/** 404 for an environment name. */
export function environmentNotFound(name: string): AppError {
  return new AppError('ENVIRONMENT_NOT_FOUND', `No environment named "${name}".`, {
    details: { environment: name },
    hint: 'List environments with GET /api/v1/environments.',
  });
}
