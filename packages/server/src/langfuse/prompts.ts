/**
 * Langfuse's prompt API on Promptline's registry: a Langfuse label is an environment, `latest` the
 * newest version. Reaches prompts, versions, deployments and environments only through their
 * services, so a label set here is a deploy with the environment's policy like any other.
 */
import {
  AppError,
  type ChatMessage,
  type CreateVersionRequest,
  EnvironmentName,
  LANGFUSE_DEFAULT_LABEL,
  LANGFUSE_LATEST_LABEL,
  type LangfuseCreatePromptRequest,
  type LangfuseListPromptsQuery,
  type LangfusePrompt,
  type LangfusePromptMeta,
  ModelConfig,
  type Prompt,
  PromptName,
  type Release,
  type Version,
} from '@promptline/core';
import type { DeploymentService } from '../deployments/service.ts';
import type { EnvironmentService } from '../environments/service.ts';
import type { PromptService } from '../prompts/service.ts';

export interface LangfusePromptDeps {
  prompts: Pick<
    PromptService,
    'get' | 'list' | 'create' | 'createVersion' | 'update' | 'getVersion' | 'listVersions' | 'versionStamps'
  >;
  deployments: Pick<DeploymentService, 'deploy'>;
  environments: Pick<EnvironmentService, 'list'>;
}

/** Langfuse's own words for an unknown prompt, label or version (its SDKs show `message`). */
function notFound(name: string, what: string): AppError {
  return new AppError('PROMPT_NOT_FOUND', `Prompt not found: "${name}" ${what}.`, {
    details: { prompt: name },
    hint: 'List prompts with GET /api/public/v2/prompts; a label is a Promptline environment that serves a version of the prompt.',
  });
}

/** The version a release serves to a client that names no unit: the heaviest variant (the first of equals). */
export function servedVersion(release: Release): number | undefined {
  if (!release.enabled) return undefined;
  let best: { version: number; weight: number } | undefined;
  for (const v of release.variants) if (v.weight > 0 && (!best || v.weight > best.weight)) best = v;
  return best?.version;
}

/** The labels a version carries: the environments serving it (any weight), and `latest` on the newest. */
export function labelsOf(prompt: Prompt, number: number): string[] {
  const labels = Object.entries(prompt.deployments ?? {})
    .filter(([, r]) => r.enabled && r.variants.some((v) => v.version === number && v.weight > 0))
    .map(([env]) => env)
    .sort();
  if (prompt.latestVersion === number) labels.push(LANGFUSE_LATEST_LABEL);
  return labels;
}

/** A Promptline version in Langfuse's shape. */
export function toLangfusePrompt(prompt: Prompt, version: Version): LangfusePrompt {
  const base = {
    name: prompt.name,
    version: version.number,
    config: version.config,
    labels: labelsOf(prompt, version.number),
    tags: prompt.tags,
    commitMessage: version.message === '' ? null : version.message,
    resolutionGraph: null,
    createdAt: version.createdAt,
    updatedAt: version.createdAt,
    createdBy: version.author,
  };
  if (version.type === 'text') return { ...base, type: 'text', prompt: version.template };
  return {
    ...base,
    type: 'chat',
    prompt: version.messages.map((m) =>
      'type' in m ? { type: 'placeholder', name: m.name } : { role: m.role, content: m.content },
    ),
  };
}

/** Refuses what Promptline cannot store, naming the field as a validation error does. */
function invalid(path: string, message: string, fix: string): AppError {
  return new AppError('VALIDATION_FAILED', `The body is invalid: ${path}: ${message}. ${fix}`, {
    errors: [{ path, message }],
  });
}

/** A Langfuse create request as a Promptline version request. */
function versionRequest(body: LangfuseCreatePromptRequest): CreateVersionRequest {
  const config = ModelConfig.safeParse(body.config ?? {});
  if (!config.success) {
    throw invalid(
      'config',
      config.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; '),
      'Promptline keeps a version config as a JSON object whose `provider` and `model` are strings.',
    );
  }
  const message = body.commitMessage ?? undefined;
  if (body.type !== 'chat') return { type: 'text', template: body.prompt, config: config.data, message };
  const messages: ChatMessage[] = body.prompt.map((m, i) => {
    if ('name' in m && m.type === 'placeholder') {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(m.name)) {
        throw invalid(`prompt.${i}.name`, 'placeholder names are identifiers', 'Rename the placeholder.');
      }
      return { type: 'placeholder', name: m.name };
    }
    if (!('role' in m)) throw invalid(`prompt.${i}`, 'is not a message', 'Send {role, content}.');
    const roles = ['system', 'user', 'assistant', 'tool', 'developer'] as const;
    const role = roles.find((r) => r === m.role);
    if (!role) {
      throw invalid(
        `prompt.${i}.role`,
        `"${m.role}" is not a role Promptline knows`,
        `Use one of ${roles.join(', ')}.`,
      );
    }
    return { role, content: m.content };
  });
  return { type: 'chat', messages, config: config.data, message };
}

