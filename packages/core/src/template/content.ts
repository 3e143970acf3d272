/**
 * Templates applied to a version's content: text or chat messages with placeholders, and the
 * static include graph of partials.
 */
import { AppError } from '../errors.ts';
import type { RenderedMessage, VersionContent } from '../schemas.ts';
import {
  type CompiledTemplate,
  compileEntry,
  DEFAULT_MAX_PARTIAL_DEPTH,
  inPartial,
  missingVariablesError,
  type RenderOptions,
  renderCollectingMissing,
} from './engine.ts';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Parses a template once; later calls with the same text return the same object from a bounded
 * LRU cache (1000 templates).
 *
 * @throws AppError TEMPLATE_SYNTAX with the line, column and the fix.
 * @example
 * compileTemplate('Hello {{user.name}}').render({ user: { name: 'Ada' } }); // 'Hello Ada'
 */
export function compileTemplate(source: string): CompiledTemplate {
  return compileEntry(source).template;
}

/**
 * Compiles (cached) and renders a template. Output is never HTML-escaped; objects and arrays
 * interpolated directly print as JSON; null prints as nothing.
 *
 * @throws AppError TEMPLATE_SYNTAX, TEMPLATE_VARIABLE_MISSING (strict mode, lists every missing
 *   name), TEMPLATE_PARTIAL_NOT_FOUND, TEMPLATE_PARTIAL_TOO_DEEP.
 * @example
 * renderTemplate('Hi {{name}}{{#tags}} #{{.}}{{/tags}}', { name: 'Ada', tags: ['a', 'b'] }); // 'Hi Ada #a #b'
 */
export function renderTemplate(
  source: string,
  variables: Record<string, unknown>,
  options?: RenderOptions,
): string {
  return compileEntry(source).template.render(variables, options);
}

/**
 * Variables of a version's content: for text, the template's; for chat, the union over messages'
 * contents plus every placeholder's name. Sorted, unique.
 *
 * @throws AppError TEMPLATE_SYNTAX
 */
export function extractVariables(content: VersionContent): string[] {
  if (content.type === 'text') return [...compileTemplate(content.template).variables];
  const names = new Set<string>();
  for (const message of content.messages) {
    if ('type' in message) names.add(message.name);
    else for (const name of compileTemplate(message.content).variables) names.add(name);
  }
  return [...names].sort();
}

/**
 * Partial names used by a version's content (text or any chat message). Sorted, unique.
 *
 * @throws AppError TEMPLATE_SYNTAX
 */
export function extractPartials(content: VersionContent): string[] {
  if (content.type === 'text') return [...compileTemplate(content.template).partials];
  const names = new Set<string>();
  for (const message of content.messages) {
    if ('type' in message) continue;
    for (const name of compileTemplate(message.content).partials) names.add(name);
  }
  return [...names].sort();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function placeholderMessages(name: string, value: unknown): RenderedMessage[] {
  const expected = `Pass variables.${name} as an array of messages like [{ "role": "user", "content": "…" }].`;
  if (!Array.isArray(value)) {
    const message = `Placeholder "${name}" needs an array of messages but got ${describe(value)}. ${expected}`;
    throw new AppError('VALIDATION_FAILED', message, { errors: [{ path: `variables.${name}`, message }] });
  }
  return value.map((item: unknown, index) => {
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof (item as { role?: unknown }).role !== 'string' ||
      typeof (item as { content?: unknown }).content !== 'string'
    ) {
      const message = `Placeholder "${name}": element ${index} must be an object with string "role" and "content", got ${describe(item)}. ${expected}`;
      throw new AppError('VALIDATION_FAILED', message, {
        errors: [{ path: `variables.${name}.${index}`, message }],
      });
    }
    return { ...(item as RenderedMessage) };
  });
}

/**
 * Renders a text or chat content. Chat: each text message's content is rendered as a template;
 * a placeholder `{type:'placeholder', name}` is replaced by the array `variables[name]` (each
 * element an object with string `role` and `content`). A missing placeholder counts as a missing
 * variable in strict mode and as an empty list otherwise. Strict mode reports every missing name
 * of every message in one error.
 *
 * @throws AppError TEMPLATE_VARIABLE_MISSING, VALIDATION_FAILED (a placeholder's value is not a
 *   list of messages), TEMPLATE_SYNTAX, TEMPLATE_PARTIAL_NOT_FOUND, TEMPLATE_PARTIAL_TOO_DEEP.
 * @example
 * renderContent(
 *   { type: 'chat', messages: [{ role: 'system', content: 'Be {{tone}}.' }, { type: 'placeholder', name: 'history' }] },
 *   { tone: 'brief', history: [{ role: 'user', content: 'Hi' }] },
 * ); // { type: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }
 */
