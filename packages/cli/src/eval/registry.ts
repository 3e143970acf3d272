/**
 * What `promptline eval` reads from a Promptline server: registry prompt versions (with their
 * partials), dataset items, and judge prompts that override the built-in ones.
 *
 * Registry prompts are fetched once per run and rendered locally by core's `renderContent` (the
 * registry's own engine: Mustache, strict, partials). Asking the server to render every case
 * (`POST /prompts/{name}/render`) would give the same text but cost one HTTP round trip per case ×
 * version, which dominates a run of thousands of cases and loads the server; one fetch per version
 * and partial costs a handful of requests whatever the suite size, and the response cache keys on
 * the rendered text either way. Partials come from their latest versions, as in the server's own
 * eval runs.
 */
import {
  AppError,
  collectPartials,
  type DatasetItem,
  type DatasetItemPage,
  JUDGE_PROMPTS,
  type JudgeKind,
  type JudgeOverrides,
  type ModelConfig,
  type Prompt,
  parseAssertionType,
  type RegistryJudgePrompt,
  type Version,
  type VersionContent,
} from '@promptline/core';
import type { EvalSuite } from '@promptline/core/node';
import { type ApiClientOptions, createApiClient } from '../api-client.ts';
import { ApiError, UnreachableError } from '../errors.ts';

/** The registry reads of an eval run. */
export interface RegistryClient {
  /** Base URL of the server. */
  url: string;
  getPrompt(name: string): Promise<Prompt>;
  getVersion(name: string, number: number): Promise<Version>;
  /** One page of a dataset's items at `revision` (default: the current one). */
  listDatasetItems(
    name: string,
    page: { revision?: number | undefined; cursor?: string | undefined; limit?: number },
  ): Promise<DatasetItemPage>;
}

/** Where the server is and how to authenticate (PROMPTLINE_URL, PROMPTLINE_API_KEY). */
export type RegistryClientOptions = ApiClientOptions;

/**
 * A client of the registry endpoints `promptline eval` reads.
 *
 * @throws {ApiError} from its methods when the server answers non-2xx; {@link UnreachableError} when it does not answer.
 * @example
 * const registry = createRegistryClient({ url: process.env.PROMPTLINE_URL, apiKey: process.env.PROMPTLINE_API_KEY });
 * const v3 = await registry.getVersion('support/triage', 3);
 */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const { url, getPrompt, getVersion, listDatasetItems } = createApiClient(options);
  return { url, getPrompt, getVersion, listDatasetItems };
}

/** A prompt reference in an eval config: `{ registry: name, version? | env? }`. */
export interface PromptRef {
  name: string;
  version?: number | undefined;
  env?: string | undefined;
}

/** A registry version with the partials it includes, ready for core's `renderContent`. */
export interface FetchedVersion {
  name: string;
  number: number;
  content: VersionContent;
  partials: Record<string, string>;
  /** The version's model config (its input and output contracts among it). */
  config: ModelConfig;
}

function describeRef(ref: PromptRef): string {
  if (ref.version !== undefined) return `"${ref.name}" version ${ref.version}`;
  if (ref.env !== undefined) return `"${ref.name}" in ${ref.env}`;
  return `"${ref.name}" (latest)`;
}

/** Turns a failed registry read into a configuration error naming the reference (exit 2). */
export function registryError(where: string, what: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ApiError) {
    const missing = error.status === 404;
    return new AppError(
      'CONFIG_INVALID',
      missing
        ? `${where}: ${what} was not found on the server (${error.code}: ${error.message}). Check the name, or create it first.`
        : `${where}: cannot read ${what} from the server (${error.code}: ${error.message}). Check PROMPTLINE_API_KEY.`,
    );
  }
  if (error instanceof UnreachableError)
    return new AppError('CONFIG_INVALID', `${where}: cannot read ${what}: ${error.message}`);
  return new AppError('CONFIG_INVALID', `${where}: cannot read ${what}: ${(error as Error).message}`);
}

