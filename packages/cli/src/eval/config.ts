/**
 * Eval configs: Promptline's `promptline.eval.yaml` and promptfoo's `promptfooconfig.yaml` (the
 * first is the second plus `thresholds`, `grader` and prompt objects with `template`/`messages`),
 * read into the runner's {@link EvalSuite}. Every key is either understood or refused by name.
 * YAML is read with js-yaml: on suites of thousands of inline tests it parses 10× faster than
 * `yaml` in a third of the memory (no document model is built).
 *
 * Over 500 lines because both formats are read by one set of key-by-key readers (each key
 * understood or refused by name); splitting promptfoo's keys from ours is the natural cut.
 */
import { existsSync } from 'node:fs';
import fsPromises, { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { DatasetItem, ModelConfig, parsePromptFile } from '@promptline/core';
import { AppError } from '@promptline/core/errors';
import {
  AssertionSpec,
  checkVarsTemplate,
  type EvalCase,
  type EvalPrompt,
  type EvalPromptContent,
  type EvalProvider,
  type EvalSuite,
  resolveProviderSpec,
  SUPPORTED_ASSERTIONS,
  Thresholds,
  validateAssertion,
} from '@promptline/core/node';
import { load as parseYaml } from 'js-yaml';
import { z } from 'zod';
import { parseCsv } from './csv.ts';
import type { RegistryLoader } from './registry.ts';

/** Config file names looked for in the working directory, in order. */
export const CONFIG_NAMES = [
  'promptline.eval.yaml',
  'promptline.eval.yml',
  'promptfooconfig.yaml',
  'promptfooconfig.yml',
  'promptfooconfig.json',
];

/** The config file in `cwd`, or null. */
export function findConfig(cwd: string): string | null {
  for (const name of CONFIG_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return null;
}

const UNSUPPORTED_TOP: Record<string, string> = {
  scenarios: 'scenarios are not supported: list the combined cases under `tests`.',
  nunjucksFilters: 'custom nunjucks filters are not supported: Promptline substitutes plain {{ variables }}.',
  derivedMetrics: 'derivedMetrics are not supported yet: use named `metric`s on assertions.',
  extensions: 'extension hooks are not supported.',
  env: 'the `env` block is not supported: set the variables in the environment of `promptline eval`.',
  sharing: '`sharing` is not supported: results stay local (write them with -o).',
  redteam: 'the `redteam` block is read by `promptline redteam <config>`, not by eval.',
};

const DefaultTest = z
  .object({
    description: z.string().optional(),
    vars: z.record(z.string(), z.unknown()).optional(),
    assert: z.array(z.unknown()).optional(),
    threshold: z.number().optional(),
    options: z.object({ provider: z.unknown().optional() }).strict().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const TestCase = DefaultTest;

/** `{ dataset: name, revision? }`: the cases are the items of a server dataset. */
const DatasetRef = z
  .object({
    dataset: z.string().min(1),
    revision: z.number().int().min(0).optional(),
    /** Assertions added to every item's case (besides the item's `expected`). */
    assert: z.array(z.unknown()).optional(),
    threshold: z.number().optional(),
  })
  .strict();
type DatasetRef = z.infer<typeof DatasetRef>;

const ConfigFile = z
  .object({
    description: z.string().optional(),
    tags: z.record(z.string(), z.unknown()).optional(),
    prompts: z.union([z.string(), z.array(z.unknown())]),
    providers: z.union([z.string(), z.array(z.unknown())]),
    tests: z
      .union([z.string(), z.array(z.unknown()), z.object({ dataset: z.unknown() }).passthrough()])
      .optional(),
    /** Promptline only: a server dataset as the cases (besides any `tests`). */
    dataset: z
      .union([z.string().min(1), DatasetRef.omit({ dataset: true }).extend({ name: z.string().min(1) })])
      .optional(),
    defaultTest: DefaultTest.optional(),
    evaluateOptions: z
      .object({
        maxConcurrency: z.number().int().positive().optional(),
        repeat: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    outputPath: z.union([z.string(), z.array(z.string())]).optional(),
    thresholds: Thresholds.optional(),
    grader: z.unknown().optional(),
    embedder: z.unknown().optional(),
  })
  .strict();

/** What a config read from the server: registry versions and dataset revisions. */
export interface ConfigSources {
  prompts: { name: string; version: number }[];
  datasets: { name: string; revision: number }[];
}

/** A loaded config: the suite and the output paths it asks for. */
export interface LoadedConfig {
  suite: EvalSuite;
  outputPaths: string[];
  path: string;
  sources: ConfigSources;
}

/** How a config reaches the server for registry references; absent when PROMPTLINE_URL is unset. */
export interface LoadOptions {
  registry?: RegistryLoader | null;
}

function requireRegistry(options: LoadOptions, where: string, what: string): RegistryLoader {
  if (options.registry) return options.registry;
  throw new AppError(
    'CONFIG_INVALID',
    `${where}: ${what} is read from a Promptline server, but PROMPTLINE_URL is not set. Set PROMPTLINE_URL (and PROMPTLINE_API_KEY), or use a local file instead.`,
  );
}

function configError(path: string, message: string): AppError {
  return new AppError('CONFIG_INVALID', `${basename(path)}: ${message}`);
}

function formatZod(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys')
        return `${where}: unsupported key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

async function readStructured(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  return extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
}

function fileRef(value: string, baseDir: string): string {
  const rest = value.slice('file://'.length);
  return isAbsolute(rest) ? rest : resolve(baseDir, rest);
}

async function expand(pattern: string): Promise<string[]> {
  if (!/[*?[{]/.test(pattern)) return [pattern];
  // fs.glob arrived in Node 22; a named import would stop the whole CLI from loading on Node 20.
  const glob = fsPromises.glob as typeof fsPromises.glob | undefined;
  if (!glob) {
    throw new AppError(
      'CONFIG_INVALID',
      `${pattern}: file:// globs need Node.js 22 or newer (this is ${process.version}); list the files one by one or upgrade Node.`,
    );
  }
  const out: string[] = [];
  for await (const p of glob(pattern)) out.push(p);
  return out.sort();
}

async function loadVarValue(value: unknown, baseDir: string, where: string): Promise<unknown> {
  if (typeof value !== 'string' || !value.startsWith('file://')) return value;
  const path = fileRef(value, baseDir);
  const ext = extname(path);
  if (['.js', '.cjs', '.mjs', '.ts', '.py'].includes(ext)) {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: vars computed by scripts (${value}) are not supported; put the value in a .txt/.json/.yaml file.`,
    );
  }
  try {
    if (ext === '.json' || ext === '.yaml' || ext === '.yml') return await readStructured(path);
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${where}: cannot read ${value}: ${(err as Error).message}`);
  }
}

async function loadVars(vars: Record<string, unknown> | undefined, baseDir: string, where: string) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars ?? {}))
    out[k] = await loadVarValue(v, baseDir, `${where}.vars.${k}`);
  return out;
}

