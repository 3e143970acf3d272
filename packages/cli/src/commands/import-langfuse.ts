/**
 * `promptline import-langfuse <export.json> | --from <langfuse url>`: copies prompts, their versions
 * and labels out of Langfuse. Everything is checked before anything is written (names, messages,
 * configs, that every label is an environment, that no prompt exists yet); then each version is
 * saved, oldest first, through the Langfuse-compatible API, its labels deploying it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import {
  LangfuseExportedPrompt as ExportedPrompt,
  LANGFUSE_LATEST_LABEL,
  LangfuseExport,
  type LangfuseExportedPrompt,
  LangfusePageMeta,
  LangfusePromptMeta,
  ModelConfig,
  PromptName,
} from '@promptline/core';
import { z } from 'zod';
import { ApiError, EXIT, UsageError } from '../errors.ts';
import { type Context, defineCommand } from '../kit.ts';
import { formatTable } from '../output.ts';

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'developer']);

/** One prompt to import: its Promptline name, its Langfuse name and its versions, oldest first. */
export interface PlannedPrompt {
  name: string;
  source: string;
  versions: LangfuseExportedPrompt[];
}

/** A Promptline name close to a Langfuse one (lowercase, other characters as "-"). */
export function suggestName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9/._-]+/g, '-')
    .split('/')
    .map((segment) => segment.replace(/^[-._]+|[-._]+$/g, ''))
    .filter((segment) => segment !== '')
    .join('/');
  return cleaned === '' ? 'imported' : cleaned;
}

function checkVersion(label: string, v: LangfuseExportedPrompt): string[] {
  const problems: string[] = [];
  const chat = Array.isArray(v.prompt);
  if (v.type !== undefined && (v.type === 'chat') !== chat) {
    problems.push(`${label}: type is "${v.type}" but the prompt is ${chat ? 'a message list' : 'text'}`);
  }
  if (Array.isArray(v.prompt)) {
    v.prompt.forEach((m, i) => {
      if ('role' in m && !ROLES.has(m.role)) {
        problems.push(
          `${label}: message ${i} has role "${m.role}"; Promptline knows ${[...ROLES].join(', ')}`,
        );
      }
      if ('name' in m && !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(m.name)) {
        problems.push(`${label}: placeholder "${m.name}" is not an identifier`);
      }
    });
  }
  const config = ModelConfig.safeParse(v.config ?? {});
  if (!config.success) {
    problems.push(`${label}: config must be a JSON object whose provider and model are non-empty strings`);
  }
  return problems;
}

/**
 * Groups an export by prompt, applies renames and checks what Promptline cannot hold. Answers
 * the prompts (sorted by name) and every problem found, none of which is fatal on its own.
 */
export function planImport(
  items: readonly LangfuseExportedPrompt[],
  renames: ReadonlyMap<string, string>,
): { prompts: PlannedPrompt[]; problems: string[] } {
  const problems: string[] = [];
  const bySource = new Map<string, LangfuseExportedPrompt[]>();
  for (const item of items) bySource.set(item.name, [...(bySource.get(item.name) ?? []), item]);
  for (const from of renames.keys()) {
    if (!bySource.has(from)) problems.push(`--rename "${from}=…": the export has no prompt "${from}"`);
  }
  const prompts: PlannedPrompt[] = [];
  const targets = new Map<string, string>();
  for (const [source, versions] of bySource) {
    const name = renames.get(source) ?? source;
    if (!PromptName.safeParse(name).success) {
      problems.push(
        `"${name}" is not a Promptline prompt name (lowercase letters, digits, "-", "_", "." and "/"); add --rename "${source}=${suggestName(name)}"`,
      );
    }
    const clash = targets.get(name);
    if (clash !== undefined) problems.push(`"${source}" and "${clash}" would both be imported as "${name}"`);
    targets.set(name, source);
    const sorted = [...versions].sort((a, b) => a.version - b.version);
    sorted.forEach((v, i) => {
      if (i > 0 && sorted[i - 1]?.version === v.version)
        problems.push(`"${source}" has version ${v.version} twice`);
      problems.push(...checkVersion(`"${source}" version ${v.version}`, v));
    });
    prompts.push({ name, source, versions: sorted });
  }
  prompts.sort((a, b) => a.name.localeCompare(b.name));
  return { prompts, problems };
}

