/**
 * Compiles a parsed template into a tree of closures (no `eval`/`new Function`, so it runs under
 * a strict CSP on edge runtimes) and renders it. Everything that can be decided once — literal
 * text, dotted paths split into segments, section kinds — is decided at compile time; a render
 * allocates its state object, the context stack and the output string.
 */
import { AppError } from '../errors.ts';
import { parseTemplate, type TemplateNode } from './parser.ts';

/** How a template renders. */
export interface RenderOptions {
  /** default true: a name that resolves nowhere in the context stack is an error */
  strict?: boolean;
  /** looks up a partial's template text by name; undefined = not found */
  partials?: (name: string) => string | undefined;
  /** max nesting of partials at render time, default 5 */
  maxPartialDepth?: number;
}

/** A parsed template, ready to render many times. */
export interface CompiledTemplate {
  readonly source: string;
  /** top-level variable names the template needs from the caller (see rules below), sorted, unique */
  readonly variables: string[];
  /** names of partials it includes directly ({{> name}}), sorted, unique */
  readonly partials: string[];
  render(variables: Record<string, unknown>, options?: RenderOptions): string;
}

/** Default limit of partial nesting, at render time and in `collectPartials`. */
export const DEFAULT_MAX_PARTIAL_DEPTH = 5;

interface RenderState {
  readonly stack: unknown[];
  readonly strict: boolean;
  /** Names that resolved nowhere, as written, in order of first use (strict mode only). */
  missing: string[] | undefined;
  readonly partials: ((name: string) => string | undefined) | undefined;
  readonly maxPartialDepth: number;
  /** Partials being rendered, outermost first; created on the first partial. */
  partialPath: string[] | undefined;
}

/** Renders one node (or a sequence) and returns its text. */
type Emit = (state: RenderState) => string;

/** A compiled template together with its render closure (kept off the public object). */
export interface TemplateEntry {
  readonly template: CompiledTemplate;
  readonly run: Emit;
}

const MISSING: unique symbol = Symbol('missing');
const hasOwn = Object.prototype.hasOwnProperty;

// Own properties only: `{{constructor}}` or `{{__proto__}}` must not reach into prototypes.
function findInStack(stack: readonly unknown[], head: string): unknown {
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i];
    if (typeof frame === 'object' && frame !== null && hasOwn.call(frame, head)) {
      return (frame as Record<string, unknown>)[head];
    }
  }
  return MISSING;
}

// Per the spec, only the first segment searches the stack; later ones resolve against the value
// found, so a broken chain is a miss even when an outer frame has the full path. A plain function
// (not a closure per name) so V8 can inline it into every tag's closure.
function resolve(stack: readonly unknown[], head: string | undefined, rest: readonly string[]): unknown {
  if (head === undefined) return stack[stack.length - 1];
  let value = findInStack(stack, head);
  for (const segment of rest) {
    if (typeof value !== 'object' || value === null || !hasOwn.call(value, segment)) return MISSING;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * How a value prints: strings as they are (never HTML-escaped), numbers and booleans as JS prints
 * them, null/undefined as nothing, objects and arrays as JSON.
 */
function toText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return value === null ? '' : (JSON.stringify(value) ?? '');
    default:
      return '';
  }
}

function reportMissing(state: RenderState, name: string): void {
  state.missing ??= [];
  if (!state.missing.includes(name)) state.missing.push(name);
}

/** The one error of a strict render with unresolved names; lists every one. */
export function missingVariablesError(missing: readonly string[]): AppError {
  const list = missing.map((name) => `"${name}"`).join(', ');
  return new AppError(
    'TEMPLATE_VARIABLE_MISSING',
    `Missing template variable${missing.length === 1 ? '' : 's'}: ${list}.`,
    {
      details: { missing: [...missing] },
      hint: `Pass ${missing.length === 1 ? 'it' : 'them'} in variables, or render with strict: false.`,
    },
  );
}

/** Names the partial in a syntax error found while compiling it; other errors pass unchanged. */
export function inPartial(name: string, error: unknown): unknown {
  if (!(error instanceof AppError) || error.code !== 'TEMPLATE_SYNTAX') return error;
  return new AppError('TEMPLATE_SYNTAX', `In partial "${name}": ${error.message}`, {
    details: { ...error.details, partial: name },
  });
}

