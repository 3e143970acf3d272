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

/** 409 for a new version of an archived prompt. */
export function promptArchived(name: string): AppError {
  return new AppError('PROMPT_ARCHIVED', `Prompt "${name}" is archived: it takes no new versions.`, {
    details: { prompt: name },
    hint: 'Restore it first with PATCH /api/v1/prompts/{name} and {"archived": false}.',
  });
}

/** 409 for archiving a prompt environments still serve. */
export function promptServed(name: string, environments: string[]): AppError {
  return new AppError(
    'PROMPT_SERVED',
    `Prompt "${name}" is still served in ${environments.join(', ')}: archiving it would leave applications without it.`,
    {
      details: { prompt: name, environments },
      hint: 'Turn its release off in each environment first (the kill switch: PUT …/deployments/{env} with "enabled": false), then archive it.',
    },
  );
}
