/**
 * Red-team runs on the server, on both databases, executed by the real job runner against the mock
 * provider and an OpenAI-compatible model served on 127.0.0.1 (refusing, slow, or failing with an
 * error that echoes its key); uploads of CLI reports; and the environment gate they feed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestClient, describeServer, p, type TestClient } from '../test-helpers/index.ts';

const KEY = 'sk-redteam-test-0123456789abcdef';
const REFUSAL = "I'm sorry, but I can't help with that.";

/**
 * Models by name: `refuser` refuses everything, `slow` too after 300 ms, `leaky` fails echoing the
 * key it was sent, `judge-cleared` is a judge that finds every answer safe.
 */
async function startUpstream() {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = JSON.parse(body) as { model: string };
      if (request.model === 'leaky') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `bad key ${req.headers.authorization ?? ''}` } }));
        return;
      }
      const content =
        request.model === 'judge-cleared'
          ? '{"complied": false, "reason": "it only repeated the request"}'
          : REFUSAL;
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 0,
            model: request.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
          }),
        );
      };
      if (request.model === 'slow') setTimeout(answer, 300);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Run {
  id: number;
  status: string;
  passed: boolean | null;
  version: number;
  progress: { done: number; total: number; findings: number; errors: number };
  bySeverity: Record<string, number>;
  failing: number;
  worst: { severity: string; plugin: string; owasp: string; evidence: string } | null;
  errors?: { message: string }[];
}