interface Part {
  readonly emit: Emit;
  /** Literal text that follows the dynamic part. */
  readonly after: string;
}

// Literal text is folded into the sequence itself: a render concatenates constants and calls a
// closure only for tags, never for text.
function compileNodes(nodes: readonly TemplateNode[]): Emit {
  let head = '';
  const parts: Part[] = [];
  for (const node of nodes) {
    if (node.kind === 'text') {
      const last = parts.pop();
      if (last === undefined) head += node.text;
      else parts.push({ emit: last.emit, after: last.after + node.text });
    } else {
      parts.push({ emit: compileNode(node), after: '' });
    }
  }
  const [first, second] = parts;
  if (first === undefined) return () => head;
  const { emit, after } = first;
  if (second === undefined) return (state) => head + emit(state) + after;
  return (state) => {
    let out = head;
    for (const part of parts) out += part.emit(state) + part.after;
    return out;
  };
}

function indentLines(text: string, indent: string): string {
  // A trailing newline gets no indent: the line after the partial belongs to the includer.
  return indent + text.replace(/\n(?!$)/g, `\n${indent}`);
}

function compilePartial(name: string, indent: string): Emit {
  return (state) => {
    const text = state.partials?.(name);
    state.partialPath ??= [];
    const path = state.partialPath;
    if (text === undefined) {
      if (!state.strict) return '';
      const includer = path[path.length - 1];
      throw new AppError(
        'TEMPLATE_PARTIAL_NOT_FOUND',
        `Partial "${name}" was not found (included by ${includer === undefined ? 'the template' : `partial "${includer}"`}).`,
        {
          details: { partial: name, includedBy: includer ?? null },
          hint: 'Create it, pass it in partials, or render with strict: false.',
        },
      );
    }
    if (path.length >= state.maxPartialDepth) {
      const chain = ['template', ...path, name].join(' → ');
      throw new AppError(
        'TEMPLATE_PARTIAL_TOO_DEEP',
        `Partials nest deeper than ${state.maxPartialDepth} levels (${chain}). Check for a partial that includes itself, or flatten the includes.`,
        { details: { path: [...path, name], maxDepth: state.maxPartialDepth } },
      );
    }
    let entry: TemplateEntry;
    try {
      entry = compileEntry(indent === '' ? text : indentLines(text, indent));
    } catch (error) {
      // Report positions in the partial as its author wrote it, not in the indented copy.
      let cause = error;
      if (indent !== '') {
        try {
          compileEntry(text);
        } catch (unindented) {
          cause = unindented;
        }
      }
      throw inPartial(name, cause);
    }
    path.push(name);
    const out = entry.run(state);
    path.pop();
    return out;
  };
}

function compileNode(node: TemplateNode): Emit {
  switch (node.kind) {
    case 'text': {
      // Only reached for a lone text node; compileNodes folds text into sequences.
      const text = node.text;
      return () => text;
    }
    case 'variable': {
      const { name } = node;
      const [head, ...rest] = node.path;
      return (state) => {
        const value = resolve(state.stack, head, rest);
        if (typeof value === 'string') return value;
        if (value === MISSING) {
          if (state.strict) reportMissing(state, name);
          return '';
        }
        return toText(value);
      };
    }
    case 'section': {
      // Falsy as in mustache.js: false, null, 0, '' and [] skip a section and show an inverted
      // one; a list repeats the body per item; any other value becomes the body's context.
      const { name } = node;
      const [head, ...rest] = node.path;
      const body = compileNodes(node.children);
      if (node.inverted) {
        return (state) => {
          const value = resolve(state.stack, head, rest);
          if (value === MISSING) {
            if (state.strict) reportMissing(state, name);
            return body(state);
          }
          return (Array.isArray(value) ? value.length === 0 : !value) ? body(state) : '';
        };
      }
      return (state) => {
        const value = resolve(state.stack, head, rest);
        if (value === MISSING) {
          if (state.strict) reportMissing(state, name);
          return '';
        }
        const stack = state.stack;
        if (Array.isArray(value)) {
          let out = '';
          for (const item of value) {
            stack.push(item);
            out += body(state);
            stack.pop();
          }
          return out;
        }
        if (value === true) return body(state);
        if (!value) return '';
        stack.push(value);
        const out = body(state);
        stack.pop();
        return out;
      };
    }
    case 'partial':
      return compilePartial(node.name, node.indent);
  }
}

