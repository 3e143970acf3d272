/**
 * The `.prompt` file: one prompt of the registry as a file in a repository. YAML front matter
 * (Dotprompt's keys where they apply, plus Promptline's) and the template as the body.
 *
 * ```
 * ---
 * description: Routes incoming tickets
 * owner: ann@example.com
 * tags: [support]
 * model: openai/gpt-4o-mini          # provider/model
 * config: { temperature: 0.2 }       # the model parameters
 * input:
 *   schema: { customer: any, ticket: any }
 * promptline: { version: 3, semver: 1.1.0, hash: 9f2c… }   # the version this file was pulled from
 * ---
 * Classify this ticket from {{customer.name}}:
 * {{ticket}}
 * ```
 *
 * A chat prompt writes its messages in the body, each after a `{{role "system"}}` marker line
 * (Dotprompt's), and a placeholder message as a `{{placeholder "history"}}` line. Serialising then
 * parsing gives back exactly what was serialised (`format.test.ts` checks it over random versions).
 */
import { Document, parse as parseYaml, Scalar, visit } from 'yaml';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import {
  ChatMessage,
  ChatRole,
  ModelConfig,
  type Prompt,
  Semver,
  type Version,
  type VersionContent,
} from '../schemas.ts';

/** The version a file was pulled from: push compares it with the registry's head to find conflicts. */
export interface PromptFileBase {
  version: number;
  semver: string;
  /** The version's content hash (of type, template or messages, and config). */
  hash: string;
}

/** Everything a `.prompt` file holds. The prompt's name is its path, not part of the file. */
export interface PromptFile {
  /** The prompt's description, owner and tags (registry entry, not version). */
  description: string;
  owner: string;
  tags: string[];
  content: VersionContent;
  config: ModelConfig;
  /** The variables `input.schema` declares (sorted); pull writes the version's, push ignores them. */
  variables: string[];
  /** Where the file came from; null for a file written by hand that was never pulled. */
  base: PromptFileBase | null;
}

/** The file of a prompt at one of its versions, as `promptline pull` writes it. */
export function promptFileOf(
  prompt: Pick<Prompt, 'description' | 'owner' | 'tags'>,
  version: Version,
): PromptFile {
  return {
    description: prompt.description,
    owner: prompt.owner,
    tags: [...prompt.tags],
    content:
      version.type === 'text'
        ? { type: 'text', template: version.template }
        : { type: 'chat', messages: version.messages },
    config: version.config,
    variables: [...version.variables],
    base: { version: version.number, semver: version.semver, hash: version.hash },
  };
}

// ---------------------------------------------------------------------------------------------
// Markers of chat messages in the body

/** A marker line, leniently: `{{role "system"}}`, `{{ role "user" }}`, `{{placeholder "history"}}`. */
const MARKER = /^\{\{\s*(role|placeholder)\s+"([^"]*)"\s*\}\}\r?$/;

const roleMarker = (role: string) => `{{role "${role}"}}`;
const placeholderMarker = (name: string) => `{{placeholder "${name}"}}`;

function isMarkerLine(line: string): boolean {
  return MARKER.test(line);
}

