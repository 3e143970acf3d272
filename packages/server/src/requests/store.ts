import { type RequestDecision, RolloutRequestPlan, Variant } from '@promptline/core';
import { type Generated, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import { type Db, type Dialect, isUniqueViolation } from '../db/database.ts';

/** A deployment request row, decoded. */
export interface StoredRequest {
  id: number;
  projectId: number;
  promptId: number;
  environmentId: number;
  prompt: string;
  environment: string;
  status: 'pending' | 'deployed' | 'rejected' | 'cancelled' | 'stale';
  variants: Variant[];
  enabled: boolean;
  force: boolean;
  reason: string;
  author: string;
  authorVoter: string;
  authorId: number | null;
  requiredApprovals: number;
  baseHistoryId: number | null;
  headVersion: number | null;
  historyId: number | null;
  staleReason: string | null;
  /** A rollout plan: the approval that completes the quorum starts a rollout instead of a deploy. */
  rollout: RolloutRequestPlan | null;
  createdAt: string;
  updatedAt: string;
}

/** A decision row as the audit chain seals it. */
export interface StoredDecision extends RequestDecision {
  id: number;
  requestId: number;
  voter: string;
}

const Variants = z.array(Variant);
const STATUSES = ['pending', 'deployed', 'rejected', 'cancelled', 'stale'] as const;

/** The request tables are this feature's own: typed here, reached with `withTables`. */
interface RequestsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  environment_id: number;
  prompt: string;
  environment: string;
  status: string;
  variants: string;
  enabled: number;
  force: number;
  reason: string;
  author: string;
  author_voter: string;
  author_id: number | null;
  required_approvals: number;
  base_history_id: number | null;
  head_version: number | null;
  rollout: string | null;
  history_id: number | null;
  stale_reason: string | null;
  created_at: string;
  updated_at: string;
}

interface DecisionsTable {
  id: Generated<number>;
  project_id: number;
  request_id: number;
  voter: string;
  user_id: number | null;
  user_name: string;
  decision: string;
  comment: string | null;
  at: string;
}

const own = (db: Db) =>
  db.withTables<{ deployment_requests: RequestsTable; deployment_request_decisions: DecisionsTable }>();

type Row = Selectable<RequestsTable>;

function toRequest(row: Row): StoredRequest {
  const status = STATUSES.find((s) => s === row.status) ?? 'pending';
  return {
    id: row.id,
    projectId: row.project_id,
    promptId: row.prompt_id,
    environmentId: row.environment_id,
    prompt: row.prompt,
    environment: row.environment,
    status,
    variants: decodeJsonAs(Variants, row.variants, 'deployment request variants'),
    enabled: decodeBool(row.enabled),
    force: decodeBool(row.force),
    reason: row.reason,
    author: row.author,
    authorVoter: row.author_voter,
    authorId: row.author_id,
    requiredApprovals: row.required_approvals,
    baseHistoryId: row.base_history_id,
    headVersion: row.head_version,
    historyId: row.history_id,
    staleReason: row.stale_reason,
    rollout:
      row.rollout === null
        ? null
        : decodeJsonAs(RolloutRequestPlan, row.rollout, 'deployment request rollout'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDecision(row: Selectable<DecisionsTable>): StoredDecision {
  return {
    id: row.id,
    requestId: row.request_id,
    voter: row.voter,
    user: row.user_name,
    userId: row.user_id,
    decision: row.decision === 'reject' ? 'reject' : 'approve',
    comment: row.comment,
    at: row.at,
  };
}

/** SQL of deployment requests and their decisions. */
export function createRequestStore(dialect: Dialect) {
  return {
    async insert(
      db: Db,
      input: Omit<StoredRequest, 'id' | 'historyId' | 'staleReason'>,
    ): Promise<StoredRequest> {
      const row = await own(db)
        .insertInto('deployment_requests')
        .values({
          project_id: input.projectId,
          prompt_id: input.promptId,
          environment_id: input.environmentId,
          prompt: input.prompt,
          environment: input.environment,
          status: input.status,
          variants: encodeJson(input.variants),
          enabled: encodeBool(input.enabled),
          force: encodeBool(input.force),
          reason: input.reason,
          author: input.author,
          author_voter: input.authorVoter,
          author_id: input.authorId,
          required_approvals: input.requiredApprovals,
          base_history_id: input.baseHistoryId,
          head_version: input.headVersion,
          rollout: input.rollout === null ? null : encodeJson(input.rollout),
          history_id: null,
          stale_reason: null,
          created_at: input.createdAt,
          updated_at: input.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRequest(row);
    },

    /**
     * One request of a project. With `lock`, PostgreSQL holds its row until the transaction ends:
     * concurrent approvals of one request run one after the other, so each counts the others.
     */
    async find(db: Db, projectId: number, id: number, lock = false): Promise<StoredRequest | undefined> {
      let q = own(db)
        .selectFrom('deployment_requests')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toRequest(row) : undefined;
    },

    async list(
      db: Db,
      projectId: number,
      filter: {
        status?: string | undefined;
        prompt?: string | undefined;
        environment?: string | undefined;
        limit: number;
      },
    ): Promise<StoredRequest[]> {
      let q = own(db).selectFrom('deployment_requests').selectAll().where('project_id', '=', projectId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.prompt) q = q.where('prompt', '=', filter.prompt);
      if (filter.environment) q = q.where('environment', '=', filter.environment);
      const rows = await q.orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map(toRequest);
    },

    async setStatus(
      db: Db,
      id: number,
      change: { status: StoredRequest['status']; at: string; historyId?: number; staleReason?: string },
    ): Promise<void> {
      await own(db)
        .updateTable('deployment_requests')
        .set({
          status: change.status,
          updated_at: change.at,
          ...(change.historyId === undefined ? {} : { history_id: change.historyId }),
          ...(change.staleReason === undefined ? {} : { stale_reason: change.staleReason }),
        })
        .where('id', '=', id)
        .execute();
    },

    /** Records a decision; undefined when this voter already decided on the request (counted once). */
    async insertDecision(
      db: Db,
      projectId: number,
      input: Omit<StoredDecision, 'id'>,
    ): Promise<StoredDecision | undefined> {
      // A savepoint keeps the transaction usable on PostgreSQL after a unique violation.
      await sql`savepoint decision`.execute(db);
      try {
        const row = await own(db)
          .insertInto('deployment_request_decisions')
          .values({
            project_id: projectId,
            request_id: input.requestId,
            voter: input.voter,
            user_id: input.userId,
            user_name: input.user,
            decision: input.decision,
            comment: input.comment,
            at: input.at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await sql`release savepoint decision`.execute(db);
        return toDecision(row);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        await sql`rollback to savepoint decision`.execute(db);
        return undefined;
      }
    },

    async decisions(db: Db, requestIds: number[]): Promise<StoredDecision[]> {
      if (requestIds.length === 0) return [];
      const rows = await own(db)
        .selectFrom('deployment_request_decisions')
        .selectAll()
        .where('request_id', 'in', requestIds)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toDecision);
    },

    /** Every decision of a project (audit verification recomputes each one). */
    async allDecisions(db: Db, projectId: number): Promise<StoredDecision[]> {
      const rows = await own(db)
        .selectFrom('deployment_request_decisions')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toDecision);
    },
  };
}

export type RequestStore = ReturnType<typeof createRequestStore>;