/*
 * Variable extraction — what a caller must pass:
 * - names of tags outside any section, and the names of top-level sections and inverted sections;
 * - names inside inverted sections (they render with the context unchanged), recursively;
 * - each reduced to its first dotted segment (`user.name` → `user`);
 * - not names inside normal sections: they may come from the section's item;
 * - never `{{.}}`, and never partials' own variables (partials are listed separately).
 */
function collectVariables(nodes: readonly TemplateNode[], into: Set<string>): void {
  for (const node of nodes) {
    if (node.kind !== 'variable' && node.kind !== 'section') continue;
    const head = node.path[0];
    if (head !== undefined) into.add(head);
    if (node.kind === 'section' && node.inverted) collectVariables(node.children, into);
  }
}

function collectPartialNames(nodes: readonly TemplateNode[], into: Set<string>): void {
  for (const node of nodes) {
    if (node.kind === 'partial') into.add(node.name);
    else if (node.kind === 'section') collectPartialNames(node.children, into);
  }
}

function createState(
  variables: Record<string, unknown>,
  options: RenderOptions | undefined,
  missing: string[] | undefined,
): RenderState {
  return {
    stack: [variables],
    strict: options?.strict ?? true,
    missing,
    partials: options?.partials,
    maxPartialDepth: options?.maxPartialDepth ?? DEFAULT_MAX_PARTIAL_DEPTH,
    partialPath: undefined,
  };
}

/**
 * Renders without throwing for missing names: they are appended to `missing` (strict mode), so
 * several templates (the messages of a chat) can report all their misses in one error.
 */
export function renderCollectingMissing(
  entry: TemplateEntry,
  variables: Record<string, unknown>,
  options: RenderOptions | undefined,
  missing: string[],
): string {
  return entry.run(createState(variables, options, missing));
}

function buildEntry(source: string): TemplateEntry {
  const nodes = parseTemplate(source);
  const run = compileNodes(nodes);
  const variableSet = new Set<string>();
  collectVariables(nodes, variableSet);
  const partialSet = new Set<string>();
  collectPartialNames(nodes, partialSet);
  const variables = [...variableSet].sort();
  const partials = [...partialSet].sort();
  // Cached and shared between callers: nobody may change them.
  Object.freeze(variables);
  Object.freeze(partials);
  const template: CompiledTemplate = Object.freeze({
    source,
    variables,
    partials,
    render(vars: Record<string, unknown>, options?: RenderOptions): string {
      const state = createState(vars, options, undefined);
      const out = run(state);
      if (state.missing !== undefined) throw missingVariablesError(state.missing);
      return out;
    },
  });
  return { template, run };
}

// Bounded by entries and by total characters so a stream of distinct large templates cannot grow
// memory without limit. Map iteration order is insertion order, so the first key is the least
// recently refreshed. A hit re-inserts its entry only once it has aged past half the capacity:
// the hot path (one template rendered over and over) then costs a single `get`.
const CACHE_MAX_ENTRIES = 1000;
const CACHE_MAX_CHARS = 16_000_000;

interface CacheSlot {
  readonly entry: TemplateEntry;
  stamp: number;
}

const cache = new Map<string, CacheSlot>();
let cachedChars = 0;
let clock = 0;

/** Compiles (or takes from the LRU cache) a template with its render closure. */
export function compileEntry(source: string): TemplateEntry {
  const hit = cache.get(source);
  if (hit !== undefined) {
    if (clock - hit.stamp > CACHE_MAX_ENTRIES / 2) {
      hit.stamp = ++clock;
      cache.delete(source);
      cache.set(source, hit);
    }
    return hit.entry;
  }
  const entry = buildEntry(source);
  cache.set(source, { entry, stamp: ++clock });
  cachedChars += source.length;
  while (cache.size > CACHE_MAX_ENTRIES || cachedChars > CACHE_MAX_CHARS) {
    const oldest = cache.keys().next();
    if (oldest.done === true) break;
    cache.delete(oldest.value);
    cachedChars -= oldest.value.length;
  }
  return entry;
}
