/**
 * The public shapes of releases and history entries, built from their stored rows; shared by the
 * deployment service's write and read sides.
 */
import {
  type Deployment,
  type HistoryEntry,
  type Release,
  singleVersion,
  type Targeting,
  targetedVersions,
} from '@promptline/core';
import type { CurrentRelease, StoredHistoryEntry } from './store.ts';

export function toDeployment(prompt: string, environment: string, release: CurrentRelease): Deployment {
  return {
    prompt,
    environment,
    variants: release.variants,
    enabled: release.enabled,
    ...withTargeting(release.targeting),
    version: singleVersion(release.variants),
    updatedAt: release.updatedAt,
    updatedBy: release.updatedBy,
    historyId: release.historyId,
  };
}

export function toHistoryEntry(prompt: string, environment: string, entry: StoredHistoryEntry): HistoryEntry {
  return {
    id: entry.id,
    prompt,
    environment,
    action: entry.action,
    version: singleVersion(entry.variants),
    variants: entry.variants,
    enabled: entry.enabled,
    ...withTargeting(entry.targeting),
    previous: entry.previous
      ? {
          version: singleVersion(entry.previous.variants),
          variants: entry.previous.variants,
          enabled: entry.previous.enabled,
          ...withTargeting(entry.previous.targeting),
        }
      : null,
    restoredFrom: entry.restoredFrom,
    actor: entry.actor,
    reason: entry.reason,
    forced: entry.forced,
    at: entry.at,
    requestId: entry.requestId,
    approvedBy: entry.approvedBy,
  };
}

/** `{targeting}` when there is one, else nothing: releases without rules keep their old shape (and hashes). */
export function withTargeting(targeting: Targeting | undefined): { targeting?: Targeting } {
  return targeting === undefined ? {} : { targeting };
}

export function releaseOf(r: Release): Release {
  return { variants: r.variants, enabled: r.enabled, ...withTargeting(r.targeting) };
}

/** Every version a release can serve: its variants', then those only its targeting names. */
export function servedVersions(r: Release): number[] {
  return [...r.variants.map((v) => v.version), ...targetedVersions(r.variants, r.targeting)];
}
