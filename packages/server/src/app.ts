/**
 * The application: builds every feature's store and service once and registers their routes, hooks
 * and jobs on one Fastify instance. Over 500 lines because it is the one place where features are
 * wired to each other (who may call whose service), which is easiest to audit in one file. The
 * request-level plumbing (the Fastify instance's options, path re-encoding of prompt names) lives in
 * http/server.ts and http/prompt-path.ts.
 */
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { createCodeRunner, type SecretBox } from '@promptline/core/node';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerAlertRoutes } from './alerts/routes.ts';
import { createAlertService } from './alerts/service.ts';
import { createScoreDefinitionService } from './annotation/definitions.ts';
import { registerAnnotationRoutes, registerScoreDefinitionRoutes } from './annotation/routes.ts';
import { type AnnotationService, createAnnotationService } from './annotation/service.ts';
import { registerAuditRoutes } from './audit/routes.ts';
import { createAuditService } from './audit/service.ts';
import type { CheckpointSigner } from './audit/signing.ts';
import { installAuth } from './auth/hook.ts';
import { registerApiKeyRoutes } from './auth/routes.ts';
import { createAuthService } from './auth/service.ts';
import { type Clock, systemClock } from './clock.ts';
import type { ServerConfig } from './config.ts';
import { createTracesToDataset, registerTracesToDatasetRoute } from './datasets/from-traces.ts';
import { registerDatasetRoutes } from './datasets/routes.ts';
import { createDatasetService } from './datasets/service.ts';
import type { Database } from './db/database.ts';
import { migrationNames } from './db/migrations.ts';
import { registerDeploymentRoutes } from './deployments/routes.ts';
import { createDeploymentService } from './deployments/service.ts';
import { registerEnvironmentRoutes } from './environments/routes.ts';
import { createEnvironmentService } from './environments/service.ts';
import { createEnvironmentStore } from './environments/store.ts';
import { createEvalGate } from './evals/gate.ts';
import { registerEvalRoutes } from './evals/routes.ts';
import { createEvalService } from './evals/service.ts';
import { createEventBus } from './events/bus.ts';
import { createBudgetService } from './gateway/budgets.ts';
import { createResponseCache } from './gateway/cache.ts';
import { createFallbackRouteService } from './gateway/fallback-routes.ts';
import { createSpanRecorder, type SpanIngest } from './gateway/recorder.ts';
import { registerGatewayRoutes } from './gateway/routes.ts';
import { createGatewayService } from './gateway/service.ts';
import { registerHealthRoutes } from './health/routes.ts';
import { createReadinessService } from './health/service.ts';
import { createHealthStore } from './health/store.ts';
import { registerCompression } from './http/compression.ts';
import { installInputGuards } from './http/input-guards.ts';
import { installProblemHandlers } from './http/problem.ts';
import { installRateLimits, type RateLimitOptionsIn } from './http/rate-limit.ts';
import { installRequestLog } from './http/request-log.ts';
import { type AppLogger, createHttpServer, installShutdownGrace } from './http/server.ts';
import { registerJobRoutes } from './jobs/routes.ts';
import { createJobService, type JobSettings } from './jobs/service.ts';
import { createLangfuseIngestionService } from './langfuse/ingestion.ts';
import { createLangfusePromptService } from './langfuse/prompts.ts';
import { registerLangfuseRoutes } from './langfuse/routes.ts';
import './http/types.ts';
import { registerExperimentRoutes } from './experiments/routes.ts';
import { createExperimentService } from './experiments/service.ts';
import { registerLineageRoutes } from './lineage/routes.ts';
import { createLineageService } from './lineage/service.ts';
import { type ChangeFeed, createLocalChangeFeed } from './live/change-feed.ts';
import { registerLiveRoutes } from './live/routes.ts';
import { createUpdateStream } from './live/update-stream.ts';
import { registerMetricsRoutes } from './metrics/routes.ts';
import { createMetricsService } from './metrics/service.ts';
import { registerNotificationRoutes } from './notifications/routes.ts';
import { createNotificationService } from './notifications/service.ts';
import type { OidcSettings } from './oidc/settings.ts';
import { createGrader } from './online-evals/grade.ts';
import { registerOnlineEvalRoutes } from './online-evals/routes.ts';
import { createOnlineEvalService } from './online-evals/service.ts';
import { registerOtelRoutes } from './otel/routes.ts';
import { createOtelService } from './otel/service.ts';
import type { PasswordSettings } from './passwords/service.ts';
import { registerPlaygroundRoutes } from './playground/routes.ts';
import { createPlaygroundService } from './playground/service.ts';
import { registerPortabilityRoutes } from './portability/routes.ts';
import { createPortabilityService } from './portability/service.ts';
import { registerPrivacyRoutes } from './privacy/routes.ts';
import { createPrivacyService, type PrivacyService } from './privacy/service.ts';
import { registerProjectRoutes } from './projects/routes.ts';
import { createProjectService } from './projects/service.ts';
import { createProjectStore } from './projects/store.ts';
import { installHttpMetrics, recordUnmatched } from './prometheus/http-metrics.ts';
import { createServerMetrics, type ServerMetrics } from './prometheus/registry.ts';
import { registerPrometheusRoutes } from './prometheus/routes.ts';
import { registerScrapedMetrics } from './prometheus/scraped.ts';
import { registerPromotionRoutes } from './promotions/routes.ts';
import { createPromotionService } from './promotions/service.ts';
import { registerBranchRoutes } from './prompts/branch-routes.ts';
import { createBranchService } from './prompts/branch-service.ts';
import { createBranchStore } from './prompts/branch-store.ts';
import { registerPromptRoutes } from './prompts/routes.ts';
import { createPromptService } from './prompts/service.ts';
import { createPromptStore } from './prompts/store.ts';
import { meteredTransport } from './providers/metered-transport.ts';
import { registerProviderRoutes } from './providers/routes.ts';
import { createEphemeralSecretBox } from './providers/secret-box.ts';
import { createProviderService } from './providers/service.ts';
import { createProviderTransport } from './providers/undici-transport.ts';
import { createRedteamGate } from './redteam/gate.ts';
import { registerRedteamRoutes } from './redteam/routes.ts';
import { createRedteamService } from './redteam/service.ts';
import { registerReplayRoutes } from './replays/routes.ts';
import { createReplayService } from './replays/service.ts';
import { registerRequestRoutes } from './requests/routes.ts';
import { createRequestService } from './requests/service.ts';
import { registerResolutionRoutes } from './resolution/routes.ts';
import { createResolutionService } from './resolution/service.ts';
import { createSnapshotCache } from './resolution/snapshot-cache.ts';
import { createRolloutChecks } from './rollouts/check.ts';
import { registerRolloutRoutes } from './rollouts/routes.ts';
import { createRolloutService } from './rollouts/service.ts';
import { registerScheduleRoutes } from './schedules/routes.ts';
import { createScheduleService } from './schedules/service.ts';
import { registerSecurityRoutes } from './security/routes.ts';
import { createSecurityLog } from './security/service.ts';
import { registerSegmentRoutes } from './segments/routes.ts';
import { createSegmentService } from './segments/service.ts';
import { registerPeopleSignIn } from './session/people.ts';
import { registerSessionRoutes } from './session/routes.ts';
import { createSessionService } from './session/service.ts';
import { createSpanContractChecker } from './traces/contracts.ts';
import { createFeedbackTokens } from './traces/feedback.ts';
import { createTraceMaintenance } from './traces/maintenance.ts';
import { registerTraceRoutes } from './traces/routes.ts';
import { createTraceService } from './traces/service.ts';
import { createTraceSettingsService } from './traces/settings.ts';
import { withSpanHook } from './traces/sink.ts';
import { createTraceTail } from './traces/tail.ts';
import { registerMemberRoutes } from './users/routes.ts';
import { createUserService } from './users/service.ts';
import { defaultWebDist, registerWebApp } from './web/static.ts';
import { registerWebhookRoutes } from './webhooks/routes.ts';
import { createWebhookService } from './webhooks/service.ts';

