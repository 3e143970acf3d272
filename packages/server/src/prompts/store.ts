import { AppError, ChatMessage, ModelConfig, type SealedVersionRow, type Version } from '@promptline/core';
import { z } from 'zod';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import { type Db, type Dialect, onUniqueViolation } from '../db/database.ts';
import type { PromptsTable, VersionsTable } from '../db/schema.ts';

/** A prompt row, decoded. */
export interface StoredPrompt {
  id: number;
  name: string;
  description: string;
  owner: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  latestVersion: number | null;
  /** When it was archived; null while in use. */
  archivedAt: string | null;
  /** Emails of who may approve its deploys where the policy says `reviewers: "prompt"`. */
  reviewers: string[];
  /** Who is told of its production changes (emails or team names; carried in `deployment.changed`). */
  stakeholders: string[];
}

/** A version as written: the prompt's name is known from its row. */
export type NewVersion = Version extends infer V ? (V extends unknown ? Omit<V, 'prompt'> : never) : never;

/** A version with its prompt's row id. */
export type StoredVersion = Version & { promptId: number };

/** What lists of many prompts' versions need of each: no content. */
export interface VersionStamp {
  prompt: string;
  number: number;
  branch: string | null;
  createdAt: string;
}

type PromptRow = Omit<PromptsTable, 'id'> & { id: number };
type VersionRow = Omit<VersionsTable, 'id'> & { id: number };

const PROMPT_COLUMNS = [
  'id',
  'project_id',
  'name',
  'description',
  'owner',
  'tags',
  'created_at',
  'updated_at',
  'latest_version',
  'archived_at',
  'reviewers',
  'stakeholders',
] as const;

const VERSION_COLUMNS = [
  'versions.id',
  'versions.project_id',
  'versions.prompt_id',
  'versions.number',
  'versions.semver',
  'versions.type',
  'versions.template',
  'versions.messages',
  'versions.config',
  'versions.variables',
  'versions.message',
  'versions.author',
  'versions.created_at',
  'versions.parent',
  'versions.hash',
  'versions.branch',
  'versions.merge_parent',
] as const;

const Strings = z.array(z.string());
const ChatMessages = z.array(ChatMessage);

function toPrompt(row: PromptRow): StoredPrompt {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    owner: row.owner,
    tags: decodeJsonAs(Strings, row.tags, 'prompt tags'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    latestVersion: row.latest_version,
    archivedAt: row.archived_at,
    reviewers: decodeJsonAs(Strings, row.reviewers, 'prompt reviewers'),
    stakeholders: decodeJsonAs(Strings, row.stakeholders, 'prompt stakeholders'),
  };
}

/** A version's parents: none for the first, the one it was edited from, and a merge's second. */
function parentsOf(row: { parent: number | null; merge_parent: number | null }): number[] {
  // `== null`: the 0180 migration reads rows from before the merge_parent column existed.
  if (row.parent == null) return [];
  return row.merge_parent == null ? [row.parent] : [row.parent, row.merge_parent];
}

/** Decodes a version row; `prompt` is the prompt's name (versions rows carry only its id). */
export function toVersion(row: VersionRow, prompt: string): StoredVersion {
  const base = {
    promptId: row.prompt_id,
    prompt,
    number: row.number,
    semver: row.semver,
    config: decodeJsonAs(ModelConfig, row.config, 'version config'),
    variables: decodeJsonAs(Strings, row.variables, 'version variables'),
    message: row.message,
    author: row.author,
    createdAt: row.created_at,
    parent: row.parent,
    parents: parentsOf(row),
    branch: row.branch ?? null,
    hash: row.hash,
  };
  return row.type === 'chat'
    ? { ...base, type: 'chat', messages: decodeJsonAs(ChatMessages, row.messages, 'version messages') }
    : { ...base, type: 'text', template: row.template ?? '' };
}

/** The row as the audit chain seals it (see core's versionRecordHash), with its prompt's name. */
export interface SealableVersion {
  prompt: string;
  row: SealedVersionRow;
}

export function toSealable(row: VersionRow, prompt: string): SealableVersion {
  const version = toVersion(row, prompt);
  const { prompt: _name, parents: _parents, ...rest } = version;
  return { prompt, row: { ...rest, mergeParent: row.merge_parent ?? null, id: row.id } };
}

