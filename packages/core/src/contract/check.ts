/**
 * Checking values against contracts. JSON Schema validation is passed in (ajv in Node, see
 * `createSchemaIssueFinder` in `@promptline/core/node`), so this stays usable everywhere.
 */
import { AppError } from '../errors.ts';
import { toJsonSchema } from './picoschema.ts';
import type { InputContract, OutputContract } from './shapes.ts';

/** One offending field: its path (`variables.customer.name`) and what is wrong. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** Validates data against a JSON Schema and lists every offending field (paths relative to the data, `''` for the root). */
export type SchemaIssueFinder = (schema: unknown, data: unknown) => SchemaIssue[];

/**
 * The issues of `variables` against a version's input contract, paths under `variables.`.
 *
 * @example inputIssues({ schema: { ticket: 'string' } }, {}, find) // [{ path: 'variables.ticket', message: 'is required' }]
 */
export function inputIssues(
  contract: InputContract,
  variables: Record<string, unknown>,
  find: SchemaIssueFinder,
): SchemaIssue[] {
  return find(toJsonSchema(contract.schema), variables).map((issue) => ({
    path: issue.path === '' ? 'variables' : `variables.${issue.path}`,
    message: issue.message,
  }));
}

/**
 * Throws when `variables` break the input contract.
 *
 * @throws AppError INPUT_INVALID listing each offending field.
 */
export function assertInputs(
  prompt: string,
  contract: InputContract | undefined,
  variables: Record<string, unknown>,
  find: SchemaIssueFinder,
): void {
  if (!contract) return;
  const issues = inputIssues(contract, variables, find);
  if (issues.length === 0) return;
  throw new AppError(
    'INPUT_INVALID',
    `The variables do not match the input schema of "${prompt}": ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}. Fix them, or change the schema in a new version.`,
    { errors: issues },
  );
}

/** Output text as JSON: as is, or the inside of one Markdown code fence. */
function parseJsonOutput(output: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = output.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(trimmed);
  try {
    return { ok: true, value: JSON.parse(fenced?.[1] ?? trimmed) };
  } catch {
    // Not JSON: the caller reports it.
    return { ok: false };
  }
}

/**
 * Whether an output meets an output contract, and why not.
 *
 * @example checkOutput({ format: 'text', maxWords: 3 }, 'one two three four', find) // { pass: false, reason: 'has 4 words, over the 3 allowed' }
 */
export function checkOutput(
  contract: OutputContract,
  output: string,
  find: SchemaIssueFinder,
): { pass: boolean; reason: string } {
  if (contract.format === 'json') {
    const parsed = parseJsonOutput(output);
    if (!parsed.ok)
      return { pass: false, reason: 'the output is not JSON, but the contract says format: json' };
    if (!contract.schema) return { pass: true, reason: 'the output is JSON' };
    const issues = find(toJsonSchema(contract.schema), parsed.value);
    if (issues.length === 0) return { pass: true, reason: 'the output is JSON matching the contract schema' };
    return {
      pass: false,
      reason: `the output JSON breaks the contract schema: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
    };
  }
  const problems: string[] = [];
  const words = output.trim() === '' ? 0 : output.trim().split(/\s+/).length;
  if (contract.minLength !== undefined && output.length < contract.minLength)
    problems.push(`is ${output.length} characters, under the ${contract.minLength} required`);
  if (contract.maxLength !== undefined && output.length > contract.maxLength)
    problems.push(`is ${output.length} characters, over the ${contract.maxLength} allowed`);
  if (contract.maxWords !== undefined && words > contract.maxWords)
    problems.push(`has ${words} words, over the ${contract.maxWords} allowed`);
  if (contract.pattern !== undefined && !new RegExp(contract.pattern, 'u').test(output))
    problems.push(`does not match /${contract.pattern}/`);
  for (const s of contract.contains ?? []) if (!output.includes(s)) problems.push(`does not contain "${s}"`);
  for (const s of contract.notContains ?? []) if (output.includes(s)) problems.push(`contains "${s}"`);
  return problems.length === 0
    ? { pass: true, reason: 'the output meets the text contract' }
    : { pass: false, reason: `the output ${problems.join(', ')}` };
}