/** The labels a version is deployed to (every label but `latest`, which follows the newest). */
const labelsOf = (v: LangfuseExportedPrompt) => (v.labels ?? []).filter((l) => l !== LANGFUSE_LATEST_LABEL);

/** Reads every version of every prompt from a Langfuse server's public API. */
async function readFromLangfuse(base: string, publicKey: string, secretKey: string) {
  const url = base.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString('base64')}`;
  const get = async (path: string): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, { headers: { authorization, accept: 'application/json' } });
    } catch (error) {
      throw new Error(`cannot reach Langfuse at ${url} (${(error as Error).message}); check --from`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: the text itself is the best description there is.
      }
      throw new ApiError(
        'LANGFUSE_SOURCE_FAILED',
        response.status,
        `Langfuse at ${url} answered ${response.status} to GET ${path}: ${message} (check --from, LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY)`,
      );
    }
    return JSON.parse(text);
  };
  const Page = z.object({
    data: z.array(LangfusePromptMeta.pick({ name: true, versions: true })),
    meta: LangfusePageMeta.pick({ totalPages: true }),
  });
  const items: LangfuseExportedPrompt[] = [];
  for (let page = 1; ; page++) {
    const { data, meta } = Page.parse(await get(`/api/public/v2/prompts?page=${page}&limit=100`));
    for (const prompt of data) {
      for (const version of prompt.versions) {
        const path = `/api/public/v2/prompts/${encodeURIComponent(prompt.name)}?version=${version}`;
        items.push(ExportedPrompt.parse(await get(path)));
      }
    }
    if (data.length === 0 || page >= meta.totalPages) return items;
  }
}

async function readExport(path: string): Promise<LangfuseExportedPrompt[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = LangfuseExport.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${path} is not a Langfuse export (a JSON array of prompt versions as GET /api/public/v2/prompts/{name}?version=n answers them, or {"data": [...]}): ${issue?.path.join('.') || 'the document'}: ${issue?.message}`,
    );
  }
  const data = parsed.data;
  return Array.isArray(data) ? data : 'data' in data ? data.data : data.prompts;
}

function parseRenames(values: string[]): Map<string, string> {
  const renames = new Map<string, string>();
  for (const value of values) {
    const at = value.lastIndexOf('=');
    if (at <= 0 || at === value.length - 1)
      throw new UsageError(`--rename takes "<langfuse name>=<promptline name>", not "${value}"`);
    renames.set(value.slice(0, at), value.slice(at + 1));
  }
  return renames;
}

/** Problems only the target can tell: labels that are no environment, prompts that exist already. */
async function checkTarget(ctx: Context, prompts: PlannedPrompt[]): Promise<string[]> {
  const [{ items: envs }, { items: existing }] = await Promise.all([
    ctx.api.listEnvironments(),
    ctx.api.listPrompts(),
  ]);
  const active = new Set(envs.filter((e) => !e.archived).map((e) => e.name));
  const taken = new Set(existing.map((p) => p.name));
  const problems: string[] = [];
  const labels = new Set(prompts.flatMap((p) => p.versions.flatMap(labelsOf)));
  for (const label of [...labels].sort()) {
    if (!active.has(label)) {
      problems.push(
        `label "${label}" is not an environment of the project; create it with \`promptline envs create ${label}\` (or rename the label in the export)`,
      );
    }
  }
  for (const p of prompts) {
    if (taken.has(p.name)) {
      problems.push(
        `prompt "${p.name}" already exists in Promptline; import it under another name with --rename "${p.source}=<new name>"`,
      );
    }
  }
  return problems;
}

