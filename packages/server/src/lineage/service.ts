/**
 * What production served, provably: an environment's releases at any past instant with the audit
 * chain's proof, and a prompt's lineage — every version that was live in an environment, who wrote
 * it, who approved it, which eval run let it through, and when it was live. Reads other features
 * only through their services; owns no table.
 */
import { AppError, type AuditVerification, type HistoryEntry, type Version } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { PromptService } from '../prompts/service.ts';

/** An eval run that let a version through its environment's gate (recorded with the deploy). */
export interface GateRecord {
  version: number;
  runId: number;
  dataset: string | null;
}

/** The red-team run that let a version through its environment's `requireRedteamPass` gate. */
export interface RedteamGateRecord {
  version: number;
  runId: number;
}

/** One history entry's place in the audit chain: the event that sealed it and the row's record hash. */
export interface EntryProof {
  eventId: number;
  eventHash: string;
  recordHash: string;
}

export interface HistoricalRelease {
  prompt: string;
  /** The history entry that made this release live (its id, action, who and when). */
  entry: HistoryEntry;
  enabled: boolean;
  variants: Array<{ weight: number; version: VersionSummary & Pick<Version, 'type' | 'config'> & Content }>;
  proof: EntryProof | null;
}

type Content = { template?: string | undefined; messages?: unknown[] | undefined };

export interface VersionSummary {
  number: number;
  semver: string;
  hash: string;
  author: string;
  message: string;
  createdAt: string;
}

export interface HistoricalSnapshot {
  environment: string;
  at: string;
  prompts: HistoricalRelease[];
  /** The chain as verified now: every sealed row (versions, history, approvals) recomputed. */
  chain: Pick<AuditVerification, 'ok' | 'checked' | 'rowsChecked' | 'head' | 'tampered'>;
}

export interface LineageVersion extends VersionSummary {
  /** Each time it went live (alone or as a variant) and until when; `until` null while live. */
  live: Array<{
    from: string;
    until: string | null;
    weight: number;
    historyId: number;
    action: HistoryEntry['action'];
    actor: string;
    reason: string | null;
    requestId: number | null;
    approvedBy: string[];
    gate: GateRecord | null;
    redteamGate: RedteamGateRecord | null;
    proof: EntryProof | null;
  }>;
}

export interface Lineage {
  prompt: string;
  environment: string;
  generatedAt: string;
  versions: LineageVersion[];
  chain: HistoricalSnapshot['chain'];
}

function summary(version: Version): VersionSummary {
  return {
    number: version.number,
    semver: version.semver,
    hash: version.hash,
    author: version.author,
    message: version.message,
    createdAt: version.createdAt,
  };
}

function content(version: Version): Content {
  return version.type === 'text' ? { template: version.template } : { messages: version.messages };
}

