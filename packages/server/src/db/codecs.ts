import { AppError } from '@promptline/core';
import type { z } from 'zod';

/** JSON columns are text on both dialects (see schema.ts). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * Decodes a JSON column with the core schema of what it stores, so a row written by an older
 * version or edited by hand fails here, naming the column, instead of deep inside a feature.
 *
 * @throws AppError INTERNAL when the text is not JSON or does not match the schema.
 */
export function decodeJsonAs<S extends z.ZodType>(
  schema: S,
  text: string | null,
  column: string,
): z.output<S> {
  let value: unknown;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch (cause) {
    throw new AppError('INTERNAL', `The stored ${column} is not valid JSON.`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new AppError(
      'INTERNAL',
      `The stored ${column} does not match its schema${where}: ${issue?.message}.`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

export function encodeBool(value: boolean): number {
  return value ? 1 : 0;
}

/** PostgreSQL integers come back as numbers; SQLite as numbers too, but be lenient with bigint/text. */
export function decodeBool(value: unknown): boolean {
  return value === 1 || value === true || value === '1' || value === 1n;
}

/** `count(*)` is a bigint (text) on PostgreSQL and a number on SQLite. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