/** SQL of prompts and their versions. */
export function createPromptStore(dialect: Dialect) {
  return {
    async insert(
      db: Db,
      projectId: number,
      input: {
        name: string;
        description: string;
        owner: string;
        tags: string[];
        reviewers?: string[];
        stakeholders?: string[];
        at: string;
      },
    ): Promise<StoredPrompt> {
      const row = await onUniqueViolation(
        () =>
          db
            .insertInto('prompts')
            .values({
              project_id: projectId,
              name: input.name,
              description: input.description,
              owner: input.owner,
              tags: encodeJson(input.tags),
              reviewers: encodeJson(input.reviewers ?? []),
              stakeholders: encodeJson(input.stakeholders ?? []),
              created_at: input.at,
              updated_at: input.at,
              latest_version: null,
            })
            .returning(PROMPT_COLUMNS)
            .executeTakeFirstOrThrow(),
        () =>
          new AppError(
            'PROMPT_EXISTS',
            `A prompt named "${input.name}" already exists. Add a version to it with POST /api/v1/prompts/{name}/versions, or pick another name.`,
          ),
      );
      return toPrompt(row);
    },

    /**
     * Finds a prompt by name. With `lock`, PostgreSQL holds the row until the transaction ends:
     * this is what makes "check the head, then write the next version" atomic between writers.
     * (SQLite needs no lock: its single connection runs one transaction at a time.)
     */
    async findByName(
      db: Db,
      projectId: number,
      name: string,
      lock = false,
    ): Promise<StoredPrompt | undefined> {
      let q = db
        .selectFrom('prompts')
        .select(PROMPT_COLUMNS)
        .where('project_id', '=', projectId)
        .where('name', '=', name);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toPrompt(row) : undefined;
    },

    async list(
      db: Db,
      projectId: number,
      filter: {
        tag?: string | undefined;
        q?: string | undefined;
        owner?: string | undefined;
        archived?: 'exclude' | 'include' | 'only' | undefined;
      },
    ) {
      let query = db.selectFrom('prompts').select(PROMPT_COLUMNS).where('project_id', '=', projectId);
      if (filter.archived === 'only') query = query.where('archived_at', 'is not', null);
      else if (filter.archived !== 'include') query = query.where('archived_at', 'is', null);
      const rows = await query.orderBy('name', 'asc').execute();
      // Filtered here rather than with LIKE: escaping rules differ between the dialects, and tags are JSON text.
      return rows
        .map(toPrompt)
        .filter((p) => (filter.q ? p.name.includes(filter.q) : true))
        .filter((p) => (filter.tag ? p.tags.includes(filter.tag) : true))
        .filter((p) => (filter.owner !== undefined ? p.owner === filter.owner : true));
    },

    async update(
      db: Db,
      id: number,
      patch: {
        description: string;
        owner: string;
        tags: string[];
        reviewers: string[];
        stakeholders: string[];
        at: string;
      },
    ): Promise<StoredPrompt> {
      const row = await db
        .updateTable('prompts')
        .set({
          description: patch.description,
          owner: patch.owner,
          tags: encodeJson(patch.tags),
          reviewers: encodeJson(patch.reviewers),
          stakeholders: encodeJson(patch.stakeholders),
          updated_at: patch.at,
        })
        .where('id', '=', id)
        .returning(PROMPT_COLUMNS)
        .executeTakeFirstOrThrow();
      return toPrompt(row);
    },

    /** Archives (`at`) or restores (null) a prompt. */
    async setArchived(db: Db, id: number, at: string | null, updatedAt: string): Promise<StoredPrompt> {
      const row = await db
        .updateTable('prompts')
        .set({ archived_at: at, updated_at: updatedAt })
        .where('id', '=', id)
        .returning(PROMPT_COLUMNS)
        .executeTakeFirstOrThrow();
      return toPrompt(row);
    },

    async setLatest(db: Db, id: number, number: number, at: string): Promise<void> {
      await db
        .updateTable('prompts')
        .set({ latest_version: number, updated_at: at })
        .where('id', '=', id)
        .execute();
    },

    /** The highest version number of a prompt on any line (0 with none): numbers are unique per prompt. */
    async maxNumber(db: Db, promptId: number): Promise<number> {
      const row = await db
        .selectFrom('versions')
        .select((eb) => eb.fn.max('number').as('top'))
        .where('prompt_id', '=', promptId)
        .executeTakeFirst();
      return Number(row?.top ?? 0);
    },

    async insertVersion(
      db: Db,
      projectId: number,
      prompt: { id: number; name: string },
      version: NewVersion & { mergeParent?: number | null },
    ): Promise<{ version: StoredVersion; sealable: SealableVersion }> {
      const row = await onUniqueViolation(
        () =>
          db
            .insertInto('versions')
            .values({
              project_id: projectId,
              prompt_id: prompt.id,
              number: version.number,
              semver: version.semver,
              type: version.type,
              template: version.type === 'text' ? version.template : null,
              messages: version.type === 'chat' ? encodeJson(version.messages) : null,
              config: encodeJson(version.config),
              variables: encodeJson(version.variables),
              message: version.message,
              author: version.author,
              created_at: version.createdAt,
              parent: version.parent,
              hash: version.hash,
              branch: version.branch ?? null,
              merge_parent: version.mergeParent ?? null,
            })
            .returning(VERSION_COLUMNS)
            .executeTakeFirstOrThrow(),
        () =>
          new AppError(
            'VERSION_CONFLICT',
            `Another version of "${prompt.name}" was saved at the same moment. Fetch the latest version, re-apply your change and retry.`,
          ),
      );
      return { version: toVersion(row, prompt.name), sealable: toSealable(row, prompt.name) };
    },

    /**
     * Every version row of a project with its row id, for the audit verification (which recomputes
     * each one's record hash), oldest first.
     */
    async sealableVersions(db: Db, projectId: number): Promise<SealableVersion[]> {
      const rows = await db
        .selectFrom('versions')
        .innerJoin('prompts', 'prompts.id', 'versions.prompt_id')
        .select([...VERSION_COLUMNS, 'prompts.name as prompt_name'])
        .where('versions.project_id', '=', projectId)
        .orderBy('versions.id', 'asc')
        .execute();
      return rows.map((row) => toSealable(row, row.prompt_name));
    },

    async findVersion(
      db: Db,
      prompt: { id: number; name: string },
      number: number,
    ): Promise<StoredVersion | undefined> {
      const row = await db
        .selectFrom('versions')
        .select(VERSION_COLUMNS)
        .where('prompt_id', '=', prompt.id)
        .where('number', '=', number)
        .executeTakeFirst();
      return row ? toVersion(row, prompt.name) : undefined;
    },

    /** Number, branch and creation time of every version of the project's prompts, in one query. */
    async versionStamps(db: Db, projectId: number): Promise<VersionStamp[]> {
      const rows = await db
        .selectFrom('versions')
        .innerJoin('prompts', 'prompts.id', 'versions.prompt_id')
        .select(['prompts.name as prompt', 'versions.number', 'versions.branch', 'versions.created_at'])
        .where('versions.project_id', '=', projectId)
        .orderBy('versions.prompt_id')
        .orderBy('versions.number', 'desc')
        .execute();
      return rows.map((row) => ({
        prompt: row.prompt,
        number: Number(row.number),
        branch: row.branch ?? null,
        createdAt: row.created_at,
      }));
    },

    async listVersions(db: Db, prompt: { id: number; name: string }): Promise<StoredVersion[]> {
      const rows = await db
        .selectFrom('versions')
        .select(VERSION_COLUMNS)
        .where('prompt_id', '=', prompt.id)
        .orderBy('number', 'desc')
        .execute();
      return rows.map((row) => toVersion(row, prompt.name));
    },

    /** Versions by (prompt, number) in one query, for snapshots. */
    async findVersions(
      db: Db,
      wanted: { promptId: number; name: string; numbers: number[] }[],
    ): Promise<StoredVersion[]> {
      const nonEmpty = wanted.filter((w) => w.numbers.length > 0);
      if (nonEmpty.length === 0) return [];
      const names = new Map(nonEmpty.map((w) => [w.promptId, w.name]));
      const rows = await db
        .selectFrom('versions')
        .select(VERSION_COLUMNS)
        .where((eb) =>
          eb.or(
            nonEmpty.map((w) => eb.and([eb('prompt_id', '=', w.promptId), eb('number', 'in', w.numbers)])),
          ),
        )
        .execute();
      return rows.map((row) => toVersion(row, names.get(row.prompt_id) ?? ''));
    },

    /** Names of prompts by row id (other features hold ids, e.g. deployments). */
    async namesOf(db: Db, ids: number[]): Promise<Map<number, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('prompts').select(['id', 'name']).where('id', 'in', ids).execute();
      return new Map(rows.map((row) => [row.id, row.name]));
    },
  };
}

// The not-found errors moved to errors.ts; evals still imports them from here until it is restructured.
export { promptNotFound, versionNotFound } from './errors.ts';

export type PromptStore = ReturnType<typeof createPromptStore>;