function contentOf(v: Version): VersionContent {
  return v.type === 'text' ? { type: 'text', template: v.template } : { type: 'chat', messages: v.messages };
}

/**
 * Fetches what registry references name. One instance per run: versions and partials are fetched
 * once, however many prompts, judges or assertions refer to them.
 */
export function createRegistryLoader(client: RegistryClient) {
  const prompts = new Map<string, Promise<Prompt>>();
  const versions = new Map<string, Promise<Version>>();
  const latestTemplates = new Map<string, Promise<string | undefined>>();

  const prompt = (name: string) => {
    let p = prompts.get(name);
    if (!p) {
      p = client.getPrompt(name);
      prompts.set(name, p);
    }
    return p;
  };
  const version = (name: string, number: number) => {
    const key = `${name}@${number}`;
    let v = versions.get(key);
    if (!v) {
      v = client.getVersion(name, number);
      versions.set(key, v);
    }
    return v;
  };
  // A partial renders from its latest version; a partial that is missing or a chat prompt is
  // "not found" for collectPartials, which names it and who includes it.
  const latestTemplate = (name: string) => {
    let t = latestTemplates.get(name);
    if (!t) {
      t = (async () => {
        let p: Prompt;
        try {
          p = await prompt(name);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return undefined;
          throw error;
        }
        if (p.latestVersion === null) return undefined;
        const v = await version(name, p.latestVersion);
        return v.type === 'text' ? v.template : undefined;
      })();
      latestTemplates.set(name, t);
    }
    return t;
  };
  const fetched = async (name: string, number: number): Promise<FetchedVersion> => {
    const v = await version(name, number);
    const content = contentOf(v);
    const partials = Object.fromEntries(await collectPartials(content, latestTemplate));
    return { name, number: v.number, content, partials, config: v.config };
  };

  return {
    /**
     * The versions a reference names: one for `version` and latest, every version the environment
     * serves for `env` (each variant of an A/B release).
     *
     * @throws AppError CONFIG_INVALID naming the reference when it does not resolve.
     */
    async prompt(ref: PromptRef, where: string): Promise<FetchedVersion[]> {
      try {
        if (ref.version !== undefined) return [await fetched(ref.name, ref.version)];
        const p = await prompt(ref.name);
        if (ref.env !== undefined) {
          const release = p.deployments?.[ref.env];
          if (!release)
            throw new AppError(
              'CONFIG_INVALID',
              `${where}: registry prompt "${ref.name}" is not deployed to ${ref.env}. Deploy a version there, or name a \`version\`.`,
            );
          if (!release.enabled)
            throw new AppError(
              'CONFIG_INVALID',
              `${where}: the release of "${ref.name}" in ${ref.env} is disabled (kill switch). Name a \`version\` instead.`,
            );
          const numbers = [...new Set(release.variants.map((v) => v.version))];
          return await Promise.all(numbers.map((n) => fetched(ref.name, n)));
        }
        if (p.latestVersion === null)
          throw new AppError(
            'CONFIG_INVALID',
            `${where}: registry prompt "${ref.name}" has no versions yet. Create one first.`,
          );
        return [await fetched(ref.name, p.latestVersion)];
      } catch (error) {
        throw registryError(where, `registry prompt ${describeRef(ref)}`, error);
      }
    },

    /**
     * A judge prompt by name: the version `production` serves (the heaviest variant), else the
     * latest; null when the prompt does not exist or has no versions.
     */
    async judge(name: string): Promise<RegistryJudgePrompt | null> {
      let p: Prompt;
      try {
        p = await prompt(name);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
      const release = p.deployments?.production;
      let number = p.latestVersion;
      if (release?.enabled) {
        const heaviest = [...release.variants].sort((a, b) => b.weight - a.weight)[0];
        if (heaviest) number = heaviest.version;
      }
      if (number === null) return null;
      const v = await fetched(name, number);
      return { name, version: v.number, content: v.content, partials: v.partials };
    },

    /**
     * Every item of a dataset at `revision` (default: the current one), and that revision.
     *
     * @throws AppError CONFIG_INVALID naming the dataset when it does not exist.
     */
    async dataset(
      name: string,
      revision: number | undefined,
      where: string,
    ): Promise<{ revision: number; items: DatasetItem[] }> {
      try {
        const items: DatasetItem[] = [];
        let page = await client.listDatasetItems(name, { revision, limit: 10_000 });
        // Later pages pin the revision of the first, so a concurrent edit cannot mix revisions.
        const pinned = page.revision;
        items.push(...page.items);
        while (page.nextCursor !== null) {
          page = await client.listDatasetItems(name, {
            revision: pinned,
            cursor: page.nextCursor,
            limit: 10_000,
          });
          items.push(...page.items);
        }
        return { revision: pinned, items };
      } catch (error) {
        const what =
          revision === undefined ? `dataset "${name}"` : `dataset "${name}" at revision ${revision}`;
        throw registryError(where, what, error);
      }
    },
  };
}

/** What {@link createRegistryLoader} returns. */
export type RegistryLoader = ReturnType<typeof createRegistryLoader>;

const JUDGE_KINDS = Object.keys(JUDGE_PROMPTS) as JudgeKind[];

/** The judge prompts of a run, and what could not be looked up (the built-in text is used then). */
export interface ResolvedJudges {
  overrides: JudgeOverrides;
  warnings: string[];
}

/**
 * Resolves the judge prompts of a run against the registry: every `rubricPrompt: registry:<name>`
 * becomes that prompt (production, else latest; a missing one is a configuration error), and each
 * judge type the suite uses without its own `rubricPrompt` is looked up once as
 * `promptline/judges/<type>` (production, else latest, else the built-in text). A lookup the server
 * does not answer falls back to the built-in text with a warning: the config did not ask for it.
 *
 * @throws AppError CONFIG_INVALID naming a `registry:` rubricPrompt that does not resolve.
 */
export async function resolveJudgePrompts(suite: EvalSuite, loader: RegistryLoader): Promise<ResolvedJudges> {
  const used = new Set<JudgeKind>();
  const named = new Map<string, Promise<RegistryJudgePrompt | null>>();
  for (const [i, testCase] of suite.cases.entries()) {
    for (const spec of testCase.assert) {
      const kind = parseAssertionType(spec.type).base as JudgeKind;
      if (!JUDGE_KINDS.includes(kind)) continue;
      if (spec.rubricPrompt === undefined) {
        used.add(kind);
        continue;
      }
      // Specs are shared between the cases of a defaultTest: the first visit resolves them for all.
      if (typeof spec.rubricPrompt !== 'string' || !spec.rubricPrompt.startsWith('registry:')) continue;
      const ref = spec.rubricPrompt;
      const name = ref.slice('registry:'.length).trim();
      let pending = named.get(name);
      if (!pending) {
        pending = loader.judge(name);
        named.set(name, pending);
      }
      let found: RegistryJudgePrompt | null;
      try {
        found = await pending;
      } catch (error) {
        throw registryError(`tests[${i}]`, `rubricPrompt "${ref}"`, error);
      }
      if (!found)
        throw new AppError(
          'CONFIG_INVALID',
          `tests[${i}]: rubricPrompt "${ref}" names a prompt the registry does not have (or one with no versions). Create "${name}" or fix the name.`,
        );
      spec.rubricPrompt = found;
    }
  }
  const overrides: JudgeOverrides = {};
  const warnings: string[] = [];
  await Promise.all(
    [...used].map(async (kind) => {
      const name = JUDGE_PROMPTS[kind].name;
      try {
        const found = await loader.judge(name);
        if (found) overrides[kind] = found;
      } catch (error) {
        warnings.push(
          `Could not look up the judge prompt "${name}" (${(error as Error).message}); using the built-in one.`,
        );
      }
    }),
  );
  return { overrides, warnings };
}