export function renderContent(
  content: VersionContent,
  variables: Record<string, unknown>,
  options?: RenderOptions,
): { type: 'text'; text: string } | { type: 'chat'; messages: RenderedMessage[] } {
  const strict = options?.strict ?? true;
  const missing: string[] = [];
  if (content.type === 'text') {
    const text = renderCollectingMissing(compileEntry(content.template), variables, options, missing);
    if (missing.length > 0) throw missingVariablesError(missing);
    return { type: 'text', text };
  }
  const messages: RenderedMessage[] = [];
  for (const message of content.messages) {
    if ('type' in message) {
      const value = hasOwn.call(variables, message.name) ? variables[message.name] : undefined;
      if (value === undefined) {
        if (strict && !missing.includes(message.name)) missing.push(message.name);
        continue;
      }
      messages.push(...placeholderMessages(message.name, value));
    } else {
      const rendered = renderCollectingMissing(compileEntry(message.content), variables, options, missing);
      messages.push({ role: message.role, content: rendered });
    }
  }
  if (missing.length > 0) throw missingVariablesError(missing);
  return { type: 'chat', messages };
}

function tooDeep(chain: readonly string[], maxDepth: number): AppError {
  return new AppError(
    'TEMPLATE_PARTIAL_TOO_DEEP',
    `Partials nest deeper than ${maxDepth} levels (template → ${chain.join(' → ')}). Flatten the includes so no chain is longer than ${maxDepth}.`,
    { details: { path: [...chain], maxDepth } },
  );
}

/**
 * Walks the static include graph of partials from a root content, loading each partial's
 * template text once with `load` (which may be async, e.g. a database). Returns name → template.
 * The root's direct partials are at depth 1.
 *
 * With `strict: false` a partial that `load` does not find is left out of the map (it renders as
 * empty, as Mustache specifies) instead of failing.
 *
 * @throws AppError TEMPLATE_PARTIAL_NOT_FOUND (strict only; names the partial and who includes it),
 *   TEMPLATE_PARTIAL_CYCLE (the message shows the path, a → b → a), TEMPLATE_PARTIAL_TOO_DEEP
 *   (depth > maxDepth, default 5), TEMPLATE_SYNTAX (in the root or a partial).
 */
export async function collectPartials(
  content: VersionContent,
  load: (name: string) => Promise<string | undefined> | string | undefined,
  { maxDepth = DEFAULT_MAX_PARTIAL_DEPTH, strict = true }: { maxDepth?: number; strict?: boolean } = {},
): Promise<Map<string, string>> {
  const loaded = new Map<string, string>();
  // Deepest include chain starting at each fully explored partial (itself first), so a partial
  // reached again by another route is depth-checked without walking it twice.
  const deepest = new Map<string, string[]>();
  const path: string[] = [];

  const visit = async (name: string): Promise<string[]> => {
    const cycleStart = path.indexOf(name);
    if (cycleStart !== -1) {
      const cycle = [...path.slice(cycleStart), name];
      throw new AppError(
        'TEMPLATE_PARTIAL_CYCLE',
        `Partials include each other in a cycle: ${cycle.join(' → ')}. Remove one of these includes.`,
        { details: { cycle } },
      );
    }
    const known = deepest.get(name);
    if (known !== undefined) {
      if (path.length + known.length > maxDepth) throw tooDeep([...path, ...known], maxDepth);
      return known;
    }
    if (path.length + 1 > maxDepth) throw tooDeep([...path, name], maxDepth);

    const text = await load(name);
    if (text === undefined) {
      if (!strict) return [];
      const includer = path[path.length - 1];
      throw new AppError(
        'TEMPLATE_PARTIAL_NOT_FOUND',
        `Partial "${name}" was not found (included by ${includer === undefined ? 'the template' : `partial "${includer}"`}). Create a prompt named "${name}" and deploy it, or remove the include.`,
        {
          details: { partial: name, includedBy: includer ?? null },
          hint: 'To render without it, send strict: false (it renders as empty).',
        },
      );
    }
    loaded.set(name, text);
    let children: readonly string[];
    try {
      children = compileTemplate(text).partials;
    } catch (error) {
      throw inPartial(name, error);
    }
    path.push(name);
    let longest: string[] = [];
    for (const child of children) {
      const chain = await visit(child);
      if (chain.length > longest.length) longest = chain;
    }
    path.pop();
    const chain = [name, ...longest];
    deepest.set(name, chain);
    return chain;
  };

  for (const name of extractPartials(content)) await visit(name);
  return loaded;
}
