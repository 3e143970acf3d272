/**
 * A small typed client of the Promptline REST API over `node:http` (http.ts says why not `fetch`).
 * Request and response types come from core's schemas, so the CLI and the server share one
 * contract. Problems become {@link ApiError}, a missing server becomes {@link UnreachableError}.
 *
 * Over 500 lines because it is a flat table: one short method per route, all sharing one request
 * helper; splitting it by feature would scatter the one contract every command uses.
 */
import type {
  AddAnnotationItemsInput,
  AddAnnotationItemsResult,
  AlertRule,
  AlertRuleDetail,
  AnnotationItemPage,
  AnnotationQueue,
  AnnotationQueueDetail,
  ApiKey,
  AuditCheckpoint,
  AuditHead,
  AuditPage,
  AuditVerification,
  Branch,
  CreateAlertRuleRequest,
  CreateAnnotationQueueInput,
  CreateBranchRequest,
  CreatedApiKey,
  CreatedInvitation,
  CreatedProject,
  CreateEnvironmentRequest,
  CreateOnlineEvalRequest,
  CreatePromptRequest,
  CreateVersionRequest,
  DatasetItemPage,
  Deployment,
  DeploymentRequest,
  DeployRequest,
  EnteredProject,
  Environment,
  EvalRun,
  Experiment,
  ExperimentResultsResponse,
  FieldIssue,
  HistoryEntry,
  ImportResult,
  Invitation,
  LangfuseCreatePromptRequest,
  LangfusePrompt,
  Member,
  MergePreview,
  MergeRequest,
  MergeResult,
  MetricsInterval,
  MetricsSummary,
  OnlineEvalRule,
  OnlineEvalRuleDetail,
  ProjectSummary,
  Promotion,
  Prompt,
  PromptMetrics,
  PutSegmentRequest,
  RedteamReport,
  RedteamRunDetail,
  RedteamRunPage,
  RedteamRunRecord,
  RenderRequest,
  RenderResult,
  Replay,
  ReplayInput,
  ResolveResult,
  Role,
  RollbackRequest,
  Rollout,
  RolloutGuardrail,
  RolloutStep,
  SecurityEventPage,
  SecurityLogVerification,
  Segment,
  TraceDetail,
  TracePage,
  TracesToDatasetRequest,
  TracesToDatasetResult,
  UpdateAlertRuleRequest,
  UpdateEnvironmentRequest,
  UpdateOnlineEvalRequest,
  UpdatePromptRequest,
  Version,
  VersionDiff,
} from '@promptline/core';
import type { z } from 'zod';
import { ApiError, UnreachableError } from './errors.ts';
import { requestText, type TextResponse } from './http.ts';

/** The body of `POST /api/v1/datasets/{name}/items/from-traces` as a client writes it (defaults filled by the server). */
export type TracesToDatasetRequestInput = z.input<typeof TracesToDatasetRequest>;

