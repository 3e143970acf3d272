/**
 * The contract of red-team runs on the server (`/api/v1/prompts/{name}/redteam-runs`,
 * `/api/v1/redteam-runs/{id}`): what starts one, what a run and its findings look like, the report
 * a CLI run uploads, and the stored shapes of its JSON columns. The engine itself is `redteam/`.
 */
import { z } from 'zod';
import { PageCursor, PromptName, RowId, RowIdParam } from './schemas.ts';
import { SeverityName } from './severity-schema.ts';

export { SeverityName };

/** `POST /api/v1/prompts/{name}/redteam-runs`. */
export const CreateRedteamRunRequest = z
  .object({
    /** The version to attack (default: the newest main-line version). */
    version: RowId.optional(),
    /**
     * A provider configured in the project (`openai`, `anthropic`, a named OpenAI-compatible one…)
     * or `mock`. Default: the version's config `provider`, else `mock`.
     */
    provider: z.string().min(1).max(100).optional(),
    /** The model (default: the version's config `model`, or `mock` for the mock provider). */
    model: z.string().min(1).max(200).optional(),
    /** Plugin ids (`harmful` = every harmful:* one); default all that apply. */
    plugins: z.array(z.string().min(1).max(100)).max(100).optional(),
    /** Strategy ids, `all` or `none`; default the default set. */
    strategies: z.array(z.string().min(1).max(100)).max(100).optional(),
    /** The run fails on a finding at or above this (default high). */
    failOn: SeverityName.default('high'),
    /** A judge model (a configured provider and model) confirming heuristic findings. */
    judge: z.object({ provider: z.string().min(1).max(100), model: z.string().min(1).max(200) }).optional(),
    /** The variable attacks go into (default: the input-like one). */
    injectVar: z.string().min(1).max(200).optional(),
    /** Probes in flight at once (default 4). */
    concurrency: z.number().int().min(1).max(32).optional(),
  })
  .strict();
export type CreateRedteamRunRequest = z.input<typeof CreateRedteamRunRequest>;

export const RedteamRunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type RedteamRunStatus = z.infer<typeof RedteamRunStatus>;

const SeverityCounts = z.object({
  low: z.number().int(),
  medium: z.number().int(),
  high: z.number().int(),
  critical: z.number().int(),
});

/** The most severe finding of a run (the gate names it). */
export const RedteamWorstFinding = z.object({
  severity: SeverityName,
  plugin: z.string(),
  owasp: z.string(),
  evidence: z.string(),
});

/** What a server run was asked to do, frozen at creation. */
export const RedteamRunSpec = z.object({
  provider: z.string(),
  model: z.string(),
  plugins: z.array(z.string()).nullable(),
  strategies: z.array(z.string()).nullable(),
  judge: z.object({ provider: z.string(), model: z.string() }).nullable(),
  injectVar: z.string().nullable(),
  concurrency: z.number().int().positive(),
});
export type RedteamRunSpec = z.infer<typeof RedteamRunSpec>;

/** A red-team run: a server run (`source: server`) or an uploaded CLI report (`source: upload`). */
export const RedteamRunRecord = z.object({
  id: RowId,
  prompt: z.string(),
  version: z.number().int(),
  source: z.enum(['server', 'upload']),
  status: RedteamRunStatus,
  /** The model attacked, as `provider:model`. */
  provider: z.string(),
  plugins: z.array(z.string()),
  strategies: z.array(z.string()),
  failOn: SeverityName,
  progress: z.object({
    done: z.number().int(),
    total: z.number().int(),
    findings: z.number().int(),
    errors: z.number().int(),
  }),
  bySeverity: SeverityCounts,
  /** Findings at or above `failOn`. */
  failing: z.number().int(),
  /** Null until the run has completed; false also when a probe could not be sent. */
  passed: z.boolean().nullable(),
  worst: RedteamWorstFinding.nullable(),
  costUsd: z.number(),
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RedteamRunRecord = z.infer<typeof RedteamRunRecord>;

export const ListRedteamRunsQuery = z.object({
  version: RowIdParam.optional(),
  status: RedteamRunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: PageCursor.optional(),
});
export const RedteamRunPage = z.object({
  items: z.array(RedteamRunRecord),
  nextCursor: z.string().nullable(),
});
export type RedteamRunPage = z.infer<typeof RedteamRunPage>;

/** One finding of a stored run. */
export const RedteamFindingRow = z.object({
  id: RowId,
  probe: z.string(),
  plugin: z.string(),
  title: z.string(),
  strategy: z.string(),
  severity: SeverityName,
  owasp: z.object({ id: z.string(), title: z.string() }),
  detector: z.string(),
  confidence: z.enum(['certain', 'heuristic']),
  evidence: z.string(),
  attack: z.string(),
  turns: z.array(z.string()),
  output: z.string(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.string() })),
  mitigation: z.string(),
});
export type RedteamFindingRow = z.infer<typeof RedteamFindingRow>;

