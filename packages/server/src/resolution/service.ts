import {
  AppError,
  assertInputs,
  type ContextAttributes,
  chooseServed,
  chooseVariant,
  collectPartials,
  isAppError,
  type RenderRequest,
  type RenderResult,
  renderContent,
  type SnapshotVersion,
  targetedVersions,
} from '@promptline/core';
import { createSchemaIssueFinder } from '@promptline/core/node';
import { environmentNotFound } from '../environments/errors.ts';
import type { ResolutionMetrics } from '../prometheus/registry.ts';
import { promptNotFound } from '../prompts/errors.ts';
import type { PromptService } from '../prompts/service.ts';
import type { CachedSnapshot, ServedPrompt, SnapshotCache } from './snapshot-cache.ts';

/**
 * Resolution: which version an environment serves to a unit, rendering it, and the environment
 * snapshots the SDK caches. Reads go through the in-memory snapshot cache.
 */
export function createResolutionService({
  cache,
  prompts,
  metrics,
}: {
  cache: SnapshotCache;
  prompts: PromptService;
  /** Counts resolves and renders by outcome (/metrics). */
  metrics?: ResolutionMetrics | undefined;
}) {
  /** `ok` or the error code: a bounded label whatever the caller sent. */
  const outcomeOf = (error: unknown) => (isAppError(error) ? error.code : 'INTERNAL');
  /** Checks variables against a version's input schema (compiled schemas are cached). */
  const findIssues = createSchemaIssueFinder();

  async function snapshotOf(projectId: number, env: string): Promise<CachedSnapshot> {
    const snapshot = await cache.get(projectId, env);
    if (!snapshot) throw environmentNotFound(env);
    return snapshot;
  }

  /**
   * The index in a prompt's served list for a caller: the weighted split alone when the release
   * has no targeting (the hot path stays a hash), else pins and rules first.
   */
  function pickFor(
    name: string,
    served: ServedPrompt,
    snapshot: CachedSnapshot,
    unit: string | undefined,
    attributes: ContextAttributes | undefined,
  ): number {
    if (served.targeting === undefined) return chooseVariant(name, served.variants, unit);
    return chooseServed(name, served, snapshot.segments, { unit, attributes });
  }

  /** Why a prompt is not served: it does not exist, is not deployed here, or is switched off. */
  async function notServed(projectId: number, name: string, env: string, served: ServedPrompt | undefined) {
    if (served && !served.enabled) {
      return new AppError(
        'DEPLOYMENT_NOT_FOUND',
        `The release of "${name}" in ${env} is disabled (kill switch).`,
        {
          details: { disabled: true, prompt: name, environment: env },
          hint: 'Re-enable it by deploying with "enabled": true, or roll back.',
        },
      );
    }
    if (!(await prompts.exists(projectId, name))) return promptNotFound(name);
    return new AppError('DEPLOYMENT_NOT_FOUND', `"${name}" is not deployed to ${env}.`, {
      details: { prompt: name, environment: env },
      hint: `Deploy a version with PUT /api/v1/prompts/{name}/deployments/${env}.`,
    });
  }

  /** The version number at an index of a prompt's served list (variants, then targeted versions). */
  function servedNumber(served: ServedPrompt, index: number): number {
    const variant = served.variants[index];
    if (variant) return variant.version;
    return targetedVersions(served.variants, served.targeting)[index - served.variants.length] ?? 0;
  }

  return {
    /**
     * The serialised ResolveResult for `name` in `env`: pins and rules for `unit` and `attributes`
     * first, else the variant picked by `unit` (random without). Synchronous when the
     * environment's snapshot is cached and the prompt served (the hot path: no promise, no
     * microtask); a promise when the snapshot must be built or the refusal needs the database.
     * @throws AppError ENVIRONMENT_NOT_FOUND, PROMPT_NOT_FOUND, DEPLOYMENT_NOT_FOUND
     */
    resolve(
      projectId: number,
      name: string,
      env: string,
      unit: string | undefined,
      attributes?: ContextAttributes,
    ): string | Promise<string> {
      const answerFrom = (snapshot: CachedSnapshot | undefined): string | Promise<string> => {
        if (!snapshot) throw environmentNotFound(env);
        const served = snapshot.prompts.get(name);
        if (!served?.enabled)
          return notServed(projectId, name, env, served).then((refusal) => Promise.reject(refusal));
        const body = served.resolved[pickFor(name, served, snapshot, unit, attributes)];
        if (!body)
          throw new AppError(
            'INTERNAL',
            `The release of "${name}" in ${env} names a version that is missing.`,
          );
        return body;
      };
      try {
        const cached = cache.get(projectId, env);
        const answer = 'then' in cached ? cached.then(answerFrom) : answerFrom(cached);
        if (typeof answer === 'string') {
          metrics?.resolved('ok');
          return answer;
        }
        return answer.then(
          (body) => {
            metrics?.resolved('ok');
            return body;
          },
          (error: unknown) => {
            metrics?.resolved(outcomeOf(error));
            throw error;
          },
        );
      } catch (error) {
        metrics?.resolved(outcomeOf(error));
        throw error;
      }
    },

    async render(projectId: number, name: string, request: RenderRequest): Promise<RenderResult> {
      try {
        const result = await renderOne(projectId, name, request);
        metrics?.rendered('ok');
        return result;
      } catch (error) {
        metrics?.rendered(outcomeOf(error));
        throw error;
      }
    },

    snapshot: snapshotOf,
  };

  async function renderOne(projectId: number, name: string, request: RenderRequest): Promise<RenderResult> {
    const hasEnv = request.env !== undefined;
    const hasVersion = request.version !== undefined;
    if (hasEnv === hasVersion) {
      const message =
        'give exactly one of "env" (render what an environment serves) or "version" (a version number)';
      throw new AppError('VALIDATION_FAILED', `Cannot render "${name}": ${message}.`, {
        errors: [{ path: hasEnv ? 'version' : 'env', message }],
      });
    }
    const variables = request.variables as Record<string, unknown>;
    const strict = request.strict;

    let version: SnapshotVersion;
    let partialTemplate: (partial: string) => Promise<string | undefined> | string | undefined;
    let environment: string | null = null;
    let variant: number | null = null;
    if (request.env !== undefined) {
      const env = request.env;
      const snapshot = await snapshotOf(projectId, env);
      const served = snapshot.prompts.get(name);
      if (!served?.enabled) throw await notServed(projectId, name, env, served);
      variant = pickFor(name, served, snapshot, request.unit, request.attributes);
      const found = served.versions.get(servedNumber(served, variant));
      if (!found)
        throw new AppError('INTERNAL', `The release of "${name}" in ${env} names a missing version.`);
      version = found;
      environment = snapshot.environment.name;
      // Partials come from what the same environment serves, picked for the same unit.
      partialTemplate = (partial) => {
        const p = snapshot.prompts.get(partial);
        if (!p?.enabled) return undefined;
        const v = p.versions.get(
          servedNumber(p, pickFor(partial, p, snapshot, request.unit, request.attributes)),
        );
        return v?.type === 'text' ? v.template : undefined;
      };
    } else {
      version = await prompts.getVersion(projectId, name, request.version ?? 0);
      // A version rendered on its own uses the latest version of each partial.
      partialTemplate = async (partial) => {
        const latest = await prompts.latestVersion(projectId, partial);
        return latest?.type === 'text' ? latest.template : undefined;
      };
    }

    // Typed inputs: variables that break the version's schema are refused before rendering.
    assertInputs(name, version.config.input, variables, findIssues);
    // A version is render content as it is (its other fields are ignored).
    // With strict: false a missing partial renders as empty (Mustache's rule), here as in the SDK.
    const partials = await collectPartials(version, partialTemplate, { strict: strict !== false });
    const rendered = renderContent(version, variables, { strict, partials: (n) => partials.get(n) });
    return {
      prompt: name,
      version: version.number,
      semver: version.semver,
      type: version.type,
      ...(rendered.type === 'text' ? { text: rendered.text } : { messages: rendered.messages }),
      config: version.config,
      environment,
      variant,
    };
  }
}

export type ResolutionService = ReturnType<typeof createResolutionService>;
