import {
  canonicalJson,
  type SegmentDefinition,
  type Snapshot,
  type SnapshotVersion,
  segmentsOf,
  sha256Hex,
  type Targeting,
  targetedVersions,
  type Variant,
} from '@promptline/core';
import type { Clock } from '../clock.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { StoredEnvironment } from '../environments/store.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import type { StoredVersion } from '../prompts/store.ts';

/** One prompt as an environment serves it, ready for the hot path. */
export interface ServedPrompt {
  variants: Variant[];
  enabled: boolean;
  /** Pins and rules, tried before the split; undefined when none (the hot path skips them). */
  targeting: Targeting | undefined;
  versions: Map<number, SnapshotVersion>;
  /** The `resolve` response of each served version (variants, then targeted ones), serialised once per snapshot build. */
  resolved: string[];
}

/** An environment's snapshot and what resolve and render need from it. */
export interface CachedSnapshot {
  environment: StoredEnvironment;
  snapshot: Snapshot;
  /** The snapshot serialised, served as is. */
  body: string;
  /** Strong, quoted ETag derived from the content only, so every instance computes the same one. */
  etag: string;
  prompts: Map<string, ServedPrompt>;
  /** The segments the releases' rules name, by name. */
  segments: Record<string, SegmentDefinition>;
}

function toSnapshotVersion(v: StoredVersion): SnapshotVersion {
  const base = { number: v.number, semver: v.semver, config: v.config, variables: v.variables, hash: v.hash };
  return v.type === 'text'
    ? { type: 'text', template: v.template, ...base }
    : { type: 'chat', messages: v.messages, ...base };
}

/**
 * In-memory snapshots per (project, environment), built from what the deployments feature says
 * the environment serves on first use, and dropped when the change feed reports a deployment
 * change there. Serves resolve, render and the snapshot endpoint without SQL in steady state.
 */
export function createSnapshotCache({
  deployments,
  segments: segmentSource,
  clock,
  changeFeed,
}: {
  deployments: Pick<DeploymentService, 'servedIn'>;
  /** The definitions of the segments rules name; without it (tests of other features) none. */
  segments?: { definitions(projectId: number, names: string[]): Promise<Record<string, SegmentDefinition>> };
  clock: Clock;
  changeFeed: ChangeFeed;
}) {
  const ready = new Map<string, CachedSnapshot>();
  const building = new Map<string, Promise<CachedSnapshot | undefined>>();
  /** Bumped on every invalidation, so a build that raced a change does not cache stale data. */
  const generations = new Map<string, number>();

  const keyOf = (projectId: number | string, env: string) => `${projectId}\u0000${env}`;

  function invalidate(projectId: number | string, env: string): void {
    const key = keyOf(projectId, env);
    ready.delete(key);
    building.delete(key);
    generations.set(key, (generations.get(key) ?? 0) + 1);
  }

  const unsubscribe = changeFeed.subscribe((change) => invalidate(change.projectId, change.environment));

  async function build(projectId: number, envName: string): Promise<CachedSnapshot | undefined> {
    const servedIn = await deployments.servedIn(projectId, envName);
    if (!servedIn) return undefined;
    const { environment, releases } = servedIn;
    const byPrompt = new Map<number, Map<number, SnapshotVersion>>();
    for (const release of releases) {
      byPrompt.set(release.promptId, new Map(release.versions.map((v) => [v.number, toSnapshotVersion(v)])));
    }
    const servedPrompts = new Map<string, ServedPrompt>();
    const named = [...new Set(releases.flatMap((r) => segmentsOf(r.targeting)))];
    const segments =
      named.length > 0 && segmentSource ? await segmentSource.definitions(projectId, named) : {};
    const snapshotPrompts: Snapshot['prompts'] = {};
    for (const release of releases) {
      const versionMap = byPrompt.get(release.promptId) ?? new Map<number, SnapshotVersion>();
      const served = [
        ...release.variants.map((v) => v.version),
        ...targetedVersions(release.variants, release.targeting),
      ];
      const resolved = served.map((number, index) => {
        const v = versionMap.get(number);
        if (!v) return '';
        return JSON.stringify({
          prompt: release.prompt,
          environment: environment.name,
          variant: index,
          version: v.number,
          number: v.number,
          semver: v.semver,
          type: v.type,
          ...(v.type === 'text' ? { template: v.template } : { messages: v.messages }),
          config: v.config,
          variables: v.variables,
          hash: v.hash,
        });
      });
      servedPrompts.set(release.prompt, {
        variants: release.variants,
        enabled: release.enabled,
        targeting: release.targeting,
        versions: versionMap,
        resolved,
      });
      snapshotPrompts[release.prompt] = {
        variants: release.variants,
        enabled: release.enabled,
        ...(release.targeting === undefined ? {} : { targeting: release.targeting }),
        versions: Object.fromEntries([...versionMap].map(([n, v]) => [String(n), v])),
      };
    }
    const withSegments = Object.keys(segments).length > 0 ? { segments } : {};
    const etag = `"${sha256Hex(canonicalJson({ environment: environment.name, prompts: snapshotPrompts, ...withSegments }))}"`;
    const snapshot: Snapshot = {
      environment: environment.name,
      etag,
      generatedAt: clock.now().toISOString(),
      prompts: snapshotPrompts,
      ...withSegments,
    };
    return { environment, snapshot, body: JSON.stringify(snapshot), etag, prompts: servedPrompts, segments };
  }

  return {
    /** The environment's snapshot, or undefined when the environment does not exist. */
    get(projectId: number, envName: string): CachedSnapshot | Promise<CachedSnapshot | undefined> {
      const key = keyOf(projectId, envName);
      const hit = ready.get(key);
      if (hit) return hit;
      const pending = building.get(key);
      if (pending) return pending;
      const generation = generations.get(key) ?? 0;
      const promise = build(projectId, envName).then(
        (built) => {
          if (building.get(key) === promise) building.delete(key);
          // Unknown environments are not cached: creating one publishes nothing.
          if (built && (generations.get(key) ?? 0) === generation) ready.set(key, built);
          return built;
        },
        (error: unknown) => {
          if (building.get(key) === promise) building.delete(key);
          throw error;
        },
      );
      building.set(key, promise);
      return promise;
    },

    invalidate,

    close(): void {
      unsubscribe();
      ready.clear();
      building.clear();
    },
  };
}

export type SnapshotCache = ReturnType<typeof createSnapshotCache>;
