/**
 * What `promptline redteam <prompt|config>` attacks and with which model: a `.prompt` file, an
 * eval config (Promptline's or promptfoo's, with an optional `redteam` block), or a registry
 * prompt read from the server. The model is `--provider`, else the one the prompt's config names.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import {
  AppError,
  type ModelConfig,
  parsePromptFile,
  type RedteamPrompt,
  type VersionContent,
} from '@promptline/core';
import { type EvalProvider, resolveProviderSpec } from '@promptline/core/node';
import { load as parseYaml } from 'js-yaml';
import { z } from 'zod';
import { parseEvalConfig } from '../eval/config.ts';
import { createRegistryClient, createRegistryLoader, registryError } from '../eval/registry.ts';

/** Options a config's `redteam` block may set (the command line wins). */
export const RedteamBlock = z
  .object({
    purpose: z.string().optional(),
    plugins: z.array(z.union([z.string(), z.object({ id: z.string() }).passthrough()])).optional(),
    strategies: z.array(z.union([z.string(), z.object({ id: z.string() }).passthrough()])).optional(),
    injectVar: z.string().optional(),
    provider: z.unknown().optional(),
  })
  .strict();

/** The prompt and the model to attack, and settings found beside them. */
export interface RedteamSource {
  prompt: RedteamPrompt;
  provider: EvalProvider;
  /** Shown in reports: the provider id. */
  providerLabel: string;
  /** The registry prompt and version attacked (what `--upload` reports the run for); absent for files. */
  registry?: { name: string; version: number };
  /** The config's `redteam` block, plugins and strategies as ids. */
  block: { purpose?: string; plugins?: string[]; strategies?: string[]; injectVar?: string };
}

export interface SourceOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  provider?: string | undefined;
  version?: number | undefined;
  environment?: string | undefined;
  server: { url: string; apiKey?: string | undefined };
}

const PROVIDER_PREFIX: Record<string, string> = {
  openai: 'openai:chat:',
  anthropic: 'anthropic:messages:',
  gemini: 'google:',
  google: 'google:',
  mock: 'mock:',
};

/** The provider spec a prompt's `{provider, model}` config names, or a CONFIG_INVALID saying to pass --provider. */
function specOfConfig(config: ModelConfig, where: string): string {
  const prefix = config.provider === undefined ? undefined : PROVIDER_PREFIX[config.provider];
  if (config.provider === 'mock') return `mock:${config.model ?? 'mock'}`;
  if (prefix && config.model) return `${prefix}${config.model}`;
  throw new AppError(
    'CONFIG_INVALID',
    config.provider === undefined
      ? `${where} names no provider in its config: pass --provider (e.g. --provider openai:chat:gpt-4.1-mini, or --provider mock).`
      : `${where} names provider "${config.provider}"${config.model ? ` model "${config.model}"` : ' and no model'}, which promptline redteam cannot call by that name: pass --provider (e.g. openai:chat:gpt-4.1-mini, openai-compatible:<model> with OPENAI_BASE_URL, or mock).`,
  );
}

function providerOf(spec: unknown, options: SourceOptions, config: ModelConfig, where: string): EvalProvider {
  const provider = resolveProviderSpec(spec, { env: options.env, baseDir: options.cwd }, where);
  // The prompt's own parameters and tools travel with it, as the application would send them.
  return {
    ...provider,
    parameters: { ...(config.parameters ?? {}), ...provider.parameters },
    ...(provider.tools === undefined && config.tools ? { tools: config.tools } : {}),
  };
}

async function fromPromptFile(path: string, options: SourceOptions): Promise<RedteamSource> {
  const file = parsePromptFile(await readFile(path, 'utf8'));
  const spec = options.provider ?? specOfConfig(file.config, basename(path));
  const provider = providerOf(spec, options, file.config, '--provider');
  return {
    prompt: {
      name: basename(path),
      content: file.content,
      ...(file.config.tools ? { tools: file.config.tools } : {}),
    },
    provider,
    providerLabel: provider.id,
    block: {},
  };
}

function ids(list: z.infer<typeof RedteamBlock>['plugins']): string[] | undefined {
  return list?.map((item) => (typeof item === 'string' ? item : item.id));
}

