/**
 * Version files and `--config` checked with core's schemas (the ones the server validates with),
 * so a bad file is refused before any request, naming the offending field. Apart from args.ts so
 * that only the commands reading such a file load zod and the schemas.
 */
import { ChatMessage, ModelConfig, VersionContent } from '@promptline/core/schemas';
import { z } from 'zod';
import type { VersionFileContent } from './args.ts';
import { UsageError } from './errors.ts';

/** A `--config` value already parsed as a JSON object, checked as a model config. */
export function configFromJson(value: unknown, what: string): ModelConfig {
  const config = ModelConfig.safeParse(value);
  if (!config.success) throw new UsageError(fieldErrors(what, config.error));
  return config.data;
}

/** `path: field.path: message; …` for the issues of a failed parse, so the user sees which field. */
function fieldErrors(path: string, error: z.ZodError, under: PropertyKey[] = []): string {
  const issues = error.issues.slice(0, 5).map((issue) => {
    const at = [...under, ...issue.path].map(String);
    const field = at.length > 0 ? at.join('.') : '(the whole value)';
    return `${field}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return `${path}: ${issues.join('; ')}${more}`;
}

/** Interprets the JSON of a version file (as `readVersionFile` parsed it); exported for tests. */
export function versionFromJson(value: unknown, path: string): VersionFileContent {
  const expected = `${path} must hold {"type": "text", "template": "…"}, {"type": "chat", "messages": […]} or a JSON array of messages`;
  if (Array.isArray(value)) {
    const messages = z.array(ChatMessage).min(1).safeParse(value);
    if (!messages.success) throw new UsageError(fieldErrors(path, messages.error));
    return { type: 'chat', messages: messages.data };
  }
  if (!value || typeof value !== 'object') throw new UsageError(expected);
  const object = value as Record<string, unknown>;
  const config = ModelConfig.optional().safeParse(object.config);
  if (!config.success) {
    const notAnObject = config.error.issues.some((issue) => issue.path.length === 0);
    const hint = notAnObject ? ' ("config" is an object such as {"model": "gpt-4o-mini"})' : '';
    throw new UsageError(`${fieldErrors(path, config.error, ['config'])}${hint}`);
  }
  const withConfig = config.data === undefined ? {} : { config: config.data };
  if (object.type === undefined && object.template === undefined && object.messages === undefined) {
    throw new UsageError(expected);
  }
  const type = object.type ?? (object.template !== undefined ? 'text' : 'chat');
  const content = VersionContent.safeParse({ ...object, type });
  if (!content.success) throw new UsageError(fieldErrors(path, content.error));
  return { ...content.data, ...withConfig };
}
