/**
 * Shapes of branches and merges: what `…/branches` and `…/merges` take and answer, and the
 * structured conflicts a merge reports (409 MERGE_CONFLICT) for the web app to show side by side
 * and the CLI to write as conflict markers.
 */
import { z } from 'zod';
import {
  BranchName,
  ChatContent,
  ChatMessage,
  ModelConfig,
  RowId,
  SemverBump,
  TextContent,
  Timestamp,
  Version,
  VersionContent,
  VersionDiff,
} from '../schemas.ts';

/** A named line of versions of a prompt with its own head. */
export const Branch = z.object({
  name: BranchName,
  /** The version it was branched from (a main-line or another branch's version). */
  base: RowId,
  /** Its newest version; equals `base` until the first version is saved on it. */
  head: RowId,
  createdAt: Timestamp,
  createdBy: z.string(),
  /** When it was deleted (its versions stay); null while open. */
  deletedAt: Timestamp.nullable(),
});
export type Branch = z.infer<typeof Branch>;

/** Body of `POST /api/v1/prompts/{name}/branches`. */
export const CreateBranchRequest = z.object({
  name: BranchName,
  /** The version to branch from; the main line's newest version when absent. */
  from: RowId.optional(),
});
export type CreateBranchRequest = z.infer<typeof CreateBranchRequest>;

export const ListBranchesQuery = z.object({
  /** `include` lists deleted branches too. */
  deleted: z.enum(['exclude', 'include']).optional(),
});

/** What a merge resolution submits: the merged content and config. */
export const MergeResolution = z.discriminatedUnion('type', [
  TextContent.extend({ config: ModelConfig.optional() }),
  ChatContent.extend({ config: ModelConfig.optional() }),
]);
export type MergeResolution = z.infer<typeof MergeResolution>;

/** Body of `POST /api/v1/prompts/{name}/merges`. */
export const MergeRequest = z.object({
  /** The branch to merge. */
  branch: BranchName,
  /** The branch to merge into; the main line when absent or `main`. */
  into: z.union([z.literal('main'), BranchName]).optional(),
  message: z.string().max(2000).optional(),
  bump: SemverBump.optional(),
  /**
   * The merged content, after resolving a conflict: saved as the merge version as it is. Needs
   * `parents`, the two heads it was resolved against (409 VERSION_CONFLICT if either moved).
   */
  resolved: MergeResolution.optional(),
  parents: z.object({ ours: RowId, theirs: RowId }).optional(),
});
export type MergeRequest = z.infer<typeof MergeRequest>;

/** A stretch of a merged text: merged cleanly, or changed differently on both sides. */
export const MergeTextPart = z.discriminatedUnion('op', [
  z.object({ op: z.literal('clean'), text: z.string() }),
  z.object({ op: z.literal('conflict'), base: z.string(), ours: z.string(), theirs: z.string() }),
]);
export type MergeTextPart = z.infer<typeof MergeTextPart>;

/**
 * A stretch of merged chat messages: messages merged cleanly; one text message whose content
 * conflicts (`text`, with the role agreed on); or a run of messages that cannot be paired one to
 * one (`conflict`: added, removed or replaced differently on both sides).
 */
export const MergeMessagePart = z.discriminatedUnion('op', [
  z.object({ op: z.literal('clean'), messages: z.array(ChatMessage) }),
  z.object({ op: z.literal('text'), role: z.string(), parts: z.array(MergeTextPart) }),
  z.object({
    op: z.literal('conflict'),
    base: z.array(ChatMessage),
    ours: z.array(ChatMessage),
    theirs: z.array(ChatMessage),
  }),
]);
export type MergeMessagePart = z.infer<typeof MergeMessagePart>;

/** A config key (dotted) both sides changed differently; an absent side is a removed key. */
export const MergeConfigConflict = z.object({
  key: z.string(),
  /** `schema` for the typed-input and output-contract keys (`input…`, `output…`), else `config`. */
  kind: z.enum(['config', 'schema']),
  base: z.unknown().optional(),
  ours: z.unknown().optional(),
  theirs: z.unknown().optional(),
});
export type MergeConfigConflict = z.infer<typeof MergeConfigConflict>;

/**
 * Everything a merge found, clean or not. Exactly one of `template`, `messages` or `content` is
 * set: `content` when the sides disagree on text vs chat (then the whole content conflicts).
 * `config` is merged with ours wherever `configConflicts` names a key.
 */
export const MergeOutcome = z.object({
  template: z.array(MergeTextPart).optional(),
  messages: z.array(MergeMessagePart).optional(),
  content: z
    .object({ base: VersionContent.nullable(), ours: VersionContent, theirs: VersionContent })
    .optional(),
  config: ModelConfig,
  configConflicts: z.array(MergeConfigConflict),
  /** How many conflicts need a decision. */
  conflicts: z.number().int(),
});
export type MergeOutcome = z.infer<typeof MergeOutcome>;

/** The `details` of a 409 MERGE_CONFLICT problem. */
export const MergeConflictDetails = MergeOutcome.extend({
  prompt: z.string(),
  branch: BranchName,
  into: z.string(),
  /** The common ancestor, the target's head and the branch's head: resolve with `parents`. */
  base: RowId.nullable(),
  ours: RowId,
  theirs: RowId,
});
export type MergeConflictDetails = z.infer<typeof MergeConflictDetails>;

/** One version in the graph of a prompt's history. */
export const VersionGraphNode = z.object({
  number: RowId,
  semver: z.string(),
  parents: z.array(RowId),
  branch: BranchName.nullable(),
  message: z.string(),
  author: z.string(),
  createdAt: Timestamp,
});
export type VersionGraphNode = z.infer<typeof VersionGraphNode>;

/** `GET /api/v1/prompts/{name}/graph`: every version with its parents, and the branches. */
export const VersionGraph = z.object({
  /** The main line's head. */
  main: RowId.nullable(),
  versions: z.array(VersionGraphNode),
  branches: z.array(Branch),
});
export type VersionGraph = z.infer<typeof VersionGraph>;

/** `GET …/branches/{branch}/compare`: the branch against the main line. */
export const BranchComparison = z.object({
  branch: Branch,
  /** The main line's head and the branch's head, and their merge base. */
  main: RowId,
  head: RowId,
  base: RowId.nullable(),
  /** Versions on the branch since the merge base, and on main since it. */
  ahead: z.number().int(),
  behind: z.number().int(),
  /** The diff from the main line's head to the branch's head. */
  diff: VersionDiff,
});
export type BranchComparison = z.infer<typeof BranchComparison>;

export const MergePreviewQuery = z.object({
  branch: BranchName,
  into: z.union([z.literal('main'), BranchName]).optional(),
});

/** `GET …/merges/preview`: what a merge would do now, conflicts included, without writing. */
export const MergePreview = MergeConflictDetails;
export type MergePreview = MergeConflictDetails;

/** `201` of `POST …/merges`: the merge version and the three versions it was computed from. */
export const MergeResult = z.object({
  version: Version,
  base: RowId.nullable(),
  ours: RowId,
  theirs: RowId,
});
export type MergeResult = z.infer<typeof MergeResult>;