export interface BuildAppOptions {
  /** An open, migrated database (see createDatabase, migrate, bootstrap). The caller closes it. */
  db: Database;
  config: Pick<ServerConfig, 'logLevel'>;
  clock?: Clock;
  /** Where deployment changes are published; default an in-process feed (one instance). */
  changeFeed?: ChangeFeed;
  /** false for silence, a logger instance to share one, or pino options; default pino at `config.logLevel`. */
  logger?: AppLogger;
  /** Encrypts stored provider credentials; default a random key that lives as long as the process. */
  secretBox?: SecretBox;
  /** Live update stream tuning: heartbeat interval and `retry:` hint (ms), largest snapshot/delta inlined in an event (bytes). */
  live?: { heartbeatMs?: number; retryMs?: number; inlineMaxBytes?: number };
  /** Signs audit checkpoints; default a key that lives as long as the process. */
  auditSigner?: CheckpointSigner;
  /** Playground tuning: the mock provider's delay between words (ms). */
  playground?: { mockDelayMs?: number };
  /** Job runner tuning (lease, polling, backoff); tests shorten the lease. */
  jobs?: JobSettings;
  /** How often due scheduled releases are applied (seconds; default 5). */
  scheduleEverySeconds?: number;
  /** Gateway tuning: how often recorded spans are written (ms), and where they go (default: the trace service). */
  gateway?: { recordIntervalMs?: number; ingest?: SpanIngest };
  /** The built web app served at `/`: its dist folder (default @promptline/web's), or false for none. */
  web?: { dist?: string } | false;
  /**
   * The server's own metrics (`GET /metrics`): a registry made with createServerMetrics (a test
   * keeps it to read what was counted), default a new one; false for none (no route, nothing counted).
   */
  metrics?: ServerMetrics | false;
  /** Bearer token that opens `GET /metrics` from other machines besides API keys (PROMPTLINE_METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /**
   * Rate limits per API key (per address on public routes): the budgets, and the clock of their
   * windows (tests). Default none; the server process turns them on (PROMPTLINE_RATE_LIMIT*).
   */
  rateLimits?: Omit<RateLimitOptionsIn, 'onLimited'> | false;
  /** `GET /readyz` tuning: how long the database has to answer (default 2 000 ms). */
  readiness?: { timeoutMs?: number };
  /** Webhook delivery tuning: how long one send may take (default 10 000 ms). */
  webhooks?: { timeoutMs?: number };
  /** Guarded rollouts: seconds between guardrail checks (default 5; DESIGN.md promises at most 10). */
  rollouts?: { checkEverySeconds?: number };
  /**
   * Single sign-on with an OpenID Connect provider (see oidc/settings.ts); default none. A function
   * is called on first use (a test that learns its own URL only once listening).
   */
  oidc?: OidcSettings | (() => OidcSettings) | undefined;
  /** Alert evaluation tuning: seconds between evaluation passes (default 30). */
  alerts?: { everySeconds?: number };
  /** Password lockout and throttling (PROMPTLINE_PASSWORD_*); default 5 failures, 15 minutes, 30 attempts a minute per address. */
  passwords?: PasswordSettings | undefined;
  /** Annotation queues: how long a reviewer's claim on an item holds (seconds; default 600). */
  annotation?: { leaseSeconds?: number; sampleEverySeconds?: number };
}

