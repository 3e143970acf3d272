/**
 * Output contracts on production spans: checked at ingest against the version's contract, stored on
 * the span (trace page), counted per version in the rollups (metrics API), usable by alert rules
 * and rollout guardrails.
 */
import type { OutputContract } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { eventually } from '../webhooks/test-receiver.ts';
import { createSpanContractChecker, outputText } from './contracts.ts';
import { testSpan } from './test-spans.ts';

const JSON_CONTRACT: OutputContract = {
  format: 'json',
  schema: { type: 'object', required: ['queue'], properties: { queue: { type: 'string' } } },
};

async function promptWithContract(api: TestClient, name: string, versions = 1) {
  const version = (template: string) => ({
    type: 'text',
    template,
    config: { provider: 'mock', model: 'mock-1', output: JSON_CONTRACT },
  });
  expect((await api.post('/api/v1/prompts', { name, version: version('Route: {{ticket}}') })).status).toBe(
    201,
  );
  for (let v = 2; v <= versions; v++) {
    const created = await api.post(`${p(name)}/versions`, version(`Route (v${v}): {{ticket}}`));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
}

async function ingest(api: TestClient, spans: unknown[]) {
  const answer = await api.post('/api/v1/traces', { spans });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

describe('outputText', () => {
  it('reads a string, a chat message, the last of a message list, OTel text parts, and other JSON as JSON text', () => {
    expect(outputText('plain')).toBe('plain');
    expect(outputText({ role: 'assistant', content: '{"queue":"a"}' })).toBe('{"queue":"a"}');
    expect(outputText([{ role: 'user', content: 'q' }, { content: 'answer' }])).toBe('answer');
    expect(
      outputText([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: 'a' },
            { type: 'text', content: 'b' },
          ],
        },
      ]),
    ).toBe('ab');
    expect(outputText({ queue: 'billing' })).toBe('{"queue":"billing"}');
    expect(outputText(null)).toBeNull();
    expect(outputText([])).toBeNull();
  });
});

describe('createSpanContractChecker', () => {
  it('looks each distinct version up once, caches it across batches, and skips spans without a link or output', async () => {
    const asked: string[] = [];
    const checker = createSpanContractChecker(async (_projectId, prompt, version) => {
      asked.push(`${prompt}@${version}`);
      if (prompt === 'none') return undefined;
      return version === 1 ? { format: 'text', maxWords: 2 } : null;
    });
    const link = (version: number, name = 'p') => ({ name, version });
    const batch = [
      testSpan({ prompt: link(1), output: 'two words' }),
      testSpan({ prompt: link(1), output: 'three words here' }),
      testSpan({ prompt: link(2), output: 'no contract at all' }),
      testSpan({ prompt: link(1) }),
      testSpan({ output: 'no prompt link' }),
      testSpan({ prompt: link(1, 'none'), output: 'unknown prompt' }),
    ] as Parameters<typeof checker.verdicts>[1];
    expect(await checker.verdicts(1, batch)).toEqual([
      { violation: false, message: null },
      { violation: true, message: 'the output has 3 words, over the 2 allowed' },
      null,
      null,
      null,
      null,
    ]);
    expect(asked).toEqual(['p@1', 'p@2', 'none@1']);
    await checker.verdicts(1, batch);
    // Known versions are cached for good; an unknown one is asked again only after a minute.
    expect(asked).toEqual(['p@1', 'p@2', 'none@1']);
  });
});