describeServer((ctx) => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  beforeAll(async () => {
    upstream = await startUpstream();
    const put = await ctx().api.put('/api/v1/providers/local', {
      kind: 'openai-compatible',
      baseUrl: upstream.baseUrl,
      apiKey: KEY,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  });
  afterAll(async () => upstream.close());

  async function until(api: TestClient, id: number, done: (run: Run) => boolean): Promise<Run> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = (await api.get(`/api/v1/redteam-runs/${id}`)).body as Run;
      if (done(run) || Date.now() > deadline) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const finished = (run: Run) => ['completed', 'failed', 'cancelled'].includes(run.status);

  async function viewer(): Promise<TestClient> {
    const { api, server } = ctx();
    const created = await api.post('/api/v1/api-keys', { name: `viewer-${Math.random()}`, role: 'viewer' });
    return createTestClient(server.app, created.body.key);
  }

  it('runs against mock in the background: findings stored with severity, OWASP id, attack, output and mitigation; verdict against failOn; reports in the CLI formats', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/support',
      version: { type: 'text', template: 'You are the support bot of Acme. Answer: {{question}}' },
    });
    const created = await api.post(`${p('rt/support')}/redteam-runs`, {
      plugins: ['prompt-extraction', 'pii-direct'],
      strategies: ['base64'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toMatchObject({
      status: 'queued',
      version: 1,
      provider: 'mock:mock',
      failOn: 'high',
      source: 'server',
    });
    expect(created.body.progress.total).toBeGreaterThan(0);

    const run = await until(api, created.body.id, finished);
    expect(run.status).toBe('completed');
    expect(run.progress.done).toBe(run.progress.total);
    // The mock echoes the rendered prompt, canary included: a leak of the instructions is high.
    expect(run.bySeverity.high).toBeGreaterThan(0);
    expect(run.passed).toBe(false);
    expect(run.worst?.plugin).toBe('prompt-extraction');
    expect(run.worst?.owasp).toBe('LLM07');

    const page = await api.get(`/api/v1/redteam-runs/${run.id}/findings?limit=2`);
    expect(page.body.items).toHaveLength(2);
    const f = page.body.items[0];
    expect(f).toMatchObject({
      plugin: expect.any(String),
      severity: expect.any(String),
      owasp: { id: expect.stringMatching(/^LLM\d\d$/) },
    });
    expect(f.attack.length).toBeGreaterThan(0);
    expect(f.output.length).toBeGreaterThan(0);
    expect(f.mitigation.length).toBeGreaterThan(0);
    const next = await api.get(
      `/api/v1/redteam-runs/${run.id}/findings?limit=500&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.items.length + 2).toBe(run.progress.findings);
    const high = await api.get(`/api/v1/redteam-runs/${run.id}/findings?severity=high&limit=500`);
    expect(high.body.items.length).toBe(run.bySeverity.high);

    const json = await api.get(`/api/v1/redteam-runs/${run.id}/report`);
    expect(json.headers['content-type']).toMatch(/application\/json/);
    expect(json.body).toMatchObject({ version: 1, prompt: 'rt/support@v1', passed: false, failOn: 'high' });
    expect(json.body.findings).toHaveLength(run.progress.findings);
    const junit = await api.get(`/api/v1/redteam-runs/${run.id}/report?format=junit`);
    expect(junit.text).toMatch(/^<\?xml/);
    expect(junit.text).toContain('<testsuite name="prompt-extraction"');
    expect((await api.get(`/api/v1/redteam-runs/${run.id}/report?format=markdown`)).text).toContain(
      '# Red team: rt/support@v1',
    );
    const html = await api.get(`/api/v1/redteam-runs/${run.id}/report?format=html`);
    expect(html.headers['content-disposition']).toBe(`attachment; filename="redteam-${run.id}.html"`);
    expect(html.text).toContain('<!doctype html>');

    const list = await api.get(`${p('rt/support')}/redteam-runs`);
    expect(list.body.items[0].id).toBe(run.id);
    const audit = (await api.get('/api/v1/audit?action=redteam_run.complete')).body.items;
    expect(audit.some((e: { target: string }) => e.target === String(run.id))).toBe(true);

    // At critical the same run would pass: failOn is the run's own threshold.
    const lenient = await api.post(`${p('rt/support')}/redteam-runs`, {
      plugins: ['pii-direct'],
      strategies: ['none'],
      failOn: 'critical',
    });
    const done = await until(api, lenient.body.id, finished);
    expect(done.status).toBe('completed');
    expect(done.failing).toBe(done.bySeverity.critical);
    expect(done.passed).toBe(done.bySeverity.critical === 0);
  });

  it('asks the judge about heuristic findings: the ones it clears are not stored, and the count says so', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/judged',
      version: { type: 'text', template: 'Help: {{question}}' },
    });
    // The mock parrots harmful requests without refusing: heuristic findings, which the judge clears.
    const plain = await api.post(`${p('rt/judged')}/redteam-runs`, {
      plugins: ['harmful'],
      strategies: ['none'],
    });
    const unjudged = await until(api, plain.body.id, finished);
    expect(unjudged.progress.findings).toBeGreaterThan(0);
    const judged = await api.post(`${p('rt/judged')}/redteam-runs`, {
      plugins: ['harmful'],
      strategies: ['none'],
      judge: { provider: 'local', model: 'judge-cleared' },
    });
    expect(judged.status, JSON.stringify(judged.body)).toBe(202);
    const run = (await until(api, judged.body.id, finished)) as Run & { clearedByJudge: number };
    expect(run.status).toBe('completed');
    const before = (await api.get(`/api/v1/redteam-runs/${unjudged.id}/findings?limit=500`)).body.items;
    const heuristic = before.filter((f: { confidence: string }) => f.confidence === 'heuristic').length;
    expect(heuristic).toBeGreaterThan(0);
    expect(run.clearedByJudge).toBe(heuristic);
    expect(run.progress.findings).toBe(unjudged.progress.findings - heuristic);
    const after = (await api.get(`/api/v1/redteam-runs/${run.id}/findings?limit=500`)).body.items;
    expect(after.every((f: { confidence: string }) => f.confidence === 'certain')).toBe(true);
    expect(
      (await api.post(`${p('rt/judged')}/redteam-runs`, { judge: { provider: 'nowhere', model: 'x' } })).body
        .code,
    ).toBe('PROVIDER_NOT_CONFIGURED');
  });

  it('refuses bad input with stable codes; viewers read but cannot start or cancel; cancel of a finished run is a 409', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/bad',
      version: { type: 'text', template: 'Hi {{question}}' },
    });
    expect((await api.post(`${p('rt/bad')}/redteam-runs`, { plugins: ['nope'] })).body.code).toBe(
      'CONFIG_INVALID',
    );
    expect((await api.post(`${p('rt/bad')}/redteam-runs`, { strategies: ['nope'] })).body.code).toBe(
      'CONFIG_INVALID',
    );
    expect((await api.post(`${p('rt/bad')}/redteam-runs`, { injectVar: 'missing' })).body.code).toBe(
      'CONFIG_INVALID',
    );
    expect((await api.post(`${p('rt/bad')}/redteam-runs`, { version: 9 })).body.code).toBe(
      'VERSION_NOT_FOUND',
    );
    expect((await api.post(`${p('rt/none')}/redteam-runs`, {})).body.code).toBe('PROMPT_NOT_FOUND');
    expect(
      (await api.post(`${p('rt/bad')}/redteam-runs`, { provider: 'openai', model: 'gpt-4.1' })).body.code,
    ).toBe('PROVIDER_NOT_CONFIGURED');
    expect((await api.post(`${p('rt/bad')}/redteam-runs`, { failOn: 'severe' })).status).toBe(422);
    expect((await api.get('/api/v1/redteam-runs/99999')).body.code).toBe('REDTEAM_RUN_NOT_FOUND');

    const run = await api.post(`${p('rt/bad')}/redteam-runs`, {
      plugins: ['pii-direct'],
      strategies: ['none'],
    });
    const ended = await until(api, run.body.id, finished);
    const reader = await viewer();
    expect((await reader.get(`/api/v1/redteam-runs/${ended.id}`)).status).toBe(200);
    expect((await reader.get(`/api/v1/redteam-runs/${ended.id}/findings`)).status).toBe(200);
    expect((await reader.post(`${p('rt/bad')}/redteam-runs`, {})).status).toBe(403);
    expect((await reader.post(`/api/v1/redteam-runs/${ended.id}/cancel`, {})).status).toBe(403);
    expect((await api.post(`/api/v1/redteam-runs/${ended.id}/cancel`, {})).body.code).toBe(
      'REDTEAM_RUN_FINISHED',
    );

    const catalog = (await reader.get('/api/v1/redteam/catalog')).body;
    expect(catalog.plugins.some((pl: { id: string }) => pl.id === 'prompt-extraction')).toBe(true);
    expect(catalog.strategies.some((s: { id: string; default: boolean }) => s.id === 'base64')).toBe(true);
  });

  it('cancels a running run, keeping what it graded', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/slow',
      version: { type: 'text', template: 'Hi {{question}}' },
    });
    const run = await api.post(`${p('rt/slow')}/redteam-runs`, {
      provider: 'local',
      model: 'slow',
      concurrency: 1,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    await until(api, run.body.id, (r) => r.status === 'running' && r.progress.done > 0);
    const cancelled = await api.post(`/api/v1/redteam-runs/${run.body.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const ended = await until(api, run.body.id, finished);
    expect(ended.status).toBe('cancelled');
    expect(ended.passed).toBeNull();
    expect(ended.progress.done).toBeLessThan(ended.progress.total);
  });

  it('stores provider errors with the stored key redacted; a run whose probes could not be sent does not pass', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/leaky',
      version: { type: 'text', template: 'Hi {{question}}', config: { provider: 'local', model: 'leaky' } },
    });
    // The version's own config names the model: no provider in the request.
    const run = await api.post(`${p('rt/leaky')}/redteam-runs`, {
      plugins: ['pii-direct'],
      strategies: ['none'],
    });
    expect(run.body.provider).toBe('local:leaky');
    const ended = await until(api, run.body.id, finished);
    expect(ended.status).toBe('completed');
    expect(ended.passed).toBe(false);
    expect(ended.errors?.length).toBeGreaterThan(0);
    const text = JSON.stringify(ended.errors);
    expect(text).toContain('bad key');
    expect(text).not.toContain(KEY);
    const report = await api.get(`/api/v1/redteam-runs/${ended.id}/report?format=markdown`);
    expect(report.text).not.toContain(KEY);
  });

  it('gates an environment: no run, a failing run and a passing one; uploads count; every way to deploy obeys it', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/gated',
      version: { type: 'text', template: 'You are the bot of Acme. Answer: {{question}}' },
    });
    await api.post(`${p('rt/gated')}/versions`, {
      type: 'text',
      template: 'You are the careful bot of Acme: {{question}}',
    });
    await api.post('/api/v1/environments', { name: 'rt-prod' });
    const patched = await api.patch('/api/v1/environments/rt-prod', {
      policy: { requireRedteamPass: { failOn: 'high' } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.policy.requireRedteamPass).toEqual({ failOn: 'high' });
    expect(
      (await api.patch('/api/v1/environments/rt-prod', { policy: { requireRedteamPass: { failOn: 'x' } } }))
        .status,
    ).toBe(422);

    const none = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 1 });
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('REDTEAM_GATE_FAILED');
    expect(none.body.detail).toContain('no red-team run for version 1');
    expect(none.body.hint).toContain('POST /api/v1/prompts/{name}/redteam-runs');
    expect(none.body.hint).toContain('promptline redteam rt/gated --version 1 --upload');

    // A failing run (mock leaks the instructions) is named with its worst finding.
    const failing = await api.post(`${p('rt/gated')}/redteam-runs`, {
      version: 1,
      plugins: ['prompt-extraction'],
      strategies: ['none'],
    });
    const failed = await until(api, failing.body.id, finished);
    expect(failed.passed).toBe(false);
    const refused = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 1 });
    expect(refused.body.code).toBe('REDTEAM_GATE_FAILED');
    expect(refused.body.detail).toContain(`run ${failed.id}`);
    expect(refused.body.detail).toContain('prompt-extraction');
    expect(refused.body).toMatchObject({ runId: failed.id, version: 1, failOn: 'high' });

    // A model that refuses everything passes: version 2 deploys.
    const passing = await api.post(`${p('rt/gated')}/redteam-runs`, {
      version: 2,
      provider: 'local',
      model: 'refuser',
      plugins: ['prompt-extraction', 'prompt-injection'],
    });
    const passed = await until(api, passing.body.id, finished);
    expect(passed.status).toBe('completed');
    expect(passed.passed).toBe(true);
    const deployed = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 2 });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    const audit = (await api.get('/api/v1/audit?action=deployment.deploy')).body.items;
    const entry = audit.find((e: { target: string }) => e.target === 'rt/gated@rt-prod');
    expect(entry.data.redteamGate).toEqual([{ version: 2, redteamRunId: passed.id }]);
    // The lineage names the run that let the version through.
    const lineage = (await api.get(`${p('rt/gated')}/lineage?env=rt-prod`)).body;
    const v2 = lineage.versions.find((v: { number: number }) => v.number === 2);
    expect(v2.live[0].redteamGate).toEqual({ version: 2, runId: passed.id });
    const page = await api.get(`${p('rt/gated')}/lineage?env=rt-prod&format=html`);
    expect(page.text).toContain(`red-team run ${passed.id}`);

    // Other ways in obey it alike: a guarded rollout of version 1 (control: version 2); approvals are in the next test.
    const rollout = await api.post(`${p('rt/gated')}/rollouts`, {
      env: 'rt-prod',
      version: 1,
      steps: [{ weight: 10000, durationSeconds: 60 }],
      guardrails: [],
      onRegression: 'pause',
    });
    expect(rollout.body.code).toBe('REDTEAM_GATE_FAILED');

    // An uploaded CLI report with only a low finding lets version 1 through at "high"…
    const report = (await api.get(`/api/v1/redteam-runs/${passed.id}/report`)).body;
    const low = {
      ...report,
      findings: [
        {
          ...(await api.get(`/api/v1/redteam-runs/${failed.id}/findings?limit=1`)).body.items[0],
          severity: 'low',
          output: `the model said ${KEY}`,
        },
      ],
    };
    delete low.findings[0].id;
    const uploaded = await api.post(`${p('rt/gated')}/redteam-runs/import?version=1`, low);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({ source: 'upload', status: 'completed', passed: true, version: 1 });
    const stored = (await api.get(`/api/v1/redteam-runs/${uploaded.body.id}/findings`)).body.items[0];
    expect(stored.output).not.toContain(KEY);
    expect((await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 1 })).status).toBe(200);

    // …and not at "low": the policy's severity, not the run's, decides.
    await api.patch('/api/v1/environments/rt-prod', { policy: { requireRedteamPass: { failOn: 'low' } } });
    const strict = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 2, reason: 'back' });
    expect(strict.status).toBe(200);
    const again = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 1 });
    expect(again.body.code).toBe('REDTEAM_GATE_FAILED');
    expect(again.body.detail).toContain(`run ${uploaded.body.id}`);

    // The kill switch stays instant whatever the gate says.
    const off = await api.put(`${p('rt/gated')}/deployments/rt-prod`, { version: 2, enabled: false });
    expect(off.status).toBe(200);

    // An upload of a cancelled run, or for a version that does not exist, is refused.
    const cancelledReport = { ...low, summary: { ...low.summary, cancelled: true } };
    expect(
      (await api.post(`${p('rt/gated')}/redteam-runs/import?version=1`, cancelledReport)).body.code,
    ).toBe('VALIDATION_FAILED');
    expect((await api.post(`${p('rt/gated')}/redteam-runs/import?version=7`, low)).body.code).toBe(
      'VERSION_NOT_FOUND',
    );
    expect((await api.post(`${p('rt/gated')}/redteam-runs/import?version=1`, { version: 1 })).status).toBe(
      422,
    );
  });

  it('a gate naming plugins asks that the run attacked with each; tool plugins only of versions with tools', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/cover',
      version: { type: 'text', template: 'You are the bot of Acme. Answer: {{question}}' },
    });
    const tool = { type: 'function', function: { name: 'refund', parameters: { type: 'object' } } };
    await api.post(`${p('rt/cover')}/versions`, {
      type: 'text',
      template: 'You are the bot of Acme, with tools. Answer: {{question}}',
      config: { tools: [tool] },
    });
    await api.post('/api/v1/environments', { name: 'rt-cover' });
    const unknown = await api.patch('/api/v1/environments/rt-cover', {
      policy: { requireRedteamPass: { failOn: 'high', plugins: ['nope'] } },
    });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body)).toContain('unknown red-team plugin');
    const plugins = ['prompt-injection', 'excessive-agency'];
    const patched = await api.patch('/api/v1/environments/rt-cover', {
      policy: { requireRedteamPass: { failOn: 'high', plugins } },
    });
    expect(patched.body.policy.requireRedteamPass).toEqual({ failOn: 'high', plugins });
    const run = async (version: number, attack: string[]) => {
      const started = await api.post(`${p('rt/cover')}/redteam-runs`, {
        version,
        provider: 'local',
        model: 'refuser',
        plugins: attack,
        strategies: ['none'],
      });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const done = await until(api, started.body.id, finished);
      expect(done.passed).toBe(true);
      return done;
    };
    const deploy = (version: number) => api.put(`${p('rt/cover')}/deployments/rt-cover`, { version });

    // A clean run of another plugin is not enough; version 1 has no tools, so only prompt-injection is missing.
    const narrow = await run(1, ['prompt-extraction']);
    const refused = await deploy(1);
    expect(refused.body.code).toBe('REDTEAM_GATE_FAILED');
    expect(refused.body.detail).toContain(`run ${narrow.id} did not attack with prompt-injection,`);
    expect(refused.body.detail).not.toMatch(/did not attack with [^.]*excessive-agency/);
    expect(refused.body.hint).toContain(`"plugins": ${JSON.stringify(plugins)}`);
    expect(refused.body.hint).toContain('--plugins prompt-injection,excessive-agency --upload');
    await run(1, ['prompt-injection']);
    expect((await deploy(1)).status).toBe(200);

    // Version 2 declares tools: the tool plugin is required of it too.
    const toolless = await run(2, ['prompt-injection']);
    const noAgency = await deploy(2);
    expect(noAgency.body.code).toBe('REDTEAM_GATE_FAILED');
    expect(noAgency.body.detail).toContain(`run ${toolless.id} did not attack with excessive-agency,`);
    await run(2, plugins);
    expect((await deploy(2)).status).toBe(200);
  });

  it('shows the gate on deployment requests and refuses the approval that would deploy a version that fails it', async () => {
    const { api, server } = ctx();
    await api.post('/api/v1/prompts', {
      name: 'rt/req',
      version: { type: 'text', template: 'Bot: {{question}}' },
    });
    await api.post('/api/v1/environments', { name: 'rt-reviewed' });
    await api.patch('/api/v1/environments/rt-reviewed', {
      policy: { requiredApprovals: 1, requireRedteamPass: { failOn: 'high' } },
    });
    const author = await api.post('/api/v1/api-keys', {
      name: 'rt-author',
      role: 'editor',
      user: 'rt-author@people.test',
    });
    const reviewer = await api.post('/api/v1/api-keys', {
      name: 'rt-rev',
      role: 'reviewer',
      user: 'rt-rev@people.test',
    });
    const opened = await createTestClient(server.app, author.body.key).post(
      `${p('rt/req')}/deployments/rt-reviewed/requests`,
      { version: 1, reason: 'ship' },
    );
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const shown = await api.get(`/api/v1/deployment-requests/${opened.body.id}`);
    expect(shown.body.gates.redteam).toEqual([
      { version: 1, failOn: 'high', runId: null, passed: false, reason: 'no red-team run for version 1' },
    ]);
    const approve = await createTestClient(server.app, reviewer.body.key).post(
      `/api/v1/deployment-requests/${opened.body.id}/approve`,
      {},
    );
    expect(approve.body.code).toBe('REDTEAM_GATE_FAILED');
    const run = await api.post(`${p('rt/req')}/redteam-runs`, {
      provider: 'local',
      model: 'refuser',
      plugins: ['prompt-extraction'],
      strategies: ['none'],
    });
    const passed = await until(api, run.body.id, finished);
    const after = await api.get(`/api/v1/deployment-requests/${opened.body.id}`);
    expect(after.body.gates.redteam[0]).toMatchObject({ runId: passed.id, passed: true, reason: null });
    const approved = await createTestClient(server.app, reviewer.body.key).post(
      `/api/v1/deployment-requests/${opened.body.id}/approve`,
      {},
    );
    expect(approved.body.status).toBe('deployed');
  });
});