/**
 * Builds the HTTP app (no listen): every route, auth, the problem+json error handler and the
 * OpenAPI document. Tests call it directly and use `app.inject()` or listen on port 0.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const database = options.db;
  const clock = options.clock ?? systemClock;
  const changeFeed =
    options.changeFeed ??
    createLocalChangeFeed({
      onListenerError: (error) =>
        app.log.error({ err: error }, 'change feed: a listener failed on a deployment change'),
    });
  const logger = options.logger ?? { level: options.config.logLevel };

  const app = createHttpServer(logger);
  const metrics = options.metrics === false ? undefined : (options.metrics ?? createServerMetrics());
  // Before any route: each route gets its own request-metrics hook as it is registered.
  if (metrics) installHttpMetrics(app, metrics.http);
  installProblemHandlers(
    app,
    metrics ? { onNotFound: (request, reply) => recordUnmatched(metrics.http, request, reply) } : {},
  );
  if (options.rateLimits) {
    installRateLimits(app, {
      ...options.rateLimits,
      ...(metrics ? { onLimited: (budget) => metrics.rateLimits.limited(budget) } : {}),
    });
  }
  installRequestLog(app);
  // Before the routes: the plugin's onSend hook applies to routes registered after it.
  await registerCompression(app);
  installInputGuards(app);

  const audit = createAuditService({
    database,
    clock,
    ...(options.auditSigner ? { signer: options.auditSigner } : {}),
  });
  // A key's role is capped by its user's membership: a membership change empties the key cache.
  const users = createUserService({ database, clock, audit, onMembersChanged: () => auth.forgetAll() });
  const auth = createAuthService({
    database,
    clock,
    audit,
    users,
    changeFeed,
    // Built below; only asked when a key limited to environments is created.
    environmentNames: async (projectId) => (await environments.list(projectId)).map((e) => e.name),
  });
  // Stores another feature works with inside its own transactions are built once, here, and
  // passed in: a feature never builds another feature's store.
  // What features publish (`version.created`, `deployment.changed`, `alert.fired`…), inside
  // their transactions; webhooks and notifications subscribe.
  const events = createEventBus({ clock });
  const promptStore = createPromptStore(database.dialect);
  const environmentStore = createEnvironmentStore();
  const environments = createEnvironmentService({
    database,
    clock,
    audit,
    changeFeed,
    store: environmentStore,
  });
  changeFeed.resyncFrom?.(() => environments.everywhere());
  // Segments and deployments ask each other (is it used? does it exist?), each through the other's service.
  const segments = createSegmentService({
    database,
    clock,
    audit,
    changeFeed,
    environments: environmentStore,
    usingSegment: (db, projectId, name) => deployments.usingSegment(db, projectId, name),
  });
  const deployments = createDeploymentService({
    database,
    clock,
    audit,
    changeFeed,
    prompts: promptStore,
    environments: environmentStore,
    evalGate: createEvalGate({ promptStore }),
    redteamGate: createRedteamGate({ promptStore }),
    events,
    segments,
  });
  const branchStore = createBranchStore(database.dialect);
  const prompts = createPromptService({
    database,
    clock,
    audit,
    store: promptStore,
    branches: branchStore,
    deployments,
    events,
  });
  const branches = createBranchService({
    database,
    clock,
    audit,
    store: promptStore,
    branches: branchStore,
    events,
  });
  // The chain covers versions and deployment history row by row: `audit verify` recomputes them.
  audit.addSealedSource(prompts.sealedSource);
  audit.addSealedSource(deployments.sealedSource);
  const rollouts = createRolloutService({ database, clock, audit, deployments });
  const requests = createRequestService({ database, clock, audit, deployments, events, rollouts });
  audit.addSealedSource(requests.sealedSource);
  const cache = createSnapshotCache({ deployments, segments, clock, changeFeed });
  const resolution = createResolutionService({ cache, prompts, metrics: metrics?.resolution });
  const datasets = createDatasetService({ database, clock, audit });
  app.addHook('onClose', async () => cache.close());
  const secretBox = options.secretBox ?? createEphemeralSecretBox();
  // Every provider call (gateway, playground, evals, connection tests) goes out through one agent.
  const providerTransport = createProviderTransport();
  app.addHook('onClose', async () => providerTransport.close());
  const providers = createProviderService({
    database,
    clock,
    audit,
    secretBox,
    metrics: metrics?.providers,
    transport: providerTransport.send,
  });
  // Background work: polling starts when the app is ready; on close running jobs are handed back.
  const jobs = createJobService({ database, clock, logger: app.log, ...options.jobs });
  app.addHook('onReady', async () => jobs.start());
  app.addHook('onClose', async () => jobs.stop());
  const schedules = createScheduleService({
    database,
    clock,
    audit,
    deployments,
    jobs,
    ...(options.scheduleEverySeconds === undefined ? {} : { everySeconds: options.scheduleEverySeconds }),
  });
  const webhooks = createWebhookService({
    database,
    clock,
    audit,
    jobs,
    secretBox,
    events,
    timeoutMs: options.webhooks?.timeoutMs,
  });
  // Rollups per prompt version; its `sink` is what trace ingestion writes through.
  const rollups = createMetricsService({ database, clock, audit, jobs });
  const notifications = createNotificationService({ database, clock, events });
  const alerts = createAlertService({
    database,
    clock,
    audit,
    jobs,
    metrics: rollups,
    events,
    everySeconds: options.alerts?.everySeconds,
  });
  const rolloutChecks = createRolloutChecks({
    rollouts,
    deployments,
    metrics: rollups,
    clock,
    jobs,
    alerts,
    checkEverySeconds: options.rollouts?.checkEverySeconds,
    logger: app.log,
  });
  const evals = createEvalService({
    database,
    jobs,
    clock,
    audit,
    prompts,
    promptStore,
    deployments,
    datasets,
    // A model with an explicit baseUrl is an OpenAI-compatible endpoint; otherwise the project's stored provider.
    resolveProvider: async (projectId, provider, baseUrl) => {
      const prices = await providers.priceBook(projectId);
      if (baseUrl) {
        return {
          kind: 'openai-compatible',
          baseUrl,
          prices,
          knownSecrets: await providers.knownSecrets(projectId),
          transport: metrics
            ? meteredTransport('openai-compatible', metrics.providers, providerTransport.send)
            : providerTransport.send,
        };
      }
      return providers.settingsFor(projectId, provider, prices);
    },
    knownSecrets: (projectId) => providers.knownSecrets(projectId),
    logger: app.log,
    events,
  });
  const redteam = createRedteamService({
    database,
    clock,
    audit,
    prompts,
    jobs,
    resolveProvider: async (projectId, provider) =>
      providers.settingsFor(projectId, provider, await providers.priceBook(projectId)),
    knownSecrets: (projectId) => providers.knownSecrets(projectId),
    events,
  });
  // Every way in (native API, OpenTelemetry, gateway, SDK) stores spans through this one service.
  // Written spans and scores reach the metrics rollups through its sink, in the writing transaction.
  // On PostgreSQL the change feed carries "spans written" between instances; a tail reads
  // another instance's batch back through the trace service (built just below).
  const traceTail = createTraceTail({
    onListenerError: (error) => app.log.error({ err: error }, 'trace tail listener failed'),
    feed: changeFeed,
    readBatch: (batch) => traces.readBatch(batch),
    onReadError: (error) =>
      app.log.error({ err: error }, 'trace tail: reading spans of another instance failed'),
  });
  // Scores of a defined name are checked against it; a definition in use by a queue is kept.
  const scoreDefinitions = createScoreDefinitionService({
    database,
    clock,
    audit,
    queuesUsing: (db, projectId, name) => annotation.queuesUsingScore(db, projectId, name),
  });
  // Online evaluations sample spans as they are written (in the ingest transaction) and write
  // their scores through the trace service (built below), so they count like any other score.
  const codeRunner = createCodeRunner();
  app.addHook('onClose', async () => codeRunner.close());
  const onlineEvals = createOnlineEvalService({
    database,
    clock,
    audit,
    jobs,
    prompts,
    environments,
    traces: {
      spanForEval: (projectId, traceId, spanId) => traces.spanForEval(projectId, traceId, spanId),
      scoreWriter: (projectId) => traces.scoreWriter(projectId),
    },
    grade: createGrader({
      codeRunner,
      resolveJudge: async (projectId, provider) =>
        providers.settingsFor(projectId, provider, await providers.priceBook(projectId)),
    }),
  });
  const traces = createTraceService({
    database,
    clock,
    checkScore: (db, projectId, name, value) => scoreDefinitions.check(db, projectId, name, value),
    // Redaction reads the privacy settings; the privacy service erases through this one (built below).
    redactor: (projectId) => privacy.redactorFor(projectId),
    sink: withSpanHook(rollups.sink, onlineEvals.sampler.spansWritten),
    prices: (projectId) => providers.priceBook(projectId),
    metrics: metrics?.spans,
    tail: traceTail,
    contracts: createSpanContractChecker((projectId, name, number) =>
      prompts.outputContract(projectId, name, number),
    ),
  });
  const privacy: PrivacyService = createPrivacyService({
    database,
    clock,
    audit,
    eraseTraces: (trx, projectId, userId) => traces.eraseEndUser(trx, projectId, userId),
    eraseItems: (trx, projectId, traceIds) => datasets.eraseItemsFromTraces(trx, projectId, traceIds),
    // Built below, with the add-to-dataset service it reaches datasets through.
    eraseReviews: (trx, projectId, traceIds) => annotation.eraseItemsOfTraces(trx, projectId, traceIds),
  });
  const projectStore = createProjectStore();
  createTraceMaintenance({ database, clock, projectIds: (db) => projectStore.listIds(db) }).register(jobs);
  const playground = createPlaygroundService({
    providers,
    resolution,
    prompts,
    mockDelayMs: options.playground?.mockDelayMs,
  });
  const budgets = createBudgetService({ database, clock, audit, auth, logger: app.log });
  const recorder = createSpanRecorder({
    ingest: options.gateway?.ingest ?? traces,
    logger: app.log,
    ...(options.gateway?.recordIntervalMs === undefined
      ? {}
      : { intervalMs: options.gateway.recordIntervalMs }),
  });
  const fallbackRoutes = createFallbackRouteService({ database, clock, audit });
  const gateway = createGatewayService({
    providers,
    budgets,
    recorder,
    cache: createResponseCache(),
    routes: fallbackRoutes,
    logger: app.log,
  });
  // After the server stopped taking requests: the last spans and charges are written.
  app.addHook('onClose', async () => {
    await recorder.close();
    await budgets.flush();
  });
  const snapshotOf = (projectId: number, env: string) => cache.get(projectId, env);
  const updates = createUpdateStream({
    changeFeed,
    snapshotOf,
    ...options.live,
    onError: (error) => app.log.error({ err: error }, 'live update: loading the snapshot failed'),
  });
  // Open streams would keep close() waiting for ever: end them before the server stops.
  app.addHook('preClose', async () => updates.close());
  // Any other connection still open after a grace period is cut, so stopping never hangs.
  installShutdownGrace(app);
  app.decorate('liveUpdates', updates);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Promptline API',
        version: '1',
        description:
          'Prompts, immutable versions, environments, deployments, resolution and audit. Authenticate with `Authorization: Bearer <api key>`. Prompt names containing "/" are URL-encoded in paths (`support%2Ftriage`). Errors are application/problem+json with a stable `code`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  // Also sets x-request-id on every response.
  // Cookies are parsed before the auth hook, which accepts the browser's session cookie.
  await app.register(fastifyCookie);
  const security = createSecurityLog({
    database,
    clock,
    isInstanceAdmin: async (userId) => (await users.get(userId)).instanceAdmin,
  });
  const sessions = createSessionService({ database, clock, auth, users, audit, security });
  installAuth(app, auth, sessions, () => clock.now().getTime());

  const r = app.withTypeProvider<ZodTypeProvider>();
  registerHealthRoutes(app, {
    readiness: createReadinessService({
      database,
      store: createHealthStore(),
      expectedMigrations: migrationNames(database.dialect),
      ...(options.readiness?.timeoutMs === undefined ? {} : { timeoutMs: options.readiness.timeoutMs }),
    }),
  });
  if (metrics) {
    registerPrometheusRoutes(app, { metrics, auth, token: options.metricsToken });
    registerScrapedMetrics(metrics, { database, jobs, updates, recorder });
  }
  r.get('/api/v1/openapi.json', {
    config: { public: true },
    schema: { hide: true },
    handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()),
  });

  registerPromptRoutes(app, { prompts });
  registerBranchRoutes(app, { branches });
  registerDeploymentRoutes(app, { deployments });
  registerSegmentRoutes(app, { segments });
  registerScheduleRoutes(app, { schedules });
  registerRequestRoutes(app, { requests });
  const lineage = createLineageService({ deployments, prompts, audit, now: () => clock.now() });
  registerResolutionRoutes(app, { resolution, lineage });
  registerLineageRoutes(app, { lineage });
  registerEnvironmentRoutes(app, { environments });
  registerApiKeyRoutes(app, { auth });
  registerMemberRoutes(app, { users });
  registerProjectRoutes(app, {
    projects: createProjectService({ database, clock, audit, users, environments, auth, security }),
    sessions,
  });
  registerAuditRoutes(app, { audit });
  registerSecurityRoutes(app, { security });
  registerLiveRoutes(app, { updates, snapshotOf });
  registerProviderRoutes(app, { providers });
  registerPlaygroundRoutes(app, { playground });
  registerDatasetRoutes(app, { datasets });
  const fromTraces = createTracesToDataset({ traces, datasets });
  registerTracesToDatasetRoute(app, { fromTraces });
  const annotation: AnnotationService = createAnnotationService({
    database,
    clock,
    audit,
    definitions: scoreDefinitions,
    traces,
    fromTraces,
    redactor: (projectId) => privacy.redactorFor(projectId),
    leaseSeconds: options.annotation?.leaseSeconds,
    jobs,
    sampleEverySeconds: options.annotation?.sampleEverySeconds,
  });
  registerScoreDefinitionRoutes(app, { definitions: scoreDefinitions });
  registerAnnotationRoutes(app, { annotation });
  registerEvalRoutes(app, { evals });
  registerRedteamRoutes(app, { redteam });
  registerReplayRoutes(app, {
    replays: createReplayService({ database, clock, deployments, prompts, fromTraces, evals }),
  });
  registerJobRoutes(app, { jobs });
  registerWebhookRoutes(app, { webhooks });
  registerPrivacyRoutes(app, { privacy });
  registerAlertRoutes(app, { alerts });
  registerOnlineEvalRoutes(app, { onlineEvals });
  registerNotificationRoutes(app, { notifications });
  registerMetricsRoutes(app, { metrics: rollups });
  registerRolloutRoutes(app, { rollouts, checks: rolloutChecks });
  registerPromotionRoutes(app, {
    promotions: createPromotionService({ database, clock, deployments, rollouts, alerts, requests }),
  });
  registerExperimentRoutes(app, {
    experiments: createExperimentService({ database, clock, audit, deployments, traces }),
  });
  registerSessionRoutes(app, { sessions });
  registerPeopleSignIn(app, {
    database,
    clock,
    audit,
    security,
    users,
    sessions,
    auth,
    projects: projectStore,
    oidc: options.oidc,
    passwords: options.passwords,
  });
  registerTraceRoutes(app, {
    traces,
    settings: createTraceSettingsService({ database, clock, audit }),
    tail: traceTail,
    feedback: createFeedbackTokens({ secretBox, clock, traces }),
  });
  registerOtelRoutes(app, { otel: createOtelService({ traces, metrics: metrics?.spans }) });
  const langfuseIngestion = createLangfuseIngestionService({ database, clock, traces });
  langfuseIngestion.register(jobs);
  registerLangfuseRoutes(app, {
    prompts: createLangfusePromptService({ prompts, deployments, environments }),
    ingestion: langfuseIngestion,
  });
  await registerGatewayRoutes(app, { gateway, budgets, routes: fallbackRoutes });
  registerPortabilityRoutes(app, {
    portability: createPortabilityService({ database, clock, audit, metrics: rollups }),
    projectName: async (projectId) =>
      (await projectStore.nameOf(database.db, projectId)) ?? String(projectId),
    isInstanceAdmin: async (userId) => (await users.get(userId)).instanceAdmin,
  });
  if (options.web !== false) await registerWebApp(app, { dist: options.web?.dist ?? defaultWebDist() });

  return app;
}