async function fromConfig(path: string, options: SourceOptions): Promise<RedteamSource> {
  let raw: unknown;
  try {
    const text = await readFile(path, 'utf8');
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `${basename(path)}: cannot read or parse: ${(error as Error).message}`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AppError('CONFIG_INVALID', `${basename(path)}: expected a mapping with prompts and providers.`);
  }
  const { redteam, tests: _tests, defaultTest: _defaultTest, ...rest } = raw as Record<string, unknown>;
  const parsedBlock = RedteamBlock.safeParse(redteam ?? {});
  if (!parsedBlock.success) {
    const issue = parsedBlock.error.issues[0];
    throw new AppError(
      'CONFIG_INVALID',
      `${basename(path)}: redteam.${issue?.path.join('.') ?? ''}: ${issue?.code === 'unrecognized_keys' ? `unsupported key(s) ${issue.keys.join(', ')} (use purpose, plugins, strategies, injectVar, provider)` : issue?.message}`,
    );
  }
  const block = {
    ...parsedBlock.data,
    plugins: ids(parsedBlock.data.plugins),
    strategies: ids(parsedBlock.data.strategies),
  };
  const providers = rest.providers ?? rest.targets ?? parsedBlock.data.provider ?? [];
  delete rest.targets;
  const server = options.env.PROMPTLINE_URL ? options.server : null;
  const registry = server ? createRegistryLoader(createRegistryClient(server)) : null;
  const loaded = await parseEvalConfig(
    { ...rest, providers: options.provider ? [options.provider] : providers },
    path,
    options.env,
    { registry },
  );
  const [prompt, ...morePrompts] = loaded.suite.prompts;
  const [provider, ...moreProviders] = loaded.suite.providers;
  if (!prompt || morePrompts.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `${basename(path)}: red-team one prompt at a time; this config has ${loaded.suite.prompts.length}. Keep one in \`prompts\` (or point the command at a .prompt file).`,
    );
  }
  if (!provider || moreProviders.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `${basename(path)}: red-team one provider at a time; this config has ${loaded.suite.providers.length}. Choose one with --provider.`,
    );
  }
  let content: VersionContent;
  let partials: Record<string, string> = {};
  if (prompt.content.type === 'registry') {
    content = prompt.content.content;
    partials = prompt.content.partials;
  } else if (prompt.content.type === 'text') content = { type: 'text', template: prompt.content.template };
  else if (prompt.content.type === 'chat') content = { type: 'chat', messages: prompt.content.messages };
  else
    throw new AppError(
      'CONFIG_INVALID',
      `${basename(path)}: Python prompt functions cannot be red-teamed; use a text or chat prompt.`,
    );
  return {
    prompt: {
      name: prompt.label,
      content,
      partials,
      ...(provider.tools ? { tools: provider.tools } : {}),
      ...(block.injectVar ? { injectVar: block.injectVar } : {}),
    },
    provider,
    providerLabel: provider.id,
    block,
  };
}

async function fromRegistry(name: string, options: SourceOptions): Promise<RedteamSource> {
  const client = createRegistryClient(options.server);
  const loader = createRegistryLoader(client);
  const where = `registry prompt "${name}"`;
  const [fetched, ...others] = await loader.prompt(
    { name, version: options.version, env: options.environment },
    where,
  );
  if (!fetched) throw new AppError('CONFIG_INVALID', `${where}: no version to red-team.`);
  if (others.length > 0 && options.environment) {
    throw new AppError(
      'CONFIG_INVALID',
      `${where} serves ${others.length + 1} versions in ${options.environment} (an A/B release): name one with --version.`,
    );
  }
  let config: ModelConfig;
  try {
    config = (await client.getVersion(name, fetched.number)).config;
  } catch (error) {
    throw registryError(where, `version ${fetched.number}`, error);
  }
  const label = `${name}@v${fetched.number}`;
  const provider = providerOf(options.provider ?? specOfConfig(config, label), options, config, '--provider');
  return {
    prompt: {
      name: label,
      content: fetched.content,
      partials: fetched.partials,
      ...(config.tools ? { tools: config.tools } : {}),
    },
    provider,
    providerLabel: provider.id,
    registry: { name, version: fetched.number },
    block: {},
  };
}

/**
 * Reads what the positional names: an existing `.prompt` file, an existing YAML/JSON config, else
 * a registry prompt name.
 *
 * @throws AppError CONFIG_INVALID naming what cannot be read or which provider is missing.
 */
export async function loadRedteamSource(target: string, options: SourceOptions): Promise<RedteamSource> {
  const path = resolve(options.cwd, target);
  const ext = extname(target).toLowerCase();
  if (existsSync(path) && ext === '.prompt') return fromPromptFile(path, options);
  if (existsSync(path) && ['.yaml', '.yml', '.json'].includes(ext)) return fromConfig(path, options);
  if (['.prompt', '.yaml', '.yml', '.json'].includes(ext)) {
    throw new AppError(
      'CONFIG_INVALID',
      `${target}: no such file (a registry prompt name has no file extension).`,
    );
  }
  return fromRegistry(target, options);
}
