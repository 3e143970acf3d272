/**
 * Parsing of the values users type: `--var k=v`, `--variants 3:500,2:9500`, version numbers and
 * version files. Every failure is a {@link UsageError} (exit code 2) that says what was expected.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ChatMessage, ModelConfig, Variant } from '@promptline/core';
import type { z } from 'zod';
import { UsageError } from './errors.ts';

/** Parses a positive integer argument such as a version number or a history id. */
export function parsePositiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${what} must be a positive whole number, got "${value}"`);
  }
  return Number(value);
}

/** Parses an integer that may be negative or zero (an environment rank). */
export function parseInteger(value: string, what: string): number {
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${what} must be a whole number, got "${value}"`);
  }
  return Number(value);
}

/**
 * Parses `--var` arguments into template variables.
 *
 * `key=value` sets a string; `key:=json` sets any JSON value (a list for a section, a boolean, a
 * number); dotted keys (`user.name=Ann`) build nested objects, as Mustache's dotted names read them.
 *
 * @example
 * parseVariables(['name=Ann', 'items:=["a","b"]', 'user.plan=pro'])
 * // { name: 'Ann', items: ['a', 'b'], user: { plan: 'pro' } }
 */
export function parseVariables(args: string[], into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const arg of args) {
    const match = /^([^=:]+)(:?=)([\s\S]*)$/.exec(arg);
    if (!match) throw new UsageError(`--var expects key=value or key:=<json>, got "${arg}"`);
    const [, key = '', operator, raw = ''] = match;
    let value: unknown = raw;
    if (operator === ':=') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new UsageError(`--var ${key}:= expects a JSON value, got ${JSON.stringify(raw)}`);
      }
    }
    setPath(into, key.split('.'), value, arg);
  }
  return into;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown, arg: string): void {
  const [head, ...rest] = path;
  if (head === undefined || head === '') throw new UsageError(`--var has an empty name in "${arg}"`);
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const existing = target[head];
  const child: Record<string, unknown> =
    existing && typeof existing === 'object' && !Array.isArray(existing)
      ? (existing as Record<string, unknown>)
      : {};
  target[head] = child;
  setPath(child, rest, value, arg);
}

/**
 * Checks a request body built from flags with the server's own schema (one contract), so a mistake
 * is a usage error naming the flag: `flagOf` maps a field's path (`"condition.resolveAt"`, or its
 * first part) to the flag that set it; an index after it (`--assert 2`) is counted from 1.
 */
export function checkedBody<S extends z.ZodType>(
  schema: S,
  flagOf: Record<string, string>,
  body: unknown,
): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  let used = path.length;
  while (used > 1 && flagOf[path.slice(0, used).join('.')] === undefined) used--;
  const flag = flagOf[path.slice(0, used).join('.')] ?? String(path[0]);
  const index = path[used];
  const which = typeof index === 'number' ? ` ${index + 1}` : '';
  throw new UsageError(`${flag}${which}: ${issue?.message ?? 'invalid'}`);
}

/** Reads a JSON object of variables (`--vars-file`). */
export async function readVariablesFile(path: string): Promise<Record<string, unknown>> {
  const value = await readJson(path);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${path} must hold a JSON object of variables, e.g. {"name": "Ann"}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Parses weighted variants: `3:500,2:9500` is version 3 with 5% and version 2 with 95% (weights
 * in basis points, 10 000 = 100%). Percentages are accepted too: `3:5%,2:95%`.
 */
export function parseVariants(value: string): Variant[] {
  const variants: Variant[] = [];
  for (const part of value.split(',')) {
    const match = /^\s*(\d+)\s*:\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(part);
    if (!match) {
      throw new UsageError(
        `--variants expects version:weight pairs joined by commas (weights in basis points summing to 10000), e.g. 3:500,2:9500; got "${value}"`,
      );
    }
    const [, version = '', weight = '', percent] = match;
    const basisPoints = percent ? Math.round(Number(weight) * 100) : Number(weight);
    if (!Number.isInteger(basisPoints)) {
      throw new UsageError(`--variants weight "${weight}" must be whole basis points (or a percentage)`);
    }
    variants.push({ version: parsePositiveInt(version, 'variant version'), weight: basisPoints });
  }
  return variants;
}

/** The content of a version read from a file, ready to post. */
export type VersionFileContent =
  | { type: 'text'; template: string; config?: ModelConfig }
  | { type: 'chat'; messages: ChatMessage[]; config?: ModelConfig };

/**
 * Reads a version from a file. `.json` holds `{type, template | messages, config}` or a bare array
 * of messages (a chat prompt); any other file is the template of a text prompt, as it is.
 */
export async function readVersionFile(path: string): Promise<VersionFileContent> {
  if (extname(path).toLowerCase() !== '.json') return { type: 'text', template: await readText(path) };
  const value = await readJson(path);
  // Checked with core's schemas, loaded only here: zod and the schemas are a tenth of a second of
  // start-up that commands without a version file should not pay.
  const { versionFromJson } = await import('./version-file.ts');
  return versionFromJson(value, path);
}

/**
 * The value of `--config`: inline JSON (`{"model": "gpt-4o-mini"}`) or the path of a JSON file;
 * either way an object.
 */
export async function readConfigOption(value: string): Promise<ModelConfig> {
  const inline = value.trimStart().startsWith('{');
  let parsed: unknown;
  if (inline) {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new UsageError(`--config is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    parsed = await readJson(value);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('--config must be a JSON object such as {"provider": "mock", "model": "mock-1"}');
  }
  const { configFromJson } = await import('./version-file.ts');
  return configFromJson(parsed, '--config');
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