describeServer(
  (ctx) => {
    it('stores each checked span’s verdict and counts checks and violations per version in the metrics API', async () => {
      const { api } = ctx();
      await promptWithContract(api, 'oc/triage');
      const prompt = { name: 'oc/triage', version: 1, environment: 'production' };
      const conforming = testSpan({ prompt, output: '```json\n{"queue":"billing"}\n```' }, 0);
      const notJson = testSpan({ prompt, output: 'billing, I think' }, 0);
      const wrongType = testSpan({ prompt, output: { role: 'assistant', content: '{"queue": 3}' } }, 0);
      const noOutput = testSpan({ prompt }, 0);
      await ingest(api, [conforming, notJson, wrongType, noOutput]);
      // A retry of the same batch neither checks nor counts twice.
      await ingest(api, [conforming, notJson]);

      const trace = async (traceId: string) => (await api.get(`/api/v1/traces/${traceId}`)).body.spans[0];
      expect((await trace(conforming.traceId)).contract).toEqual({ violation: false, message: null });
      expect((await trace(notJson.traceId)).contract).toEqual({
        violation: true,
        message: 'the output is not JSON, but the contract says format: json',
      });
      expect((await trace(wrongType.traceId)).contract).toEqual({
        violation: true,
        message: 'the output JSON breaks the contract schema: queue must be string',
      });
      expect((await trace(noOutput.traceId)).contract).toBeUndefined();

      const from = new Date(Date.now() - 600_000).toISOString();
      const metrics = await api.get(`${p('oc/triage')}/metrics?env=production&interval=1m&from=${from}`);
      expect(metrics.status).toBe(200);
      const [v1] = metrics.body.versions;
      expect(v1).toMatchObject({ version: 1, count: 4, contract: { checked: 3, violations: 2 } });
      expect(v1.contract.violationRate).toBeCloseTo(2 / 3, 12);
      const points = v1.series as { contract: { checked: number; violations: number } }[];
      expect(points.reduce((n, x) => n + x.contract.checked, 0)).toBe(3);
      expect(points.reduce((n, x) => n + x.contract.violations, 0)).toBe(2);
      const busy = points.find((x) => x.contract.checked > 0);
      expect(busy?.contract).toMatchObject({ checked: 3, violations: 2 });

      // Spans of a version without a contract, or of no known prompt, are not checked.
      await ingest(api, [testSpan({ prompt: { name: 'oc/unknown', version: 1 }, output: 'x' }, 0)]);
      const unknown = await api.get(`${p('oc/unknown')}/metrics?interval=1m&from=${from}`);
      expect(unknown.body.versions[0].contract).toEqual({ checked: 0, violations: 0, violationRate: null });
    });

    it('an alert rule on contractViolationRate fires when the rate passes its threshold', async () => {
      const { api } = ctx();
      await promptWithContract(api, 'oc/alerted');
      const created = await api.post('/api/v1/alerts', {
        name: 'contract broken',
        prompt: 'oc/alerted',
        metric: 'contractViolationRate',
        windowMinutes: 5,
        condition: { type: 'threshold', operator: 'gt', value: 0.2 },
        minSamples: 5,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const prompt = { name: 'oc/alerted', version: 1 };
      // Spans without an output are not samples: 4 checked spans decide nothing yet.
      await ingest(api, [
        ...Array.from({ length: 4 }, () => testSpan({ prompt, output: 'not json' }, 5_000)),
        ...Array.from({ length: 20 }, () => testSpan({ prompt }, 5_000)),
      ]);
      const idle = await eventually(
        () => api.get(`/api/v1/alerts/${created.body.id}`),
        (r) => r.body.lastEvaluatedAt !== null && r.body.lastValue === 1,
      );
      expect(idle.body.state).toBe('ok');
      // 4 + 1 broken of 4 + 6 checked: 50 % > 20 %.
      await ingest(api, [
        testSpan({ prompt, output: 'still not json' }, 5_000),
        ...Array.from({ length: 5 }, () => testSpan({ prompt, output: '{"queue":"a"}' }, 5_000)),
      ]);
      const fired = await eventually(
        () => api.get(`/api/v1/alerts/${created.body.id}`),
        (r) => r.body.state === 'firing',
      );
      expect(fired.body.lastValue).toBeCloseTo(0.5, 12);
    });

    it('a rollout guardrail on contractViolationRate rolls back a candidate that breaks its contract far more than control', async () => {
      const { api } = ctx();
      const name = 'oc/rollout';
      await promptWithContract(api, name, 2);
      expect((await api.put(`${p(name)}/deployments/production`, { version: 1 })).status).toBe(200);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [
          { weight: 5000, durationSeconds: 3600 },
          { weight: 10_000, durationSeconds: 0 },
        ],
        guardrails: [{ metric: 'contractViolationRate', maxRegression: 0.05 }],
        onRegression: 'rollback',
      });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const spans = (version: number, count: number, broken: number) =>
        Array.from({ length: count }, (_, i) =>
          testSpan(
            {
              prompt: { name, version, environment: 'production' },
              output: i < broken ? 'no JSON here' : '{"queue":"ok"}',
              unit: `u-${version}-${i}`,
            },
            0,
          ),
        );
      await ingest(api, [...spans(1, 200, 4), ...spans(2, 100, 40)]);
      const r = (
        await eventually(
          () => api.get(`/api/v1/rollouts/${started.body.id}`),
          (x) => x.body.status !== 'running',
          15_000,
        )
      ).body;
      expect(r.status).toBe('rolled_back');
      expect(r.guardrails[0]).toMatchObject({
        metric: 'contractViolationRate',
        verdict: 'regression',
        n: { control: 200, candidate: 100 },
      });
      expect(r.reason).toMatch(/contract violation rate 40\.0% vs 2\.0%/);
    });
  },
  { rollouts: { checkEverySeconds: 1 }, alerts: { everySeconds: 1 } },
);
