import { AppError } from '@promptline/core';

/** 404 for a prompt name. */
export function promptNotFound(name: string): AppError {
  return new AppError('PROMPT_NOT_FOUND', `No prompt named "${name}".`, {
    details: { prompt: name },
    hint: 'List prompts with GET /api/v1/prompts; names containing "/" must be URL-encoded in paths.',
  });
}

/** 404 for a version number. */
export function versionNotFound(name: string, number: number): AppError {
  return new AppError('VERSION_NOT_FOUND', `Prompt "${name}" has no version ${number}.`, {
    details: { prompt: name, version: number },
    hint: 'List its versions with GET /api/v1/prompts/{name}/versions.',
  });
}