/** True when the first non-blank line of `body` is a marker: the body is read as chat messages. */
function startsWithMarker(body: string): boolean {
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    return isMarkerLine(line);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Front matter

const Picoschema = z.record(z.string(), z.unknown());

/** The keys a front matter may have; anything else is refused so a typo does not vanish. */
const FrontMatter = z
  .object({
    description: z.string().optional(),
    owner: z.string().optional(),
    tags: z.array(z.string()).optional(),
    type: z.enum(['text', 'chat']).optional(),
    model: z
      .union([
        z.string().min(1),
        z.object({ provider: z.string().min(1).optional(), name: z.string().min(1).optional() }).strict(),
      ])
      .optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    output: z.record(z.string(), z.unknown()).optional(),
    tools: z.array(z.unknown()).optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
    input: z.object({ schema: Picoschema.optional(), default: z.unknown().optional() }).strict().optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    promptline: z
      .object({
        version: z.number().int().positive(),
        semver: Semver,
        hash: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict()
      .optional(),
  })
  .strict();

type FrontMatter = z.infer<typeof FrontMatter>;

const CONFIG_KEYS_OF_THEIR_OWN = new Set(['provider', 'model', 'parameters', 'responseFormat', 'tools']);

/** `provider/model` when both are plain, the object form when a plain string would not split back. */
function modelField(config: ModelConfig): FrontMatter['model'] {
  const { provider, model } = config;
  if (provider === undefined && model === undefined) return undefined;
  if (provider !== undefined && model !== undefined && !provider.includes('/')) return `${provider}/${model}`;
  if (provider === undefined && model !== undefined && !model.includes('/')) return model;
  return { ...(provider === undefined ? {} : { provider }), ...(model === undefined ? {} : { name: model }) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Dotprompt's `output` for a response format: `{format: json}` for OpenAI's `json_object`,
 * `{format: json, schema, name?, strict?, description?}` for `json_schema`, `{format: text}` for
 * `text`; any other shape verbatim as `{responseFormat: …}`.
 */
function outputField(responseFormat: unknown): Record<string, unknown> {
  if (isPlainObject(responseFormat)) {
    const keys = Object.keys(responseFormat);
    if (keys.length === 1 && responseFormat.type === 'json_object') return { format: 'json' };
    if (keys.length === 1 && responseFormat.type === 'text') return { format: 'text' };
    const schema = responseFormat.json_schema;
    if (
      keys.length === 2 &&
      responseFormat.type === 'json_schema' &&
      isPlainObject(schema) &&
      schema.schema !== undefined &&
      Object.keys(schema).every((key) => ['name', 'schema', 'strict', 'description'].includes(key))
    ) {
      return { format: 'json', ...schema };
    }
  }
  return { responseFormat };
}

function responseFormatOf(output: Record<string, unknown>): unknown {
  if ('responseFormat' in output) {
    if (Object.keys(output).length !== 1) {
      throw invalid('`output.responseFormat` stands alone: give either it or `format` (with `schema`)');
    }
    return output.responseFormat;
  }
  const { format, ...rest } = output;
  if (format === 'text' && Object.keys(rest).length === 0) return { type: 'text' };
  if (format === 'json' && Object.keys(rest).length === 0) return { type: 'json_object' };
  if (format === 'json' && rest.schema !== undefined) {
    const unknown = Object.keys(rest).filter(
      (key) => !['name', 'schema', 'strict', 'description'].includes(key),
    );
    if (unknown.length === 0) return { type: 'json_schema', json_schema: rest };
    throw invalid(
      `\`output\` has unknown keys ${unknown.join(', ')} (allowed: format, schema, name, strict, description)`,
    );
  }
  throw invalid(
    '`output` is `{format: json}`, `{format: json, schema: …}`, `{format: text}` or `{responseFormat: …}`',
  );
}

function invalid(message: string, line?: number): AppError {
  const where = line === undefined ? '' : ` (line ${line})`;
  return new AppError('PROMPT_FILE_INVALID', `${message}${where}.`, {
    details: line === undefined ? {} : { line },
  });
}

// ---------------------------------------------------------------------------------------------
// Serialise

/** Chat messages as marker lines and contents, or undefined when a content would not read back. */
function chatBody(messages: ChatMessage[]): string | undefined {
  let body = '';
  for (const message of messages) {
    if ('type' in message) {
      body += `${placeholderMarker(message.name)}\n`;
      continue;
    }
    // A content line that is itself a marker would start a new message when read back.
    if (message.content.split('\n').some(isMarkerLine)) return undefined;
    body += `${roleMarker(message.role)}\n${message.content}\n`;
  }
  return body;
}

/**
 * Writes a prompt file. The body ends with one line break more than the template has, so editors
 * that add a final newline change nothing; {@link parsePromptFile} removes it.
 *
 * @example
 * serializePromptFile({ description: '', owner: '', tags: [], variables: ['name'], base: null,
 *   content: { type: 'text', template: 'Hello {{name}}' }, config: { provider: 'mock', model: 'mock-1' } });
 * // '---\nmodel: mock/mock-1\ninput:\n  schema:\n    name: any\n---\nHello {{name}}\n'
 */
export function serializePromptFile(file: PromptFile): string {
  const front: Record<string, unknown> = {};
  if (file.description !== '') front.description = file.description;
  if (file.owner !== '') front.owner = file.owner;
  if (file.tags.length > 0) front.tags = file.tags;

  let body: string;
  if (file.content.type === 'text') {
    body = `${file.content.template}\n`;
    if (startsWithMarker(body)) front.type = 'text';
  } else {
    const chat = chatBody(file.content.messages);
    if (chat === undefined) {
      front.messages = file.content.messages;
      body = '';
    } else {
      body = chat;
    }
  }

  const { config } = file;
  const model = modelField(config);
  if (model !== undefined) front.model = model;
  if (config.parameters !== undefined) front.config = config.parameters;
  if (config.responseFormat !== undefined) front.output = outputField(config.responseFormat);
  if (config.tools !== undefined) front.tools = config.tools;
  const extra = Object.fromEntries(
    Object.entries(config).filter(([key]) => !CONFIG_KEYS_OF_THEIR_OWN.has(key)),
  );
  if (Object.keys(extra).length > 0) front.extra = extra;
  if (file.variables.length > 0) {
    front.input = { schema: Object.fromEntries(file.variables.map((name) => [name, 'any'])) };
  }
  if (file.base)
    front.promptline = { version: file.base.version, semver: file.base.semver, hash: file.base.hash };

  const yaml = Object.keys(front).length === 0 ? '' : frontMatterYaml(front);
  return `---\n${yaml}---\n${body}`;
}

/**
 * YAML writes multi-line strings as block scalars, which cannot hold a line of only spaces (it
 * reads back as empty) nor a carriage return: such strings are written double-quoted so every value round-trips.
 */
function frontMatterYaml(front: Record<string, unknown>): string {
  const doc = new Document(front, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && /\r|(^|\n)[ \t]+(\n|$)/.test(node.value)) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc.toString({ lineWidth: 0, doubleQuotedAsJSON: true });
}

// ---------------------------------------------------------------------------------------------
// Parse

function splitFrontMatter(text: string): { yaml: string; body: string; bodyLine: number } {
  const firstBreak = text.indexOf('\n');
  const firstLine = firstBreak === -1 ? text : text.slice(0, firstBreak);
  if (firstLine.replace(/\r$/, '') !== '---') return { yaml: '', body: text, bodyLine: 1 };
  let start = firstBreak + 1;
  let line = 2;
  while (firstBreak !== -1 && start <= text.length) {
    const end = text.indexOf('\n', start);
    const current = end === -1 ? text.slice(start) : text.slice(start, end);
    if (current.replace(/\r$/, '') === '---') {
      return {
        yaml: text.slice(firstBreak + 1, start),
        body: end === -1 ? '' : text.slice(end + 1),
        bodyLine: line + 1,
      };
    }
    if (end === -1) break;
    start = end + 1;
    line += 1;
  }
  throw invalid('the front matter opened by `---` on line 1 is never closed: end it with a line `---`');
}

function parseChatBody(body: string, bodyLine: number): ChatMessage[] {
  const lines = body.split('\n');
  const markers: Array<{ index: number; kind: string; value: string }> = [];
  lines.forEach((line, index) => {
    const match = MARKER.exec(line);
    if (match) markers.push({ index, kind: match[1] ?? '', value: match[2] ?? '' });
  });
  const first = markers[0];
  if (!first) throw invalid('a chat prompt needs at least one `{{role "…"}}` line', bodyLine);
  if (lines.slice(0, first.index).some((line) => line.trim() !== '')) {
    throw invalid('text before the first `{{role "…"}}` line belongs to no message', bodyLine);
  }
  return markers.map((marker, k) => {
    const next = markers[k + 1];
    const region = lines.slice(marker.index + 1, next ? next.index : lines.length).join('\n');
    const at = bodyLine + marker.index;
    if (marker.kind === 'placeholder') {
      const placeholder = ChatMessage.safeParse({ type: 'placeholder', name: marker.value });
      if (!placeholder.success)
        throw invalid(`"${marker.value}" is not a placeholder name (an identifier)`, at);
      if (region.trim() !== '') {
        throw invalid(
          `text after \`{{placeholder "${marker.value}"}}\` belongs to no message: start it with a \`{{role "user"}}\` line`,
          at + 1,
        );
      }
      return placeholder.data;
    }
    const role = ChatRole.safeParse(marker.value);
    if (!role.success)
      throw invalid(`unknown role "${marker.value}" (use ${ChatRole.options.join(', ')})`, at);
    // The line break before the next marker (or the file's last one) separates, it is not content.
    const content = !next && region.endsWith('\n') ? region.slice(0, -1) : region;
    return { role: role.data, content };
  });
}

function configOf(front: FrontMatter): ModelConfig {
  const config: Record<string, unknown> = { ...(front.extra ?? {}) };
  const clash = Object.keys(config).filter((key) => CONFIG_KEYS_OF_THEIR_OWN.has(key));
  if (clash.length > 0) {
    throw invalid(
      `\`extra\` must not hold ${clash.join(', ')}: they have keys of their own (model, config, output, tools)`,
    );
  }
  if (typeof front.model === 'string') {
    const slash = front.model.indexOf('/');
    if (slash > 0 && slash < front.model.length - 1) {
      config.provider = front.model.slice(0, slash);
      config.model = front.model.slice(slash + 1);
    } else if (slash === -1) {
      config.model = front.model;
    } else {
      throw invalid(`\`model: ${front.model}\` is provider/model or a model name`);
    }
  } else if (front.model !== undefined) {
    if (front.model.provider !== undefined) config.provider = front.model.provider;
    if (front.model.name !== undefined) config.model = front.model.name;
  }
  if (front.config !== undefined) config.parameters = front.config;
  if (front.output !== undefined) config.responseFormat = responseFormatOf(front.output);
  if (front.tools !== undefined) config.tools = front.tools;
  const parsed = ModelConfig.safeParse(config);
  if (!parsed.success)
    throw invalid(`the model configuration is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Picoschema keys are `name`, `name?` or `name(description)`: the variable is the name. */
function variablesOf(front: FrontMatter): string[] {
  const schema = front.input?.schema ?? {};
  const names = Object.keys(schema).map((key) => key.replace(/\(.*\)$/s, '').replace(/\?$/, ''));
  return [...new Set(names)].sort();
}

/**
 * Reads a prompt file written by {@link serializePromptFile} or by hand.
 *
 * @throws AppError PROMPT_FILE_INVALID naming what is wrong and, where it can, the line.
 * @example
 * parsePromptFile('---\nmodel: mock/mock-1\n---\nHello {{name}}\n').content;
 * // { type: 'text', template: 'Hello {{name}}' }
 */
export function parsePromptFile(text: string): PromptFile {
  const { yaml, body, bodyLine } = splitFrontMatter(text);
  let raw: unknown;
  try {
    raw = yaml.trim() === '' ? {} : parseYaml(yaml, { prettyErrors: true, maxAliasCount: 100 });
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(`the front matter is not valid YAML: ${reason}`, line === undefined ? undefined : line + 1);
  }
  if (raw === null || raw === undefined) raw = {};
  const parsed = FrontMatter.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}${path === '' ? '' : ` in ${path}`} (the front matter takes description, owner, tags, type, model, config, output, tools, extra, input, messages, promptline)`
        : `\`${path}\`: ${issue?.message ?? 'invalid'}`;
    throw invalid(`the front matter is invalid: ${message}`);
  }
  const front = parsed.data;

  let content: VersionContent;
  if (front.messages !== undefined) {
    if (front.type === 'text') throw invalid('`messages` make a chat prompt, but `type` says text');
    if (body.trim() !== '') {
      throw invalid(
        'a prompt whose front matter has `messages` has no body: remove the text after `---`',
        bodyLine,
      );
    }
    content = { type: 'chat', messages: front.messages };
  } else if (front.type === 'chat' || (front.type === undefined && startsWithMarker(body))) {
    content = { type: 'chat', messages: parseChatBody(body, bodyLine) };
  } else {
    content = { type: 'text', template: body.endsWith('\n') ? body.slice(0, -1) : body };
  }

  return {
    description: front.description ?? '',
    owner: front.owner ?? '',
    tags: front.tags ?? [],
    content,
    config: configOf(front),
    variables: variablesOf(front),
    base: front.promptline ?? null,
  };
}
