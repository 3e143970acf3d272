/**
 * Shared by the export/import tests: a project with something in every exported table, made
 * through the API, and a canonical dump of a project read straight from the database.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Db } from '../../db/database.ts';
import type { TestClient } from '../../test-helpers/index.ts';
import { p } from '../../test-helpers/index.ts';
import { testSpan } from '../../traces/test-spans.ts';
import { EXPORTED_TABLES, REFERENCED_TABLES } from '../tables.ts';

const d = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

async function ok(response: Promise<{ status: number; body: unknown }>, what: string) {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as Record<string, unknown>;
}

async function waitForRun(api: TestClient, id: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await api.get(`/api/v1/eval-runs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Prompts, versions, deployments with a rollback, environments, a dataset with revisions, eval runs, traces… */
export async function seedProject(api: TestClient): Promise<void> {
  await ok(
    api.post('/api/v1/prompts', {
      name: 'shared/footer',
      version: { type: 'text', template: 'Thanks, {{team}}.' },
    }),
    'footer',
  );
  await ok(
    api.post('/api/v1/prompts', {
      name: 'support/triage',
      description: 'routes tickets',
      tags: ['support'],
      version: { type: 'text', template: 'Triage: {{ticket}}\n{{> shared/footer}}', message: 'first' },
    }),
    'triage',
  );
  for (const template of [
    'Triage this: {{ticket}}\n{{> shared/footer}}',
    'Classify: {{ticket}}\n{{> shared/footer}}',
  ]) {
    await ok(api.post(`${p('support/triage')}/versions`, { type: 'text', template }), 'version');
  }
  await ok(
    api.post('/api/v1/prompts', {
      name: 'chat/helper',
      version: {
        type: 'chat',
        messages: [
          { role: 'system', content: 'You help with {{topic}}. Ünïcödé ✓' },
          { role: 'user', content: '{{question}}' },
        ],
        config: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
      },
    }),
    'chat',
  );
  await ok(api.patch('/api/v1/environments/staging', { description: 'pre-production' }), 'env');
  await ok(api.post('/api/v1/environments', { name: 'qa', description: 'testing' }), 'qa');
  for (const env of ['staging', 'production']) {
    await ok(api.put(`${p('shared/footer')}/deployments/${env}`, { version: 1 }), 'deploy footer');
  }
  await ok(api.put(`${p('support/triage')}/deployments/staging`, { version: 3, reason: 'try' }), 'deploy');
  await ok(api.put(`${p('support/triage')}/deployments/production`, { version: 1 }), 'deploy');
  await ok(
    api.put(`${p('support/triage')}/deployments/production`, {
      variants: [
        { version: 2, weight: 2_500 },
        { version: 1, weight: 7_500 },
      ],
      reason: 'rollout',
    }),
    'split',
  );
  await ok(api.put(`${p('support/triage')}/deployments/production`, { version: 3 }), 'deploy 3');
  await ok(api.post(`${p('support/triage')}/deployments/production/rollback`, { reason: 'bad' }), 'rollback');
  // Targeting: a segment, and a release whose rules name it (history and live rows carry it).
  await ok(api.put('/api/v1/segments/internal', { units: ['staff-1'], description: 'staff' }), 'segment');
  await ok(
    api.put(`${p('chat/helper')}/deployments/production`, {
      version: 1,
      targeting: {
        rules: [{ when: { segment: 'internal' }, version: 1 }],
        pins: [{ unit: 'u', version: 1 }],
      },
    }),
    'deploy with targeting',
  );
  await ok(
    api.post(`${p('chat/helper')}/deployments/staging/schedule`, { version: 1, at: '2099-01-01T00:00:00Z' }),
    'scheduled release',
  );
  // A deployment request approved by another key: requests, decisions and a history entry naming them.
  const opened = await ok(
    api.post(`${p('support/triage')}/deployments/staging/requests`, { version: 2, reason: 'review me' }),
    'deployment request',
  );
  const reviewer = await ok(
    api.post('/api/v1/api-keys', { name: 'reviewer', role: 'editor', user: 'reviewer@people.test' }),
    'reviewer key',
  );
  await ok(
    api.post(
      `/api/v1/deployment-requests/${String(opened.id)}/approve`,
      { comment: 'fine' },
      { authorization: `Bearer ${String(reviewer.key)}` },
    ),
    'approve',
  );

  // A guarded rollout in qa, aborted: the rollout, its events, a guardrail check and the history entries it made.
  await ok(api.put(`${p('shared/footer')}/deployments/qa`, { version: 1 }), 'deploy footer qa');
  await ok(api.put(`${p('support/triage')}/deployments/qa`, { version: 1 }), 'deploy qa');
  const rollout = await ok(
    api.post(`${p('support/triage')}/rollouts`, {
      env: 'qa',
      version: 2,
      steps: [{ weight: 1000, durationSeconds: 3600 }],
      guardrails: [{ metric: 'errorRate', maxRegression: 0.1 }],
    }),
    'rollout',
  );
  // One guardrail check recorded first (the seeding server checks every second).
  const checkDeadline = Date.now() + 10_000;
  for (;;) {
    const checks = await ok(api.get(`/api/v1/rollouts/${String(rollout.id)}/checks`), 'rollout checks');
    const [first] = checks.guardrails as { points: unknown[] }[];
    if ((first?.points.length ?? 0) > 0) break;
    if (Date.now() > checkDeadline) throw new Error('no rollout check was recorded within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  await ok(api.post(`/api/v1/rollouts/${String(rollout.id)}/abort`, { reason: 'seeded' }), 'abort rollout');
  // An experiment in qa, stopped with its control shipped.
  const experiment = await ok(
    api.post(`${p('support/triage')}/experiments`, {
      env: 'qa',
      variants: [
        { version: 1, weight: 5_000 },
        { version: 2, weight: 5_000 },
      ],
      metric: 'errorRate',
    }),
    'experiment',
  );
  await ok(api.post(`/api/v1/experiments/${String(experiment.id)}/stop`, { ship: 1 }), 'stop experiment');

  await ok(
    api.post('/api/v1/datasets', {
      name: 'tickets',
      items: [
        { variables: { ticket: 'refund please', team: 'billing' }, expected: 'billing' },
        { variables: { ticket: 'app crashes', team: 'tech' }, expected: 'tech' },
        { variables: { ticket: 'hello', team: 'support' } },
      ],
    }),
    'dataset',
  );
  await ok(api.patch(`${d('tickets')}/items/2`, { expected: 'engineering' }), 'item edit');
  await ok(api.put(`${p('support/triage')}/thresholds`, { minPassRate: 0.5 }), 'thresholds');
  const run = await ok(
    api.post('/api/v1/eval-runs', {
      prompt: 'support/triage',
      versions: [1, 3],
      dataset: 'tickets',
      models: [{ provider: 'mock', model: 'echo' }],
    }),
    'run',
  );
  const first = await waitForRun(api, Number(run.id));
  expect(first.status).toBe('completed');
  const second = await ok(
    api.post('/api/v1/eval-runs', {
      prompt: 'support/triage',
      versions: [3],
      dataset: 'tickets',
      models: [{ provider: 'mock', model: 'echo' }],
      baseline: first.id,
    }),
    'run 2',
  );
  expect((await waitForRun(api, Number(second.id))).status).toBe('completed');
  const redteam = await ok(
    api.post(`${p('support/triage')}/redteam-runs`, {
      version: 3,
      strategies: ['none'],
    }),
    'red-team run',
  );
  for (let i = 0; i < 300; i++) {
    const rt = await api.get(`/api/v1/redteam-runs/${String(redteam.id)}`);
    if (rt.body.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }

  await ok(
    api.put('/api/v1/prices', { items: [{ provider: '*', pattern: 'echo*', input: 1, output: 2 }] }),
    'prices',
  );
  await ok(api.put('/api/v1/traces/settings', { spanRetentionDays: 14 }), 'trace settings');
  await ok(api.put('/api/v1/metrics/settings', { rollupRetentionDays: 200 }), 'metric settings');
  await ok(
    api.put('/api/v1/privacy/redaction', {
      enabled: false,
      detectors: ['email', 'card'],
      customPatterns: [{ name: 'ticket', pattern: 'TCK-\\d+' }],
    }),
    'privacy settings',
  );
  await ok(
    api.put('/api/v1/gateway/routes', { model: 'openai/gpt-4o', fallbacks: ['mock/echo'], timeoutMs: 5_000 }),
    'gateway route',
  );
  const linked = (ago: number, status: 'ok' | 'error' = 'ok') =>
    testSpan(
      {
        prompt: { name: 'support/triage', version: 3, environment: 'production', variant: 0 },
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { input: 120, output: 30 },
        status,
        userId: 'user-7',
        attributes: { 'ticket.kind': 'refund' },
      },
      ago,
    );
  // Now, 3 hours ago (rolled up into hours) and one error.
  const spans = [linked(60_000), linked(3 * 3_600_000), linked(120_000, 'error')];
  await ok(api.post('/api/v1/traces', { spans }), 'traces');
  const [span, old] = spans;
  if (!span || !old) throw new Error('no span');
  await ok(
    api.post('/api/v1/scores', { traceId: old.traceId, spanId: old.spanId, name: 'helpful', value: 0.3 }),
    'old score',
  );
  await ok(
    api.post('/api/v1/scores', { traceId: span.traceId, spanId: span.spanId, name: 'helpful', value: 0.8 }),
    'score',
  );
  await ok(api.post('/api/v1/scores', { traceId: span.traceId, name: 'label', value: 'good' }), 'score 2');
  // Human review: definitions, a queue of the three traces, one item completed (human scores), one skipped.
  await ok(
    api.post('/api/v1/score-definitions', { name: 'correct', dataType: 'numeric', min: 0, max: 1 }),
    'definition',
  );
  await ok(
    api.post('/api/v1/score-definitions', {
      name: 'tone',
      dataType: 'categorical',
      categories: ['ok', 'rude'],
    }),
    'definition 2',
  );
  const queue = await ok(
    api.post('/api/v1/annotation-queues', {
      name: 'weekly',
      scoreDefinitions: ['correct', 'tone'],
      assignees: [],
    }),
    'queue',
  );
  await ok(
    api.post(`/api/v1/annotation-queues/${String(queue.id)}/items`, {
      traces: spans.map((s) => ({ traceId: s.traceId })),
    }),
    'queue items',
  );
  for (const step of ['complete', 'skip'] as const) {
    const next = (await ok(api.get(`/api/v1/annotation-queues/${String(queue.id)}/next`), 'next')).item as {
      id: number;
    };
    await ok(
      api.post(
        `/api/v1/annotation-queues/${String(queue.id)}/items/${next.id}/${step}`,
        step === 'complete'
          ? {
              scores: [
                { name: 'correct', value: 1 },
                { name: 'tone', value: 'ok' },
              ],
              comment: 'fine',
            }
          : undefined,
      ),
      step,
    );
  }
  // A branch with a version of its own, merged back: branch rows, `versions.branch` and a merge's second parent travel.
  await ok(api.post(`${p('chat/helper')}/branches`, { name: 'exp/brief' }), 'branch');
  await ok(
    api.post(`${p('chat/helper')}/versions`, {
      type: 'chat',
      messages: [
        { role: 'system', content: 'You help with {{topic}}, briefly. Ünïcödé ✓' },
        { role: 'user', content: '{{question}}' },
      ],
      config: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
      branch: 'exp/brief',
    }),
    'branch version',
  );
  await ok(api.post(`${p('chat/helper')}/merges`, { branch: 'exp/brief' }), 'merge');
  // An online evaluation, after the spans and switched off: nothing is graded while the test exports.
  await ok(
    api.post(`${p('support/triage')}/online-evals`, {
      name: 'triage-quality',
      environment: 'production',
      version: 3,
      samplingRate: 0.2,
      assertions: [
        { type: 'icontains', value: 'billing', metric: 'mentions_billing' },
        { type: 'llm-rubric', value: 'Routes the ticket to one team' },
      ],
      judge: { provider: 'mock', model: 'judge' },
      dailyBudgetUsd: 2.5,
      enabled: false,
    }),
    'online eval',
  );
}

type Dumped = Record<string, unknown>;

/**
 * Every exported table of the project as plain rows, read with SQL of its own: surrogate ids
 * replaced by the row's position in its table (and references by the referred row's position), the
 * project id left out, numbers as numbers. Two projects holding the same content dump equal,
 * whatever database and ids they have. `auditRows` limits the audit chain to its first rows.
 */
export async function canonicalDump(
  db: Db,
  projectId: number,
  auditRows?: number,
): Promise<Record<string, Dumped[]>> {
  const positions = new Map<string, Map<number, number>>();
  const dump: Record<string, Dumped[]> = {};
  for (const spec of EXPORTED_TABLES) {
    const scope =
      'parent' in spec.scope
        ? sql`${sql.ref(spec.scope.column)} in (select id from ${sql.table(spec.scope.parent)} where project_id = ${projectId})`
        : sql`project_id = ${projectId}`;
    const order = sql.join(spec.key.map((k) => sql.ref(k)));
    const rows = (
      await sql<Dumped>`select * from ${sql.table(spec.table)} where ${scope} order by ${order}`.execute(db)
    ).rows;
    const own = new Map<number, number>();
    const out: Dumped[] = [];
    rows.forEach((row, index) => {
      const copy: Dumped = {};
      for (const [key, value] of Object.entries(row)) {
        if (key === 'project_id') continue;
        copy[key] = typeof value === 'bigint' ? Number(value) : value;
      }
      if (spec.generatedId) {
        own.set(Number(row.id), index);
        copy.id = index;
      }
      for (const [column, table] of Object.entries(spec.refs ?? {})) {
        const value = row[column];
        if (value !== null && value !== undefined)
          copy[column] = positions.get(table)?.get(Number(value)) ?? `missing ${value}`;
      }
      out.push(copy);
    });
    if (REFERENCED_TABLES.has(spec.table)) positions.set(spec.table, own);
    dump[spec.table] = spec.audit && auditRows !== undefined ? out.slice(0, auditRows) : out;
  }
  return normaliseNumbers(dump);
}

/** PostgreSQL hands bigint columns over as text: compare them as numbers. */
function normaliseNumbers(dump: Record<string, Dumped[]>): Record<string, Dumped[]> {
  const numeric = /^-?\d+(\.\d+)?$/;
  const bigintColumns = new Set([
    'start_ms',
    'end_ms',
    'root_start_ms',
    'span_count',
    'error_count',
    'input_tokens',
    'output_tokens',
    'cached_input_tokens',
    'reasoning_tokens',
    'span_start_ms',
    'cached_tokens',
    'lease_until_ms',
    'sampled_until_ms',
  ]);
  for (const rows of Object.values(dump)) {
    for (const row of rows) {
      for (const [key, value] of Object.entries(row)) {
        if (bigintColumns.has(key) && typeof value === 'string' && numeric.test(value))
          row[key] = Number(value);
      }
    }
  }
  return dump;
}