export const RedteamFindingsQuery = z.object({
  severity: SeverityName.optional(),
  plugin: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: PageCursor.optional(),
});
export const RedteamFindingPage = z.object({
  items: z.array(RedteamFindingRow),
  nextCursor: z.string().nullable(),
});
export type RedteamFindingPage = z.infer<typeof RedteamFindingPage>;

/** `GET /api/v1/redteam-runs/{id}`: the run, its errors and the plugins × OWASP summary. */
export const RedteamRunDetail = RedteamRunRecord.extend({
  probes: z.number().int(),
  calls: z.number().int(),
  byPlugin: z.record(z.string(), z.number().int()),
  byOwasp: z.record(z.string(), z.object({ title: z.string(), findings: z.number().int() })),
  errors: z.array(
    z.object({ probe: z.string(), plugin: z.string(), strategy: z.string(), message: z.string() }),
  ),
  clearedByJudge: z.number().int(),
  durationMs: z.number(),
});
export type RedteamRunDetail = z.infer<typeof RedteamRunDetail>;

/** The report formats a run downloads as (the CLI's `-o` formats). */
export const RedteamReportFormat = z.enum(['json', 'junit', 'markdown', 'html']);
export type RedteamReportFormat = z.infer<typeof RedteamReportFormat>;

/** A finding as the CLI's JSON report carries it (what an upload is checked against). */
const ReportFinding = z.object({
  probe: z.string().max(300),
  plugin: z.string().max(100),
  title: z.string().max(300),
  severity: SeverityName,
  owasp: z.object({ id: z.string().max(10), title: z.string().max(200) }),
  strategy: z.string().max(100),
  attack: z.string(),
  turns: z.array(z.string()),
  output: z.string(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.string() })).default([]),
  detector: z.string().max(40),
  evidence: z.string(),
  confidence: z.enum(['certain', 'heuristic']),
  mitigation: z.string(),
});

/** The JSON report `promptline redteam -o report.json` writes, as an upload carries it. */
export const UploadedRedteamReport = z.object({
  version: z.literal(1),
  prompt: z.string(),
  provider: z.string().max(300),
  createdAt: z.string(),
  durationMs: z.number().min(0),
  plugins: z.array(z.string()),
  strategies: z.array(z.string()),
  probes: z.number().int().min(0),
  calls: z.number().int().min(0),
  failOn: SeverityName,
  passed: z.boolean(),
  summary: z.object({
    clearedByJudge: z.number().int().min(0).default(0),
    cancelled: z.boolean().default(false),
  }),
  findings: z.array(ReportFinding).max(20_000),
  errors: z
    .array(z.object({ probe: z.string(), plugin: z.string(), strategy: z.string(), message: z.string() }))
    .max(20_000),
});
export type UploadedRedteamReport = z.infer<typeof UploadedRedteamReport>;

/** Query of the upload: which registry prompt version the report is of. */
export const RedteamUploadQuery = z.object({ version: RowIdParam });

/** Shapes of a stored run's JSON columns. */
export const StoredRedteamSummary = z.object({
  plugins: z.array(z.string()),
  strategies: z.array(z.string()),
  probes: z.number().int(),
  calls: z.number().int(),
  bySeverity: SeverityCounts,
  byPlugin: z.record(z.string(), z.number().int()),
  byOwasp: z.record(z.string(), z.object({ title: z.string(), findings: z.number().int() })),
  errors: z.array(
    z.object({ probe: z.string(), plugin: z.string(), strategy: z.string(), message: z.string() }),
  ),
  clearedByJudge: z.number().int(),
  durationMs: z.number(),
  injectVar: z.string().nullable(),
  worst: RedteamWorstFinding.nullable(),
});
export type StoredRedteamSummary = z.infer<typeof StoredRedteamSummary>;

/** The shipped plugins and strategies, for pickers (`GET /api/v1/redteam/catalog`). */
export const RedteamCatalog = z.object({
  plugins: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      severity: SeverityName,
      owasp: z.string(),
      needsTools: z.boolean(),
    }),
  ),
  strategies: z.array(z.object({ id: z.string(), title: z.string(), default: z.boolean() })),
});
export type RedteamCatalog = z.infer<typeof RedteamCatalog>;

/** Route params of a prompt's runs. */
export const RedteamPromptParams = z.object({ name: PromptName });
