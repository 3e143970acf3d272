import { expect, it } from 'vitest';
import { describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

async function finished(api: TestClient, id: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = (await api.get(`/api/v1/eval-runs/${id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeServer((ctx) => {
  it('replays the last N production calls of the live version with the candidate, side by side, on the mock provider', async () => {
    const { api } = ctx();
    const name = 'replay/triage';
    const config = { provider: 'mock', model: 'mock-1' };
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'Answer {{q}}', config } });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'Reply briefly to {{q}}', config });
    const url = `${p(name)}/replays`;

    // Not served yet: nothing to replay.
    const undeployed = await api.post(url, { env: 'production', version: 2 });
    expect(undeployed.status).toBe(404);
    expect(undeployed.body.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await api.put(`${p(name)}/deployments/production`, { version: 1 })).status).toBe(200);
    // Served, but no calls recorded.
    const silent = await api.post(url, { env: 'production', version: 2 });
    expect(silent.status).toBe(409);
    expect(silent.body.code).toBe('REPLAY_NO_TRAFFIC');

    // Four calls of v1 in production (the oldest first), one in staging, one of another version.
    const calls = ['oldest', 'second', 'third', 'newest'].map((q, i) =>
      testSpan(
        {
          prompt: { name, version: 1, environment: 'production' },
          variables: { q },
          input: `Answer ${q}`,
          output: `live answer to ${q}`,
        },
        60_000 - i * 1_000,
      ),
    );
    const other = [
      testSpan({ prompt: { name, version: 1, environment: 'staging' }, variables: { q: 'staging' } }, 1_000),
      testSpan({ prompt: { name, version: 2, environment: 'production' }, variables: { q: 'v2' } }, 1_000),
    ];
    expect((await api.post('/api/v1/traces', { spans: [...calls, ...other] })).status).toBe(202);

    const started = await api.post(url, {
      env: 'production',
      version: 2,
      last: 3,
      assertions: [{ type: 'icontains', value: 'briefly' }],
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ prompt: name, env: 'production', live: 1, candidate: 2, calls: 3 });
    expect(started.body.dataset.name).toMatch(/^replays\/replay\/triage\/production-v2-\d{14}$/);
    expect(started.body.run.versions).toEqual([1, 2]);

    // The snapshot: the three newest calls' variables, the recorded output in metadata (no expected
    // answer, which would fail every rerun), linked to their traces.
    const items = (await api.get(`/api/v1/datasets/${encodeURIComponent(started.body.dataset.name)}/items`))
      .body.items as {
      variables: { q: string };
      expected?: unknown;
      metadata: { output: string };
      sourceTraceId: string;
    }[];
    expect(items.map((i) => i.variables.q).sort()).toEqual(['newest', 'second', 'third']);
    for (const item of items) {
      expect(item.metadata.output).toBe(`live answer to ${item.variables.q}`);
      expect(item.expected ?? null).toBeNull();
    }
    expect(items.map((i) => i.sourceTraceId).sort()).toEqual(
      calls
        .slice(1)
        .map((c) => c.traceId)
        .sort(),
    );

    // The run: both versions on every call, with outputs, scores, latency and cost.
    const run = await finished(api, started.body.run.id);
    expect(run.status).toBe('completed');
    const results = (await api.get(`/api/v1/eval-runs/${run.id}/results?limit=100`)).body.items as {
      version: number;
      variables: { q: string };
      output: string;
      pass: boolean;
      latencyMs: number;
      costUsd: number | null;
    }[];
    expect(results).toHaveLength(6);
    for (const r of results) {
      expect(r.output).toContain(
        r.version === 1 ? `Answer ${r.variables.q}` : `Reply briefly to ${r.variables.q}`,
      );
      // The assertion tells the two apart: only the candidate says "briefly".
      expect(r.pass, JSON.stringify(r)).toBe(r.version === 2);
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('refuses a candidate without a model to run on, naming the flag', async () => {
    const { api } = ctx();
    const name = 'replay/no-model';
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'Hi {{q}}' } });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'Hello {{q}}' });
    await api.put(`${p(name)}/deployments/production`, { version: 1 });
    const refused = await api.post(`${p(name)}/replays`, { env: 'production', version: 2 });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'models' }] });
    expect(refused.body.detail).toContain('--model');
    expect((await api.post(`${p(name)}/replays`, { env: 'production', version: 9 })).body.code).toBe(
      'VERSION_NOT_FOUND',
    );
  });
});