export function createLineageService({
  deployments,
  prompts,
  audit,
  now,
}: {
  deployments: Pick<DeploymentService, 'releasesAt' | 'history'>;
  prompts: Pick<PromptService, 'getVersion' | 'listVersions'>;
  audit: Pick<AuditService, 'verify' | 'sealsFor' | 'list'>;
  now: () => Date;
}) {
  async function chainOf(projectId: number): Promise<HistoricalSnapshot['chain']> {
    const { ok, checked, rowsChecked, head, tampered } = await audit.verify(projectId);
    return { ok, checked, rowsChecked, head, tampered };
  }

  async function proofs(projectId: number, historyIds: number[]): Promise<Map<number, EntryProof>> {
    const seals = await audit.sealsFor(projectId, 'deployment_history', historyIds);
    return new Map(
      [...seals].map(([id, seal]) => [
        id,
        { eventId: seal.eventId, eventHash: seal.eventHash, recordHash: seal.hash },
      ]),
    );
  }

  /** The gate runs each deploy recorded in its audit event, by history id. */
  async function gatesOf(
    projectId: number,
    target: string,
  ): Promise<{ evals: Map<number, GateRecord[]>; redteam: Map<number, RedteamGateRecord[]> }> {
    const out = new Map<number, GateRecord[]>();
    const redteam = new Map<number, RedteamGateRecord[]>();
    let cursor: string | undefined;
    do {
      const page = await audit.list(projectId, { target, limit: 500, ...(cursor ? { cursor } : {}) });
      for (const event of page.items) {
        const { historyId, gate, redteamGate } = event.data as {
          historyId?: unknown;
          gate?: unknown;
          redteamGate?: unknown;
        };
        if (typeof historyId === 'number' && Array.isArray(redteamGate)) {
          redteam.set(
            historyId,
            redteamGate.flatMap((g: { version?: unknown; redteamRunId?: unknown }) =>
              typeof g?.version === 'number' && typeof g.redteamRunId === 'number'
                ? [{ version: g.version, runId: g.redteamRunId }]
                : [],
            ),
          );
        }
        if (typeof historyId !== 'number' || !Array.isArray(gate)) continue;
        out.set(
          historyId,
          gate.flatMap((g) =>
            g && typeof g === 'object' && typeof (g as GateRecord).runId === 'number'
              ? [
                  {
                    version: (g as GateRecord).version,
                    runId: (g as GateRecord).runId,
                    dataset: (g as GateRecord).dataset ?? null,
                  },
                ]
              : [],
          ),
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { evals: out, redteam };
  }

  return {
    /**
     * Everything `envName` served at `at`: each prompt's release then, with the versions' content,
     * the history entry that made it live and where the chain sealed that entry.
     */
    async snapshotAt(projectId: number, envName: string, at: Date): Promise<HistoricalSnapshot> {
      if (at.getTime() > now().getTime()) {
        throw new AppError('BAD_REQUEST', `"at" (${at.toISOString()}) is in the future.`, {
          hint: 'Leave "at" out for what the environment serves now.',
        });
      }
      const entries = await deployments.releasesAt(projectId, envName, at);
      const sealed = await proofs(
        projectId,
        entries.map((e) => e.id),
      );
      const releases: HistoricalRelease[] = [];
      for (const entry of entries) {
        const variants = [];
        for (const variant of entry.variants) {
          const version = await prompts.getVersion(projectId, entry.prompt, variant.version);
          variants.push({
            weight: variant.weight,
            version: { ...summary(version), type: version.type, config: version.config, ...content(version) },
          });
        }
        releases.push({
          prompt: entry.prompt,
          entry,
          enabled: entry.enabled,
          variants,
          proof: sealed.get(entry.id) ?? null,
        });
      }
      return {
        environment: envName,
        at: at.toISOString(),
        prompts: releases,
        chain: await chainOf(projectId),
      };
    },

    /** Every version of `name` that was ever live in `envName`, oldest first, with who, why and when. */
    async lineage(projectId: number, name: string, envName: string): Promise<Lineage> {
      const history = (await deployments.history(projectId, name, envName)).slice().reverse();
      const [versions, sealed, gates] = await Promise.all([
        prompts.listVersions(projectId, name),
        proofs(
          projectId,
          history.map((e) => e.id),
        ),
        gatesOf(projectId, `${name}@${envName}`),
      ]);
      const byNumber = new Map(versions.map((v) => [v.number, v]));
      const out = new Map<number, LineageVersion>();
      history.forEach((entry, index) => {
        const until = history[index + 1]?.at ?? null;
        if (!entry.enabled) return;
        for (const variant of entry.variants) {
          if (variant.weight === 0) continue;
          const version = byNumber.get(variant.version);
          if (!version) continue;
          const line = out.get(version.number) ?? { ...summary(version), live: [] };
          line.live.push({
            from: entry.at,
            until,
            weight: variant.weight,
            historyId: entry.id,
            action: entry.action,
            actor: entry.actor,
            reason: entry.reason,
            requestId: entry.requestId ?? null,
            approvedBy: entry.approvedBy ?? [],
            gate: gates.evals.get(entry.id)?.find((g) => g.version === version.number) ?? null,
            redteamGate: gates.redteam.get(entry.id)?.find((g) => g.version === version.number) ?? null,
            proof: sealed.get(entry.id) ?? null,
          });
          out.set(version.number, line);
        }
      });
      return {
        prompt: name,
        environment: envName,
        generatedAt: now().toISOString(),
        versions: [...out.values()].sort((a, b) => a.number - b.number),
        chain: await chainOf(projectId),
      };
    },
  };
}

export type LineageService = ReturnType<typeof createLineageService>;