export const importLangfuseCommand = defineCommand({
  name: 'import-langfuse',
  usage: '<export.json> | --from <langfuse url> [--rename <old>=<new>]... [--dry-run] [options]',
  summary: 'Copy prompts, versions and labels out of Langfuse',
  description:
    'Reads a Langfuse export — a JSON array of prompt versions as Langfuse’s GET\n' +
    '/api/public/v2/prompts/{name}?version=n answers them, or {"data": [...]} — or, with --from, every\n' +
    'version straight from a Langfuse server (keys from --langfuse-public-key/--langfuse-secret-key or\n' +
    'LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY). Checks everything first: names Promptline can hold,\n' +
    'chat roles, configs, that every label is an environment and that no prompt exists yet; on any\n' +
    'problem it lists them all and imports nothing (exit 1). Then saves each prompt’s versions oldest\n' +
    'first and deploys each label to the version carrying it. Version numbers restart at 1 and skip\n' +
    'versions identical to the one before; the table printed maps them. See docs/langfuse.md.',
  options: {
    from: { type: 'string', value: '<url>', description: 'Read from this Langfuse server instead of a file' },
    'langfuse-public-key': { type: 'string', value: '<pk>', description: 'Default $LANGFUSE_PUBLIC_KEY' },
    'langfuse-secret-key': { type: 'string', value: '<sk>', description: 'Default $LANGFUSE_SECRET_KEY' },
    save: {
      type: 'string',
      value: '<file>',
      description: 'With --from: also write what was read to this file',
    },
    rename: {
      type: 'string',
      multiple: true,
      value: '<old>=<new>',
      description: 'Import the Langfuse prompt <old> as <new> (repeatable)',
    },
    'dry-run': { type: 'boolean', description: 'Check and print the plan; write nothing' },
  },
  positionals: { min: 0, max: 1 },
  examples: [
    'promptline import-langfuse langfuse-prompts.json --dry-run',
    'promptline import-langfuse --from https://cloud.langfuse.com --save langfuse-prompts.json',
    'promptline import-langfuse export.json --rename "Support Triage=support/triage"',
  ],
  async run(input, ctx) {
    const file = input.positionals[0];
    const from = input.string('from');
    if ((file === undefined) === (from === undefined)) {
      throw new UsageError('give either an export file or --from <langfuse url>');
    }
    const renames = parseRenames(input.list('rename'));
    let items: LangfuseExportedPrompt[];
    if (from !== undefined) {
      const publicKey = input.string('langfuse-public-key') ?? ctx.env.LANGFUSE_PUBLIC_KEY ?? '';
      const secretKey = input.string('langfuse-secret-key') ?? ctx.env.LANGFUSE_SECRET_KEY ?? '';
      if (secretKey === '') throw new UsageError('--from needs --langfuse-secret-key or LANGFUSE_SECRET_KEY');
      items = await readFromLangfuse(from, publicKey, secretKey);
      const save = input.string('save');
      if (save !== undefined) await writeFile(save, `${JSON.stringify(items, null, 2)}\n`);
    } else {
      items = await readExport(file ?? '');
    }

    const { prompts, problems } = planImport(items, renames);
    problems.push(...(await checkTarget(ctx, prompts)));
    if (problems.length > 0) {
      ctx.err(`${problems.map((p) => `error: ${p}`).join('\n')}\nNothing was imported.\n`);
      return EXIT.failure;
    }

    const rows: string[][] = [];
    const imported: { name: string; source: string; from: number; to: number | null; labels: string[] }[] =
      [];
    const dryRun = input.flag('dry-run');
    for (const p of prompts) {
      const tags = p.versions.at(-1)?.tags ?? [];
      for (const v of p.versions) {
        let to: number | null = null;
        if (!dryRun) {
          const saved = await ctx.api.langfuseCreatePrompt({
            name: p.name,
            ...(Array.isArray(v.prompt)
              ? { type: 'chat', prompt: v.prompt }
              : { type: 'text', prompt: v.prompt }),
            config: v.config ?? {},
            labels: labelsOf(v),
            tags,
            commitMessage: v.commitMessage ?? `imported from Langfuse (${p.source} v${v.version})`,
          });
          to = saved.version;
        }
        imported.push({ name: p.name, source: p.source, from: v.version, to, labels: labelsOf(v) });
        rows.push([p.name, String(v.version), to === null ? '-' : String(to), labelsOf(v).join(', ')]);
      }
    }
    if (ctx.printJson({ dryRun, prompts: imported })) return EXIT.ok;
    ctx.out(formatTable(['PROMPT', 'LANGFUSE VERSION', 'PROMPTLINE VERSION', 'LABELS'], rows, ctx.color));
    const versions = imported.length;
    ctx.out(
      dryRun
        ? `Dry run: ${prompts.length} prompt(s), ${versions} version(s) would be imported; nothing was written.\n`
        : `Imported ${prompts.length} prompt(s), ${versions} version(s).\n`,
    );
    return EXIT.ok;
  },
});