/** Where the server is and how to authenticate. */
export interface ApiClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:4100`. */
  url: string;
  /** API key sent as `Authorization: Bearer <key>`; requests go without one when absent. */
  apiKey?: string | undefined;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
}

/** The result of posting a version: `created` is false when identical content returned the existing head. */
export interface CreatedVersion {
  version: Version;
  created: boolean;
}

/** The Promptline REST API as typed functions. */
export type ApiClient = ReturnType<typeof createApiClient>;

interface RawResponse<T> {
  status: number;
  body: T;
}

/**
 * Creates a client for one server.
 *
 * @throws {ApiError} when the server answers with a non-2xx status (problem+json or not).
 * @throws {UnreachableError} when no HTTP answer arrives (connection refused, timeout).
 * @example
 * const api = createApiClient({ url: 'http://127.0.0.1:4100', apiKey: process.env.PROMPTLINE_API_KEY });
 * const { items } = await api.listPrompts();
 */
export function createApiClient(options: ApiClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send<T>(method: string, path: string, body?: unknown): Promise<RawResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: TextResponse;
    try {
      response = await requestText(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs,
      });
    } catch (error) {
      throw new UnreachableError(base, error);
    }
    const { text } = response;
    if (!response.ok) throw toApiError(response, text);
    if (text === '') return { status: response.status, body: undefined as T };
    try {
      return { status: response.status, body: JSON.parse(text) as T };
    } catch {
      throw new ApiError(
        'INVALID_RESPONSE',
        response.status,
        `the server at ${base} answered ${method} ${path} with something that is not JSON; is PROMPTLINE_URL pointing at a Promptline server?`,
      );
    }
  }

  /**
   * A request whose body or answer is a file streamed as it goes: the timeout covers the wait for
   * the answer's headers only, never the transfer itself.
   */
  async function stream(
    method: 'GET' | 'POST',
    path: string,
    body?: { data: ReadableStream<Uint8Array>; type: string },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: '*/*' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (body) headers['content-type'] = body.type;
    const waiting = new AbortController();
    // An upload is sent before the answer starts: its headers may take as long as the file takes.
    const timer = body ? undefined : setTimeout(() => waiting.abort(new Error('timed out')), timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body ? { body: body.data, duplex: 'half' } : {}),
        signal: waiting.signal,
      } as RequestInit);
    } catch (error) {
      throw new UnreachableError(base, error);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw toApiError(response, await response.text());
    return response;
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await send<T>(method, path, body)).body;
  }

  const prompt = (name: string) => `/api/v1/prompts/${encodeURIComponent(name)}`;
  const environment = (name: string) => `/api/v1/environments/${encodeURIComponent(name)}`;
  const deployment = (name: string, env: string) => `${prompt(name)}/deployments/${encodeURIComponent(env)}`;
  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params))
      if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return text === '' ? '' : `?${text}`;
  };

  return {
    /** The base URL requests go to. */
    url: base,
    health: () => call<unknown>('GET', '/healthz'),

    listPrompts: (
      filter: {
        tag?: string | undefined;
        q?: string | undefined;
        /** Archived prompts: left out by default, `include`d, or `only` them. */
        archived?: 'exclude' | 'include' | 'only' | undefined;
      } = {},
    ) =>
      call<{ items: Prompt[] }>(
        'GET',
        `/api/v1/prompts${query({ tag: filter.tag, q: filter.q, archived: filter.archived })}`,
      ),
    getPrompt: (name: string) => call<Prompt>('GET', prompt(name)),
    createPrompt: (request: CreatePromptRequest) => call<Prompt>('POST', '/api/v1/prompts', request),
    /** Changes description, owner or tags (`tags` replaces the whole list), or archives/restores (`archived`). */
    updatePrompt: (name: string, request: UpdatePromptRequest) =>
      call<Prompt>('PATCH', prompt(name), request),

    /** Posts a version; identical content answers 200 with the existing head instead of 201. */
    createVersion: async (name: string, request: CreateVersionRequest): Promise<CreatedVersion> => {
      const { status, body } = await send<Version>('POST', `${prompt(name)}/versions`, request);
      return { version: body, created: status === 201 };
    },
    /** Langfuse-compatible: saves a version (and the prompt when new); its labels deploy it to those environments. */
    langfuseCreatePrompt: (request: LangfuseCreatePromptRequest) =>
      call<LangfusePrompt>('POST', '/api/public/v2/prompts', request),
    listBranches: (name: string, includeDeleted = false) =>
      call<{ items: Branch[] }>('GET', `${prompt(name)}/branches${includeDeleted ? '?deleted=include' : ''}`),
    createBranch: (name: string, request: CreateBranchRequest) =>
      call<Branch>('POST', `${prompt(name)}/branches`, request),
    deleteBranch: (name: string, branch: string) =>
      call<Branch>('DELETE', `${prompt(name)}/branches/${encodeURIComponent(branch)}`),
    previewMerge: (name: string, branch: string, into?: string) =>
      call<MergePreview>(
        'GET',
        `${prompt(name)}/merges/preview?branch=${encodeURIComponent(branch)}${into === undefined ? '' : `&into=${encodeURIComponent(into)}`}`,
      ),
    merge: (name: string, request: MergeRequest) =>
      call<MergeResult>('POST', `${prompt(name)}/merges`, request),
    listVersions: (name: string) => call<{ items: Version[] }>('GET', `${prompt(name)}/versions`),
    getVersion: (name: string, number: number) => call<Version>('GET', `${prompt(name)}/versions/${number}`),
    diff: (name: string, from: number, to: number) =>
      call<VersionDiff>('GET', `${prompt(name)}/diff${query({ from, to })}`),

    /** Totals and series per version of a prompt over a window (default the last 24 h). */
    promptMetrics: (
      name: string,
      params: {
        env?: string | undefined;
        from?: string | undefined;
        to?: string | undefined;
        interval?: MetricsInterval | undefined;
      },
    ) => call<PromptMetrics>('GET', `${prompt(name)}/metrics${query(params)}`),
    /** The project's totals and busiest prompts over a window (what the web dashboard draws). */
    metricsSummary: (params: {
      env?: string | undefined;
      from?: string | undefined;
      interval?: MetricsInterval | undefined;
      limit?: number | undefined;
    }) => call<MetricsSummary>('GET', `/api/v1/metrics/summary${query(params)}`),

    /** What `env` serves for the prompt now (404 DEPLOYMENT_NOT_FOUND when nothing). */
    getDeployment: (name: string, env: string) => call<Deployment>('GET', deployment(name, env)),
    deploy: (name: string, env: string, request: DeployRequest) =>
      call<Deployment>('PUT', deployment(name, env), request),
    scheduleDeploy: (name: string, env: string, request: DeployRequest & { at: string }) =>
      call<{ id: number; at: string; status: string }>('POST', `${deployment(name, env)}/schedule`, request),
    rollback: (name: string, env: string, request: RollbackRequest) =>
      call<Deployment>('POST', `${deployment(name, env)}/rollback`, request),
    /** The whole history, newest first as the server orders it, or the one entry live at `at`. */
    history: async (name: string, env: string, at?: string): Promise<HistoryEntry[]> => {
      const body = await call<{ items: HistoryEntry[] } | HistoryEntry | null>(
        'GET',
        `${deployment(name, env)}/history${query({ at })}`,
      );
      if (body === null || body === undefined) return [];
      return 'items' in body ? body.items : [body];
    },

    resolve: (name: string, env: string, unit?: string) =>
      call<ResolveResult>('GET', `${prompt(name)}/resolve${query({ env, unit })}`),
    render: (name: string, request: Partial<RenderRequest>) =>
      call<RenderResult>('POST', `${prompt(name)}/render`, request),

    listRedteamRuns: (name: string, params: { version?: number | undefined; limit?: number | undefined }) =>
      call<RedteamRunPage>('GET', `${prompt(name)}/redteam-runs${query(params)}`),
    getRedteamRun: (id: number) => call<RedteamRunDetail>('GET', `/api/v1/redteam-runs/${id}`),
    uploadRedteamReport: (name: string, version: number, report: RedteamReport) =>
      call<RedteamRunRecord>('POST', `${prompt(name)}/redteam-runs/import${query({ version })}`, report),
    listOnlineEvals: (name: string) =>
      call<{ items: OnlineEvalRule[] }>('GET', `${prompt(name)}/online-evals`),
    createOnlineEval: (name: string, request: CreateOnlineEvalRequest) =>
      call<OnlineEvalRule>('POST', `${prompt(name)}/online-evals`, request),
    getOnlineEval: (id: number) => call<OnlineEvalRuleDetail>('GET', `/api/v1/online-evals/${id}`),
    updateOnlineEval: (id: number, request: UpdateOnlineEvalRequest) =>
      call<OnlineEvalRule>('PATCH', `/api/v1/online-evals/${id}`, request),
    deleteOnlineEval: (id: number) => call<unknown>('DELETE', `/api/v1/online-evals/${id}`),
    listAlerts: () => call<{ items: AlertRule[] }>('GET', '/api/v1/alerts'),
    createAlert: (request: CreateAlertRuleRequest) => call<AlertRule>('POST', '/api/v1/alerts', request),
    /** One rule with its state transitions, newest first. */
    getAlert: (id: number) => call<AlertRuleDetail>('GET', `/api/v1/alerts/${id}`),
    updateAlert: (id: number, request: UpdateAlertRuleRequest) =>
      call<AlertRule>('PATCH', `/api/v1/alerts/${id}`, request),
    deleteAlert: (id: number) => call<{ deleted: true }>('DELETE', `/api/v1/alerts/${id}`),

    listSegments: () => call<{ items: Segment[] }>('GET', '/api/v1/segments'),
    getSegment: (name: string) => call<Segment>('GET', `/api/v1/segments/${encodeURIComponent(name)}`),
    putSegment: (name: string, body: PutSegmentRequest) =>
      call<Segment>('PUT', `/api/v1/segments/${encodeURIComponent(name)}`, body),
    deleteSegment: (name: string) => call<unknown>('DELETE', `/api/v1/segments/${encodeURIComponent(name)}`),
    listEnvironments: () => call<{ items: Environment[] }>('GET', '/api/v1/environments'),
    createEnvironment: (request: CreateEnvironmentRequest) =>
      call<Environment>('POST', '/api/v1/environments', request),
    getEnvironment: (name: string) => call<Environment>('GET', environment(name)),
    /** Renames, re-ranks, (un)protects or (un)archives an environment. */
    updateEnvironment: (name: string, request: UpdateEnvironmentRequest) =>
      call<Environment>('PATCH', environment(name), request),

    listProjects: () => call<{ items: ProjectSummary[] }>('GET', '/api/v1/projects'),
    createProject: (name: string) => call<CreatedProject>('POST', '/api/v1/projects', { name }),
    /** An instance admin enters a project: admin of it, and an expiring admin key of it. */
    enterProject: (id: number, expiresInHours?: number) =>
      call<EnteredProject>(
        'POST',
        `/api/v1/projects/${id}/enter`,
        expiresInHours === undefined ? {} : { expiresInHours },
      ),

    /** Invites an email to the key's project; the answer carries the one-time link (`path`). */
    createInvitation: (request: { email: string; role?: Role; expiresInHours?: number }) =>
      call<CreatedInvitation>('POST', '/api/v1/invitations', request),
    listMembers: () => call<{ items: Member[] }>('GET', '/api/v1/members'),
    putMember: (request: { email: string; role: Role; name?: string }) =>
      call<Member>('PUT', '/api/v1/members', request),
    removeMember: (userId: number) => call<undefined>('DELETE', `/api/v1/members/${userId}`),
    listInvitations: () => call<{ items: Invitation[] }>('GET', '/api/v1/invitations'),
    revokeInvitation: (id: number) => call<Invitation>('DELETE', `/api/v1/invitations/${id}`),

    listApiKeys: () => call<{ items: ApiKey[] }>('GET', '/api/v1/api-keys'),
    createApiKey: (request: {
      name: string;
      role?: Role;
      environments?: string[];
      promptPrefix?: string;
      readOnly?: boolean;
      expiresAt?: string;
    }) => call<CreatedApiKey>('POST', '/api/v1/api-keys', request),
    /** A new secret for a key; the old one keeps working for `graceSeconds`. */
    rotateApiKey: (id: number, graceSeconds?: number) =>
      call<CreatedApiKey>(
        'POST',
        `/api/v1/api-keys/${id}/rotate`,
        graceSeconds === undefined ? {} : { graceSeconds },
      ),
    revokeApiKey: (id: number) => call<ApiKey | undefined>('DELETE', `/api/v1/api-keys/${id}`),

    /** One page of audit events, newest first; pass the previous page's `nextCursor` as `cursor`. */
    listAudit: (
      params: {
        limit?: number;
        action?: string | undefined;
        target?: string | undefined;
        cursor?: string | undefined;
      } = {},
    ) => call<AuditPage>('GET', `/api/v1/audit${query(params)}`),
    /** One page of the instance security log (instance admins), newest first. */
    listSecurityEvents: (
      params: {
        type?: string | undefined;
        email?: string | undefined;
        from?: string | undefined;
        to?: string | undefined;
        limit?: number | undefined;
        cursor?: string | undefined;
      } = {},
    ) => call<SecurityEventPage>('GET', `/api/v1/instance/security-events${query(params)}`),
    verifySecurityEvents: () =>
      call<SecurityLogVerification>('GET', '/api/v1/instance/security-events/verify'),
    verifyAudit: (params: { head?: string | undefined } = {}) =>
      call<AuditVerification>('GET', `/api/v1/audit/verify${query(params)}`),
    requestDeploy: (name: string, env: string, request: DeployRequest & { reason: string }) =>
      call<DeploymentRequest>('POST', `${deployment(name, env)}/requests`, request),
    listRequests: (params: { status?: string | undefined; prompt?: string | undefined } = {}) =>
      call<{ items: DeploymentRequest[] }>('GET', `/api/v1/deployment-requests${query(params)}`),
    getRequest: (id: number) => call<DeploymentRequest>('GET', `/api/v1/deployment-requests/${id}`),
    decideRequest: (id: number, action: 'approve' | 'reject' | 'cancel', comment?: string) =>
      call<DeploymentRequest>(
        'POST',
        `/api/v1/deployment-requests/${id}/${action}`,
        comment === undefined ? {} : { comment },
      ),
    startRollout: (
      name: string,
      request: {
        env: string;
        version: number;
        steps?: RolloutStep[];
        guardrails: RolloutGuardrail[];
        minSamples?: number;
        onRegression: 'rollback' | 'pause';
        reason?: string;
      },
    ) => call<Rollout>('POST', `${prompt(name)}/rollouts`, request),
    listRollouts: (params: { prompt?: string | undefined; status?: string | undefined } = {}) =>
      call<{ items: Rollout[] }>('GET', `/api/v1/rollouts${query(params)}`),
    getRollout: (id: number) => call<Rollout>('GET', `/api/v1/rollouts/${id}`),
    rolloutAction: (id: number, action: 'pause' | 'resume' | 'advance' | 'abort', reason?: string) =>
      call<Rollout>('POST', `/api/v1/rollouts/${id}/${action}`, reason === undefined ? {} : { reason }),
    startExperiment: (
      name: string,
      request: {
        env: string;
        variants: { version: number; weight: number }[];
        metric: string;
        secondary?: string[];
        control?: number;
        expectedUnitsPerArm?: number;
        reason?: string;
      },
    ) => call<Experiment>('POST', `${prompt(name)}/experiments`, request),
    listExperiments: (params: { prompt?: string | undefined; status?: string | undefined } = {}) =>
      call<{ items: Experiment[] }>('GET', `/api/v1/experiments${query(params)}`),
    experimentResults: (id: number) =>
      call<ExperimentResultsResponse>('GET', `/api/v1/experiments/${id}/results`),
    stopExperiment: (id: number, body: { ship?: number | 'winner'; reason?: string }) =>
      call<Experiment>('POST', `/api/v1/experiments/${id}/stop`, body),
    replay: (name: string, request: ReplayInput) => call<Replay>('POST', `${prompt(name)}/replays`, request),
    evalRun: (id: number) => call<EvalRun>('GET', `/api/v1/eval-runs/${id}`),
    promote: (
      name: string,
      request: {
        from: string;
        to: string;
        minSoakSeconds?: number;
        dryRun?: boolean;
        request?: boolean;
        reason?: string;
      },
    ) => call<Promotion>('POST', `${prompt(name)}/promote`, request),
    auditHead: () => call<AuditHead>('GET', '/api/v1/audit/head'),
    auditCheckpoint: () => call<AuditCheckpoint>('GET', '/api/v1/audit/checkpoint'),
    /** Every version live in `env`: author, approvals, gating eval run, periods, chain proofs (JSON). */
    lineage: (name: string, env: string) =>
      call<Record<string, unknown>>('GET', `${prompt(name)}/lineage${query({ env })}`),
    /** The same lineage as a printable HTML page. */
    lineageHtml: async (name: string, env: string) =>
      (await stream('GET', `${prompt(name)}/lineage${query({ env, format: 'html' })}`)).text(),
    /** What `env` served at `at`, with the chain's proof. */
    snapshotAt: (env: string, at: string) =>
      call<Record<string, unknown>>('GET', `${environment(env)}/snapshot${query({ at })}`),

    /** One page of traces, newest first; pass the previous page's `nextCursor` as `cursor`. */
    listTraces: (params: {
      prompt?: string | undefined;
      env?: string | undefined;
      status?: string | undefined;
      from?: string | undefined;
      limit?: number | undefined;
      cursor?: string | undefined;
    }) => call<TracePage>('GET', `/api/v1/traces${query(params)}`),
    /** One trace: its spans depth first, with their scores (404 TRACE_NOT_FOUND). */
    getTrace: (traceId: string) => call<TraceDetail>('GET', `/api/v1/traces/${encodeURIComponent(traceId)}`),
    listQueues: () => call<{ items: AnnotationQueue[] }>('GET', '/api/v1/annotation-queues'),
    getQueue: (id: number) => call<AnnotationQueueDetail>('GET', `/api/v1/annotation-queues/${id}`),
    createQueue: (body: CreateAnnotationQueueInput) =>
      call<AnnotationQueue>('POST', '/api/v1/annotation-queues', body),
    addQueueItems: (id: number, body: AddAnnotationItemsInput) =>
      call<AddAnnotationItemsResult>('POST', `/api/v1/annotation-queues/${id}/items`, body),
    listQueueItems: (id: number, params: { status?: string | undefined; limit?: number | undefined }) =>
      call<AnnotationItemPage>('GET', `/api/v1/annotation-queues/${id}/items${query(params)}`),
    /** Production spans → dataset items (`POST /api/v1/datasets/{name}/items/from-traces`). */
    tracesToDataset: (dataset: string, body: TracesToDatasetRequestInput) =>
      call<TracesToDatasetResult>(
        'POST',
        `/api/v1/datasets/${encodeURIComponent(dataset)}/items/from-traces`,
        body,
      ),

    /** `GET /api/v1/backup`: the SQLite copy as a response to read as a stream. */
    backup: () => stream('GET', '/api/v1/backup'),
    /** `GET /api/v1/export`: the project's export file as a response to read as a stream. */
    exportProject: () => stream('GET', '/api/v1/export'),
    /** `POST /api/v1/import` with the file streamed as the body. */
    importProject: async (data: ReadableStream<Uint8Array>, type: string): Promise<ImportResult> => {
      const response = await stream('POST', '/api/v1/import', { data, type });
      return (await response.json()) as ImportResult;
    },

    /** One page of a dataset's items at `revision` (default: the current one), 1000 items unless `limit` says otherwise. */
    listDatasetItems: (
      name: string,
      page: { revision?: number | undefined; cursor?: string | undefined; limit?: number },
    ) =>
      call<DatasetItemPage>(
        'GET',
        `/api/v1/datasets/${encodeURIComponent(name)}/items${query({ revision: page.revision, cursor: page.cursor, limit: page.limit ?? 1000 })}`,
      ),
  };
}

/** The {@link ApiError} for a non-2xx answer: the problem document's code, detail and fields when there is one. */
export function toApiError(response: { status: number; statusText: string }, text: string): ApiError {
  let problem: unknown;
  try {
    problem = JSON.parse(text);
  } catch {
    // Not a problem document (a proxy's page): the status and text describe the failure below.
    problem = undefined;
  }
  if (problem && typeof problem === 'object') {
    const p = problem as Record<string, unknown>;
    const code = typeof p.code === 'string' ? p.code : `HTTP_${response.status}`;
    const detail =
      typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : response.statusText;
    const errors = Array.isArray(p.errors) ? p.errors.filter(isFieldIssue) : [];
    const requestId = typeof p.requestId === 'string' ? p.requestId : undefined;
    const error = new ApiError(code, response.status, detail, { errors, requestId });
    problems.set(error, p);
    return error;
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(
    `HTTP_${response.status}`,
    response.status,
    snippet === '' ? `${response.status} ${response.statusText}` : snippet,
  );
}

function isFieldIssue(value: unknown): value is FieldIssue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { path?: unknown }).path === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

// The problem document as the server sent it, kept beside the error so `--json` can print it whole
// (type, title, instance and any extension members) rather than the fields ApiError copies.
const problems = new WeakMap<ApiError, Record<string, unknown>>();

/**
 * The problem document behind an {@link ApiError}: the server's `application/problem+json` body,
 * or one built from the error when the answer was not a problem document (a proxy's 502 page).
 */
export function problemDocument(error: ApiError): Record<string, unknown> {
  return (
    problems.get(error) ?? {
      title: error.message,
      status: error.status,
      detail: error.message,
      code: error.code,
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      ...(error.errors.length > 0 ? { errors: error.errors } : {}),
    }
  );
}
