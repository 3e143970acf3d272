/**
 * Seals: how the audit chain covers rows of other tables. A write that creates a row whose content
 * must be provable (a version, a deployment history entry, an approval) computes the row's record
 * hash — SHA-256 of the canonical JSON of everything stored in it, with the version's content hash
 * recomputed from what renders — and names it in the audit event it appends, under `data.sealed`.
 * The event is chained, so the hash cannot be changed without breaking the chain; verification
 * recomputes each row's hash from the row as stored now and compares.
 */
import { z } from 'zod';
import { canonicalJson, contentHash, sha256Hex } from './canonical.ts';
import type { ChatMessage, ModelConfig, Release, Variant } from './schemas.ts';
import type { Targeting } from './targeting-schema.ts';

/** One row named by an audit event: its table, row id and record hash. */
export const Seal = z.object({
  table: z.string(),
  id: z.number().int(),
  hash: z.string(),
});
export type Seal = z.infer<typeof Seal>;

/** The member of an audit event's `data` that lists the rows it seals. */
export const SEALED_KEY = 'sealed';

/** Reads the seals an audit event's data carries (none when absent or malformed). */
export function sealsOf(data: Record<string, unknown>): Seal[] {
  const parsed = z.array(Seal).safeParse(data[SEALED_KEY]);
  return parsed.success ? parsed.data : [];
}

/** A version row as stored (the content columns decoded). */
export interface SealedVersionRow {
  id: number;
  promptId: number;
  number: number;
  semver: string;
  type: 'text' | 'chat';
  template?: string | undefined;
  messages?: ChatMessage[] | undefined;
  config: ModelConfig;
  variables: string[];
  message: string;
  author: string;
  createdAt: string;
  parent: number | null;
  /** The merged branch's head, for a merge version (its second parent). */
  mergeParent?: number | null | undefined;
  /** The branch it was saved on; null or absent on the main line. */
  branch?: string | null | undefined;
  /** The stored content hash. */
  hash: string;
}

/**
 * Record hash of a version row. The content hash is recomputed from type, template/messages and
 * config, so an edited template changes the record hash even when the stored `hash` column is
 * left as it was; the stored column is covered too. A merge's second parent and a branch enter
 * only when set, so main-line rows sealed before branches existed keep their hash.
 */
export function versionRecordHash(row: SealedVersionRow): string {
  const content =
    row.type === 'text'
      ? { type: 'text' as const, template: row.template ?? '' }
      : { type: 'chat' as const, messages: row.messages ?? [] };
  return sha256Hex(
    canonicalJson({
      table: 'versions',
      id: row.id,
      promptId: row.promptId,
      number: row.number,
      semver: row.semver,
      contentHash: contentHash(content, row.config),
      storedHash: row.hash,
      variables: row.variables,
      message: row.message,
      author: row.author,
      createdAt: row.createdAt,
      parent: row.parent,
      ...(row.mergeParent == null ? {} : { mergeParent: row.mergeParent }),
      ...(row.branch == null ? {} : { branch: row.branch }),
    }),
  );
}

/** A deployment history row as stored (JSON columns decoded). */
export interface SealedHistoryRow {
  id: number;
  promptId: number;
  environmentId: number;
  action: string;
  variants: Variant[];
  enabled: boolean;
  previous: Release | null;
  restoredFrom: number | null;
  rollbackTarget: number | null;
  actor: string;
  reason: string | null;
  forced: boolean;
  at: string;
  /** The deployment request that made the change, and who approved it (null for a direct change). */
  requestId?: number | null | undefined;
  approvedBy?: string[] | null | undefined;
  /** Pins and rules of the release (absent or null when it has none). */
  targeting?: Targeting | null | undefined;
}

/**
 * Record hash of a deployment history row: every column. The request columns enter only when set,
 * so rows sealed before they existed keep their hash.
 */
export function historyRecordHash(row: SealedHistoryRow): string {
  const { id, promptId, environmentId, action, variants, enabled, previous } = row;
  const { restoredFrom, rollbackTarget, actor, reason, forced, at } = row;
  return sha256Hex(
    canonicalJson({
      table: 'deployment_history',
      id,
      promptId,
      environmentId,
      action,
      variants,
      enabled,
      previous,
      restoredFrom,
      rollbackTarget,
      actor,
      reason,
      forced,
      at,
      ...(row.requestId == null ? {} : { requestId: row.requestId }),
      ...(row.approvedBy == null ? {} : { approvedBy: row.approvedBy }),
      ...(row.targeting == null ? {} : { targeting: row.targeting }),
    }),
  );
}

/** A row whose stored content no longer matches what the audit chain recorded for it. */
export const TamperedRow = z.object({
  table: z.string(),
  id: z.number().int(),
  /** What the row is, in words (`support/triage v3`, `support/triage@production entry 12`). */
  target: z.string(),
  reason: z.string(),
});
export type TamperedRow = z.infer<typeof TamperedRow>;

/** The newest event of a project's chain: record it elsewhere to detect truncation later. */
export const AuditHead = z.object({
  id: z.number().int().nullable(),
  hash: z.string(),
  at: z.string().nullable(),
  count: z.number().int(),
});
export type AuditHead = z.infer<typeof AuditHead>;

export const AuditVerifyQuery = z.object({
  /** A head hash recorded earlier: verification fails when no event of the chain has it. */
  head: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a head is 64 lowercase hex digits (GET /api/v1/audit/head)')
    .optional(),
});

/** The signed statement of a chain's head (`GET /api/v1/audit/checkpoint`). */
export const AuditCheckpointPayload = z.object({
  format: z.literal('promptline-audit-checkpoint/1'),
  projectId: z.number().int(),
  head: AuditHead,
  signedAt: z.string(),
});
export type AuditCheckpointPayload = z.infer<typeof AuditCheckpointPayload>;

export const AuditCheckpoint = z.object({
  payload: AuditCheckpointPayload,
  algorithm: z.literal('Ed25519'),
  /** SHA-256 of the public key (DER, SPKI), first 16 hex digits: which key signed. */
  keyId: z.string(),
  /** PEM (SPKI) of the public key that verifies `signature`. */
  publicKey: z.string(),
  /** Base64 Ed25519 signature over the UTF-8 bytes of `canonicalJson(payload)`. */
  signature: z.string(),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

export const AuditPublicKey = z.object({
  algorithm: z.literal('Ed25519'),
  keyId: z.string(),
  publicKey: z.string(),
});

/** A decision on a deployment request (approval or rejection) as stored. */
export interface SealedDecisionRow {
  id: number;
  requestId: number;
  voter: string;
  userId: number | null;
  user: string;
  decision: string;
  comment: string | null;
  at: string;
}

/** Record hash of a deployment request decision: every column. */
export function decisionRecordHash(row: SealedDecisionRow): string {
  const { id, requestId, voter, userId, user, decision, comment, at } = row;
  return sha256Hex(
    canonicalJson({
      table: 'deployment_request_decisions',
      id,
      requestId,
      voter,
      userId,
      user,
      decision,
      comment,
      at,
    }),
  );
}