/** Every label names an environment of the project (checked before anything is written). */
async function environmentsOf(deps: LangfusePromptDeps, projectId: number, labels: readonly string[]) {
  const wanted = [...new Set(labels.filter((l) => l !== LANGFUSE_LATEST_LABEL))];
  if (wanted.length === 0) return [];
  const known = new Map((await deps.environments.list(projectId)).map((e) => [e.name, e]));
  for (const label of wanted) {
    const env = known.get(label);
    if (!env || env.archived) {
      throw new AppError(
        'ENVIRONMENT_NOT_FOUND',
        `Label "${label}" is not ${env ? 'an active' : 'an'} environment of this project: in Promptline a label is an environment. Nothing was written.`,
        {
          details: { label },
          hint: `Create it with POST /api/v1/environments {"name": "${label}"} (lowercase letters, digits, "-" and "_"), or use one of: ${[...known.keys()].join(', ')}.`,
        },
      );
    }
  }
  return wanted;
}

export function createLangfusePromptService(deps: LangfusePromptDeps) {
  const { prompts, deployments } = deps;

  async function promptOrUndefined(projectId: number, name: string): Promise<Prompt | undefined> {
    try {
      return await prompts.get(projectId, name);
    } catch (error) {
      if (error instanceof AppError && error.code === 'PROMPT_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** Deploys `number` to each environment named, one deploy (and policy check) per label. */
  async function applyLabels(projectId: number, name: string, number: number, envs: string[], actor: string) {
    for (const env of envs) {
      try {
        await deployments.deploy(
          projectId,
          name,
          env,
          { version: number, reason: 'Langfuse API label' },
          actor,
        );
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // The version exists (saving identical content again returns it): say so with the refusal.
        throw new AppError(
          error.code,
          `Version ${number} of "${name}" is saved, but label "${env}" was not applied: ${error.message}`,
          {
            details: { ...error.details, version: number, label: env },
            errors: error.errors,
            hint: error.hint,
          },
        );
      }
    }
  }

  /**
   * The version a label (an environment; `latest` = the newest; default `production`) or a
   * version number names.
   *
   * @throws AppError PROMPT_NOT_FOUND (Langfuse's 404) when the prompt, label or version is unknown.
   */
  async function get(
    projectId: number,
    name: string,
    query: { label?: string | undefined; version?: number | undefined },
  ): Promise<LangfusePrompt> {
    if (query.label !== undefined && query.version !== undefined) {
      throw new AppError('BAD_REQUEST', 'Provide either version or label, not both.');
    }
    const label = query.label ?? LANGFUSE_DEFAULT_LABEL;
    const what = query.version === undefined ? `with label "${label}"` : `version ${query.version}`;
    const prompt = await promptOrUndefined(projectId, name);
    if (!prompt) throw notFound(name, what);
    let number = query.version;
    if (number === undefined) {
      if (label === LANGFUSE_LATEST_LABEL) number = prompt.latestVersion ?? undefined;
      else {
        const release = EnvironmentName.safeParse(label).success ? prompt.deployments?.[label] : undefined;
        number = release ? servedVersion(release) : undefined;
      }
    }
    if (number === undefined) throw notFound(name, what);
    try {
      return toLangfusePrompt(prompt, await prompts.getVersion(projectId, name, number));
    } catch (error) {
      if (error instanceof AppError && error.code === 'VERSION_NOT_FOUND') throw notFound(name, what);
      throw error;
    }
  }

  /** Prompts with their versions and labels, filtered as Langfuse filters, by name, paged. */
  async function list(
    projectId: number,
    query: LangfuseListPromptsQuery,
  ): Promise<{ data: LangfusePromptMeta[]; totalItems: number }> {
    const all = (await prompts.list(projectId, { tag: query.tag })).filter(
      (p) => p.latestVersion !== null && (query.name === undefined || p.name === query.name),
    );
    const from = query.fromUpdatedAt === undefined ? undefined : Date.parse(query.fromUpdatedAt);
    const to = query.toUpdatedAt === undefined ? undefined : Date.parse(query.toUpdatedAt);
    const metas: LangfusePromptMeta[] = [];
    /** Per prompt, the version whose type and config stand for it: its newest listed main-line one. */
    const representative = new Map<string, number>();
    const stamps = await prompts.versionStamps(projectId);
    for (const prompt of all) {
      // Langfuse knows one line of versions: the main line. A branch version shows only while an
      // environment serves it, since a client can fetch it by that label (docs/langfuse.md).
      const visible = (stamps.get(prompt.name) ?? []).filter(
        (v) => v.branch == null || labelsOf(prompt, v.number).length > 0,
      );
      const inWindow = visible.filter((v) => {
        const at = Date.parse(v.createdAt);
        return (from === undefined || at >= from) && (to === undefined || at < to);
      });
      let numbers = inWindow.map((v) => v.number).sort((a, b) => a - b);
      if (query.label !== undefined) {
        const label = query.label;
        numbers = numbers.filter((n) => labelsOf(prompt, n).includes(label));
      }
      if (numbers.length === 0) continue;
      const listed = new Set(numbers);
      const mainLine = inWindow.filter((v) => v.branch == null && listed.has(v.number)).map((v) => v.number);
      representative.set(prompt.name, Math.max(...(mainLine.length > 0 ? mainLine : numbers)));
      metas.push({
        name: prompt.name,
        // The newest matching version's type and config are read below, for the page only.
        type: 'text',
        versions: numbers,
        labels: [...new Set(numbers.flatMap((n) => labelsOf(prompt, n)))].sort(),
        tags: prompt.tags,
        lastUpdatedAt: prompt.updatedAt,
        lastConfig: {},
      });
    }
    const page = metas.slice((query.page - 1) * query.limit, query.page * query.limit);
    for (const meta of page) {
      const newest = await prompts.getVersion(
        projectId,
        meta.name,
        representative.get(meta.name) ?? Math.max(...meta.versions),
      );
      meta.type = newest.type;
      meta.lastConfig = newest.config;
      meta.lastUpdatedAt = newest.createdAt;
    }
    return { data: page, totalItems: metas.length };
  }

  /** Saves the version, registering the prompt when it is new; answers its number. */
  async function save(projectId: number, body: LangfuseCreatePromptRequest, actor: string): Promise<number> {
    const request = versionRequest(body);
    const existing = await promptOrUndefined(projectId, body.name);
    if (!existing) {
      try {
        const created = await prompts.create(
          projectId,
          { name: body.name, tags: body.tags ?? [], version: request },
          actor,
        );
        if (created.version) return created.version.number;
      } catch (error) {
        // Registered by a concurrent request since: save a version of it instead.
        if (!(error instanceof AppError && error.code === 'PROMPT_EXISTS')) throw error;
      }
    }
    const { version } = await prompts.createVersion(projectId, body.name, request, actor);
    const tags = body.tags;
    if (existing && tags !== undefined && JSON.stringify(tags) !== JSON.stringify(existing.tags)) {
      // Langfuse's tags belong to the prompt, not the version: the newest request's tags win.
      await prompts.update(projectId, body.name, { tags }, actor);
    }
    return version.number;
  }

  return {
    get,
    list,

    /**
     * Saves a version (registering the prompt when new) and deploys it to every environment its
     * labels name. Labels are checked before anything is written; a deploy an environment's policy
     * refuses is answered with that refusal, naming the version that was saved.
     *
     * @throws AppError VALIDATION_FAILED, ENVIRONMENT_NOT_FOUND, and the deploy's refusals.
     */
    async create(
      projectId: number,
      body: LangfuseCreatePromptRequest,
      actor: string,
    ): Promise<LangfusePrompt> {
      if (!PromptName.safeParse(body.name).success) {
        throw invalid(
          'name',
          'use lowercase letters, digits, "-", "_" and ".", with segments joined by "/" (e.g. support/triage)',
          'Promptline prompt names are path-like; rename the prompt (see docs/langfuse.md).',
        );
      }
      const envs = await environmentsOf(deps, projectId, body.labels ?? []);
      const number = await save(projectId, body, actor);
      await applyLabels(projectId, body.name, number, envs, actor);
      return get(projectId, body.name, { version: number });
    },

    /**
     * Moves each of `newLabels` to this version (a deploy per environment); labels it does not
     * name stay where they are, as in Langfuse.
     *
     * @throws AppError BAD_REQUEST for `latest`, PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, the deploy's refusals.
     */
    async setLabels(
      projectId: number,
      name: string,
      number: number,
      newLabels: string[],
      actor: string,
    ): Promise<LangfusePrompt> {
      if (newLabels.includes(LANGFUSE_LATEST_LABEL)) {
        throw new AppError('BAD_REQUEST', "Label 'latest' is always assigned to the latest prompt version.");
      }
      await get(projectId, name, { version: number });
      const envs = await environmentsOf(deps, projectId, newLabels);
      await applyLabels(projectId, name, number, envs, actor);
      return get(projectId, name, { version: number });
    },
  };
}

export type LangfusePromptService = ReturnType<typeof createLangfusePromptService>;