/**
 * promptfoo's var expansion: a list of strings, or a `file://` glob matching several files, makes
 * one case per value (the cartesian product over such vars).
 */
async function varCombinations(vars: Record<string, unknown>, baseDir: string, where: string) {
  let combinations: Record<string, unknown>[] = [{}];
  for (const [key, value] of Object.entries(vars)) {
    let values: unknown[] = [value];
    if (Array.isArray(value) && typeof value[0] === 'string') values = value;
    else if (typeof value === 'string' && value.startsWith('file://') && /[*?[{]/.test(value)) {
      values = (await expand(fileRef(value, baseDir))).map((p) => `file://${p}`);
      if (values.length === 0)
        throw new AppError('CONFIG_INVALID', `${where}.vars.${key}: ${value} matches no file.`);
    }
    combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combinations;
}

const MESSAGE_ROLES = new Set(['system', 'developer', 'user', 'assistant']);

function chatContent(value: unknown, where: string): EvalPromptContent | null {
  if (!Array.isArray(value)) return null;
  const messages = value.map((m, i) => {
    const o = m as { role?: unknown; content?: unknown };
    if (
      !o ||
      typeof o !== 'object' ||
      !MESSAGE_ROLES.has(o.role as string) ||
      typeof o.content !== 'string'
    ) {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}[${i}]: a chat message needs a role (system, developer, user, assistant) and string content.`,
      );
    }
    return { role: o.role as 'system' | 'developer' | 'user' | 'assistant', content: o.content };
  });
  return { type: 'chat', messages };
}

/** A version's typed inputs and output contract, as the runner checks them. */
function contracts(config: ModelConfig): Pick<EvalPrompt, 'input' | 'output'> {
  return {
    ...(config.input ? { input: config.input } : {}),
    ...(config.output ? { output: config.output } : {}),
  };
}

/** `x.py` or `x.py:function` (promptfoo's Python prompt functions): the file and the function. */
function pythonFileRef(path: string): { path: string; functionName?: string } | null {
  const m = /^(.+\.py)(?::([A-Za-z_][\w.]*))?$/.exec(path);
  if (!m?.[1]) return null;
  return m[2] ? { path: m[1], functionName: m[2] } : { path: m[1] };
}

async function promptsFromFile(
  path: string,
  label: string | undefined,
  where: string,
): Promise<EvalPrompt[]> {
  const python = pythonFileRef(path);
  if (python) {
    if (!existsSync(python.path)) {
      throw new AppError('CONFIG_INVALID', `${where}: prompt function file ${python.path} does not exist.`);
    }
    const id = label ?? basename(path);
    return [{ id, label: id, content: { type: 'python', ...python } }];
  }
  const ext = extname(path);
  if (['.js', '.cjs', '.mjs', '.ts'].includes(ext)) {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: JavaScript prompt functions (${basename(path)}) are not supported; use a text, JSON or YAML prompt file, or a Python prompt function (file://prompts.py:function).`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: cannot read prompt file ${path}: ${(err as Error).message}`,
    );
  }
  if (ext === '.prompt') {
    // A prompts-as-code file (`promptline pull`): evaluated as the registry would render it.
    let file: ReturnType<typeof parsePromptFile>;
    try {
      // Loaded here: its YAML parser is ~70 modules no other config needs (eval start-up).
      file = (await import('@promptline/core/prompt-file')).parsePromptFile(text);
    } catch (error) {
      throw new AppError('CONFIG_INVALID', `${where}: ${basename(path)}: ${(error as Error).message}`);
    }
    const id = label ?? basename(path);
    return [
      {
        id,
        label: id,
        content: { type: 'registry', content: file.content, partials: {} },
        ...contracts(file.config),
      },
    ];
  }
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    const parsed: unknown = ext === '.json' ? JSON.parse(text) : parseYaml(text);
    const chat = chatContent(parsed, where);
    if (!chat)
      throw new AppError('CONFIG_INVALID', `${where}: ${basename(path)} must hold a list of chat messages.`);
    return [{ id: label ?? basename(path), label: label ?? basename(path), content: chat }];
  }
  // promptfoo splits text prompt files on lines of `---`.
  const parts = text
    .split(/^-{3,}\s*$/m)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return parts.map((template, i) => {
    const id = label ?? (parts.length > 1 ? `${basename(path)}#${i + 1}` : basename(path));
    return { id, label: id, content: { type: 'text' as const, template } };
  });
}

const RegistryPromptRef = z
  .object({
    registry: z.string().min(1),
    version: z.number().int().positive().optional(),
    env: z.string().min(1).optional(),
    label: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.version === undefined || r.env === undefined, {
    message: 'give `version` or `env`, not both (neither means the latest version)',
  });

async function registryPrompts(
  raw: Record<string, unknown>,
  where: string,
  options: LoadOptions,
): Promise<EvalPrompt[]> {
  const parsed = RegistryPromptRef.safeParse(raw);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `${where}: ${formatZod(parsed.error)}`);
  const ref = parsed.data;
  const loader = requireRegistry(options, where, `registry prompt "${ref.registry}"`);
  const versions = await loader.prompt({ name: ref.registry, version: ref.version, env: ref.env }, where);
  return versions.map((v) => {
    // name@vN keeps versions apart in summaries, thresholds and baseline keys.
    const id = `${ref.label ?? v.name}@v${v.number}`;
    return {
      id,
      label: id,
      content: { type: 'registry' as const, content: v.content, partials: v.partials },
      registry: { name: v.name, version: v.number },
      ...contracts(v.config),
    };
  });
}

async function loadPrompts(
  raw: string | unknown[],
  baseDir: string,
  options: LoadOptions,
): Promise<EvalPrompt[]> {
  const list = typeof raw === 'string' ? [raw] : raw;
  const out: EvalPrompt[] = [];
  for (const [i, item] of list.entries()) {
    const where = `prompts[${i}]`;
    if (typeof item === 'string') {
      if (item.startsWith('file://') && pythonFileRef(fileRef(item, baseDir))) {
        out.push(...(await promptsFromFile(fileRef(item, baseDir), undefined, where)));
      } else if (item.startsWith('file://')) {
        const files = await expand(fileRef(item, baseDir));
        if (files.length === 0) throw new AppError('CONFIG_INVALID', `${where}: ${item} matches no file.`);
        for (const f of files) out.push(...(await promptsFromFile(f, undefined, where)));
      } else {
        const label = item.length > 60 ? `${item.slice(0, 57)}...` : item;
        out.push({ id: label, label, content: { type: 'text', template: item } });
      }
      continue;
    }
    if (!item || typeof item !== 'object')
      throw new AppError('CONFIG_INVALID', `${where}: a prompt is a string or an object.`);
    const o = item as Record<string, unknown>;
    if ('registry' in o) {
      for (const p of await registryPrompts(o, where, options)) {
        // The same version named twice (e.g. by `env` and by `version`) is one prompt of the matrix.
        if (!out.some((q) => q.id === p.id)) out.push(p);
      }
      continue;
    }
    for (const key of Object.keys(o)) {
      if (!['id', 'label', 'raw', 'template', 'messages', 'file'].includes(key)) {
        throw new AppError(
          'CONFIG_INVALID',
          `${where}: prompt key "${key}" is not supported (use label with raw, template, messages, file or id: file://…, or registry with version/env).`,
        );
      }
    }
    const label = typeof o.label === 'string' ? o.label : undefined;
    const file =
      typeof o.file === 'string'
        ? `file://${o.file}`
        : typeof o.id === 'string' && o.id.startsWith('file://')
          ? o.id
          : null;
    if (file) {
      out.push(...(await promptsFromFile(fileRef(file, baseDir), label, where)));
    } else if (typeof o.raw === 'string' || typeof o.template === 'string') {
      const template = (o.raw ?? o.template) as string;
      const id = label ?? (typeof o.id === 'string' ? o.id : template.slice(0, 60));
      out.push({ id, label: id, content: { type: 'text', template } });
    } else if (o.messages !== undefined) {
      const chat = chatContent(o.messages, `${where}.messages`);
      const id = label ?? (typeof o.id === 'string' ? o.id : `prompt-${i + 1}`);
      if (chat) out.push({ id, label: id, content: chat });
    } else {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}: give the prompt as raw/template text, messages, or a file.`,
      );
    }
  }
  const ids = new Set<string>();
  for (const p of out) {
    if (ids.has(p.id))
      throw new AppError(
        'CONFIG_INVALID',
        `prompts: two prompts are labelled "${p.id}"; give them distinct labels.`,
      );
    ids.add(p.id);
    // Registry versions render with the registry's engine and were checked when saved; Python
    // prompt functions answer text that is sent as it is.
    if (p.content.type === 'registry' || p.content.type === 'python') continue;
    const sources =
      p.content.type === 'text' ? [p.content.template] : p.content.messages.map((m) => m.content);
    for (const s of sources) checkVarsTemplate(s);
  }
  return out;
}

const CSV_TYPE = /^(not-)?([a-z][a-z-]*)(?:\((\d*\.?\d+)\))?(?::([\s\S]*))?$/;
const CSV_ALIASES: Record<string, string> = { grade: 'llm-rubric', fn: 'javascript', eval: 'javascript' };

const NO_VALUE_TYPES = ['is-json', 'contains-json', 'is-valid-openai-tools-call'];

/** promptfoo's `__expected` cell syntax: `contains: x`, `similar(0.8): x`, `is-json`, plain text = equals. */
export function assertionFromCsv(cell: string): AssertionSpec {
  const m = CSV_TYPE.exec(cell.trim());
  const name = m?.[2];
  if (m && name !== undefined) {
    const base = CSV_ALIASES[name] ?? name;
    const value = m[4];
    if (SUPPORTED_ASSERTIONS.includes(base) && (value !== undefined || NO_VALUE_TYPES.includes(base))) {
      const spec: AssertionSpec = { type: `${m[1] ?? ''}${base}` };
      if (value !== undefined) spec.value = value.trim();
      if (m[3] !== undefined) spec.threshold = Number(m[3]);
      return spec;
    }
  }
  return { type: 'equals', value: cell };
}

async function testsFromCsv(path: string): Promise<unknown[]> {
  const rows = parseCsv(await readFile(path, 'utf8'));
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((cells) => {
    const vars: Record<string, unknown> = {};
    const asserts: AssertionSpec[] = [];
    const test: Record<string, unknown> = { vars, assert: asserts };
    header.forEach((name, i) => {
      const cell = cells[i] ?? '';
      if (name.startsWith('__expected')) {
        if (cell.trim() !== '') asserts.push(assertionFromCsv(cell));
      } else if (name === '__description') test.description = cell;
      else if (name === '__threshold') {
        if (cell.trim() !== '') test.threshold = Number(cell);
      } else if (name === '__metric') {
        for (const a of asserts) a.metric = cell;
      } else if (name.startsWith('__')) {
        throw new AppError(
          'CONFIG_INVALID',
          `${basename(path)}: CSV column "${name}" is not supported (supported: __expected*, __description, __threshold, __metric).`,
        );
      } else vars[name] = cell;
    });
    return test;
  });
}

async function testsFromRef(ref: string, baseDir: string): Promise<unknown[]> {
  const files = await expand(fileRef(ref, baseDir));
  if (files.length === 0) throw new AppError('CONFIG_INVALID', `tests: ${ref} matches no file.`);
  const out: unknown[] = [];
  for (const file of files) {
    const ext = extname(file);
    try {
      if (ext === '.csv') out.push(...(await testsFromCsv(file)));
      else if (ext === '.jsonl') {
        for (const line of (await readFile(file, 'utf8')).split('\n'))
          if (line.trim()) out.push(JSON.parse(line));
      } else if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
        const doc = await readStructured(file);
        if (!Array.isArray(doc)) throw new Error('expected a list of tests');
        out.push(...doc);
      } else throw new Error('tests files are .csv, .json, .jsonl or .yaml');
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('CONFIG_INVALID', `tests: cannot read ${basename(file)}: ${(err as Error).message}`);
    }
  }
  return out;
}

function absolutiseCode(spec: AssertionSpec, baseDir: string): AssertionSpec {
  if (
    typeof spec.value === 'string' &&
    spec.value.startsWith('file://') &&
    (spec.type.endsWith('javascript') || spec.type.endsWith('python'))
  ) {
    return { ...spec, value: `file://${fileRef(spec.value, baseDir)}` };
  }
  return spec;
}

function parseAssertions(list: unknown[] | undefined, where: string, baseDir: string): AssertionSpec[] {
  return (list ?? []).map((raw, i) => {
    const parsed = AssertionSpec.safeParse(raw);
    if (!parsed.success) {
      throw new AppError('CONFIG_INVALID', `${where}[${i}]: ${formatZod(parsed.error)}`);
    }
    // Python runs here, on the machine of whoever runs the config (never on the server).
    validateAssertion(parsed.data, `${where}[${i}]`, { python: true });
    if (
      typeof parsed.data.value === 'string' &&
      !parsed.data.type.endsWith('javascript') &&
      !parsed.data.type.endsWith('python')
    )
      checkVarsTemplate(parsed.data.value);
    return absolutiseCode(parsed.data, baseDir);
  });
}

/**
 * The assertions a dataset item's `expected` adds (as for the server's eval runs): a string is an
 * `equals` check, an object or a list of objects are assertion specs.
 */
function expectedAssertions(expected: unknown, where: string, baseDir: string): AssertionSpec[] {
  if (expected === null || expected === undefined) return [];
  if (typeof expected === 'string') return [{ type: 'equals', value: expected }];
  return parseAssertions(Array.isArray(expected) ? expected : [expected], `${where}.expected`, baseDir);
}

function datasetCase(
  item: DatasetItem,
  ctx: {
    dataset: string;
    revision: number;
    shared: AssertionSpec[];
    defaultVars: Record<string, unknown>;
    threshold: number | undefined;
    judge: unknown;
    baseDir: string;
    where: string;
  },
): EvalCase {
  const where = `${ctx.where} (dataset "${ctx.dataset}" item ${item.id})`;
  const description = item.metadata.description;
  const testCase: EvalCase = {
    description: typeof description === 'string' ? description : `${ctx.dataset} #${item.id}`,
    vars: { ...ctx.defaultVars, ...item.variables },
    assert: [...ctx.shared, ...expectedAssertions(item.expected, where, ctx.baseDir)],
    item: { dataset: ctx.dataset, revision: ctx.revision, itemId: item.id },
  };
  if (Object.keys(item.metadata).length > 0) testCase.metadata = item.metadata;
  if (ctx.threshold !== undefined) testCase.threshold = ctx.threshold;
  if (ctx.judge !== undefined) testCase.provider = ctx.judge;
  return testCase;
}

/**
 * Reads a config file into a suite.
 *
 * @throws AppError CONFIG_INVALID naming the file, the place and what is wrong or unsupported.
 */
export async function loadEvalConfig(
  path: string,
  env: Record<string, string | undefined>,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let raw: unknown;
  try {
    raw = await readStructured(path);
  } catch (err) {
    throw configError(path, `cannot read or parse: ${(err as Error).message}`);
  }
  return parseEvalConfig(raw, path, env, options);
}

/**
 * Reads an already parsed config (`promptline redteam` takes its `redteam` block off first).
 *
 * @throws AppError CONFIG_INVALID naming the file, the place and what is wrong or unsupported.
 */
export async function parseEvalConfig(
  raw: unknown,
  path: string,
  env: Record<string, string | undefined>,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  const baseDir = dirname(resolve(path));
  if (raw && typeof raw === 'object') {
    for (const key of Object.keys(raw)) {
      const hint = UNSUPPORTED_TOP[key];
      if (hint) throw configError(path, `"${key}": ${hint}`);
    }
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) throw configError(path, formatZod(parsed.error));
  const cfg = parsed.data;
  try {
    const prompts = await loadPrompts(cfg.prompts, baseDir, options);
    const providerList = typeof cfg.providers === 'string' ? [cfg.providers] : cfg.providers;
    const providers: EvalProvider[] = providerList.map((p, i) =>
      resolveProviderSpec(p, { env, baseDir }, `providers[${i}]`),
    );
    const providerIds = new Set<string>();
    for (const p of providers) {
      if (providerIds.has(p.id))
        throw new AppError(
          'CONFIG_INVALID',
          `providers: "${p.id}" is listed twice; give them distinct labels.`,
        );
      providerIds.add(p.id);
    }
    const defaults = cfg.defaultTest ?? {};
    const defaultAsserts = parseAssertions(defaults.assert, 'defaultTest.assert', baseDir);
    const rawTests: unknown[] = [];
    const datasetRefs: { ref: DatasetRef; where: string }[] = [];
    const testSources =
      cfg.tests === undefined
        ? []
        : typeof cfg.tests === 'string'
          ? [cfg.tests]
          : Array.isArray(cfg.tests)
            ? cfg.tests
            : [cfg.tests];
    for (const [i, t] of testSources.entries()) {
      if (typeof t === 'string') rawTests.push(...(await testsFromRef(t, baseDir)));
      else if (t && typeof t === 'object' && 'dataset' in t) {
        const where = Array.isArray(cfg.tests) ? `tests[${i}]` : 'tests';
        const ref = DatasetRef.safeParse(t);
        if (!ref.success) throw new AppError('CONFIG_INVALID', `${where}: ${formatZod(ref.error)}`);
        datasetRefs.push({ ref: ref.data, where });
      } else rawTests.push(t);
    }
    if (cfg.dataset !== undefined) {
      const d = cfg.dataset;
      datasetRefs.push({
        ref: typeof d === 'string' ? { dataset: d } : { ...d, dataset: d.name },
        where: 'dataset',
      });
    }
    if (rawTests.length === 0 && datasetRefs.length === 0) rawTests.push({});
    const cases: EvalCase[] = [];
    const datasets: ConfigSources['datasets'] = [];
    const defaultVars = datasetRefs.length ? await loadVars(defaults.vars, baseDir, 'defaultTest') : {};
    for (const { ref, where } of datasetRefs) {
      const loader = requireRegistry(options, where, `dataset "${ref.dataset}"`);
      const { revision, items } = await loader.dataset(ref.dataset, ref.revision, where);
      datasets.push({ name: ref.dataset, revision });
      const shared = [...defaultAsserts, ...parseAssertions(ref.assert, `${where}.assert`, baseDir)];
      for (const item of items) {
        cases.push(
          datasetCase(item, {
            dataset: ref.dataset,
            revision,
            shared,
            defaultVars,
            threshold: ref.threshold ?? defaults.threshold,
            judge: defaults.options?.provider,
            baseDir,
            where,
          }),
        );
      }
    }
    for (const [i, t] of rawTests.entries()) {
      const where = `tests[${i}]`;
      const test = TestCase.safeParse(t);
      if (!test.success) throw new AppError('CONFIG_INVALID', `${where}: ${formatZod(test.error)}`);
      const assert = [...defaultAsserts, ...parseAssertions(test.data.assert, `${where}.assert`, baseDir)];
      for (const combination of await varCombinations(
        { ...defaults.vars, ...test.data.vars },
        baseDir,
        where,
      )) {
        const testCase: EvalCase = {
          description: test.data.description ?? null,
          vars: await loadVars(combination, baseDir, where),
          assert,
        };
        const threshold = test.data.threshold ?? defaults.threshold;
        if (threshold !== undefined) testCase.threshold = threshold;
        const judge = test.data.options?.provider ?? defaults.options?.provider;
        if (judge !== undefined) testCase.provider = judge;
        cases.push(testCase);
      }
    }
    const suite: EvalSuite = {
      description: cfg.description ?? null,
      prompts,
      providers,
      cases,
      repeat: cfg.evaluateOptions?.repeat ?? 1,
      maxConcurrency: cfg.evaluateOptions?.maxConcurrency ?? 4,
    };
    if (cfg.thresholds) suite.thresholds = cfg.thresholds;
    if (cfg.grader !== undefined) suite.grader = cfg.grader;
    if (cfg.embedder !== undefined) suite.embedder = cfg.embedder;
    const outputPaths =
      cfg.outputPath === undefined
        ? []
        : typeof cfg.outputPath === 'string'
          ? [cfg.outputPath]
          : cfg.outputPath;
    const sources: ConfigSources = {
      prompts: prompts.flatMap((p) => (p.registry ? [p.registry] : [])),
      datasets,
    };
    return { suite, outputPaths: outputPaths.map((p) => resolve(baseDir, p)), path, sources };
  } catch (err) {
    if (err instanceof AppError) throw configError(path, err.message);
    throw err;
  }
}
