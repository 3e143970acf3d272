import { chanceToBeatRate } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

/**
 * One call per unit of `version`, `converted` of them scored 1 on `converted` and the rest 0.
 * Half of the units are named by `unit`, half only by `userId` (the fallback).
 */
async function traffic(api: TestClient, name: string, version: number, units: number, converted: number) {
  const spans = Array.from({ length: units }, (_, i) =>
    testSpan(
      {
        prompt: { name, version, environment: 'production' },
        ...(i % 2 === 0 ? { unit: `v${version}-u${i}` } : { userId: `v${version}-user${i}` }),
        status: i % 10 === 0 ? 'error' : 'ok',
      },
      0,
    ),
  );
  expect((await api.post('/api/v1/traces', { spans })).status).toBe(202);
  for (const [i, span] of spans.entries()) {
    const scored = await api.post('/api/v1/scores', {
      traceId: span.traceId,
      spanId: span.spanId,
      name: 'converted',
      value: i < converted ? 1 : 0,
    });
    expect(scored.status).toBe(201);
  }
}

async function promptLive(api: TestClient, name: string) {
  await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'one' } });
  await api.post(`${p(name)}/versions`, { type: 'text', template: 'two' });
  expect((await api.put(`${p(name)}/deployments/production`, { version: 1 })).status).toBe(200);
}

const split = [
  { version: 1, weight: 5000 },
  { version: 2, weight: 5000 },
];

describeServer((ctx) => {
  it('refuses what it cannot measure: control outside the split, bad weights, unknown metric, a second experiment', async () => {
    const { api } = ctx();
    await promptLive(api, 'ex/refusals');
    const url = `${p('ex/refusals')}/experiments`;
    const control = await api.post(url, {
      env: 'production',
      variants: split,
      metric: 'errorRate',
      control: 3,
    });
    expect(control.body).toMatchObject({ code: 'INVALID_EXPERIMENT', errors: [{ path: 'control' }] });
    const weights = await api.post(url, {
      env: 'production',
      variants: [
        { version: 1, weight: 5000 },
        { version: 2, weight: 4000 },
      ],
      metric: 'errorRate',
    });
    expect(weights.body.code).toBe('INVALID_WEIGHTS');
    expect((await api.post(url, { env: 'production', variants: split, metric: 'p99' })).status).toBe(422);
    expect((await api.post(url, { env: 'production', variants: split, metric: 'errorRate' })).status).toBe(
      201,
    );
    const again = await api.post(url, { env: 'production', variants: split, metric: 'errorRate' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('EXPERIMENT_RUNNING');
    expect((await api.get('/api/v1/experiments/999999/results')).body.code).toBe('EXPERIMENT_NOT_FOUND');
  });

  it('measures per unit from spans at once, and ships the winner through the environment gates', async () => {
    const { api } = ctx();
    const name = 'ex/conversion';
    await promptLive(api, name);
    const started = await api.post(`${p(name)}/experiments`, {
      env: 'production',
      variants: split,
      metric: 'score:converted',
      secondary: ['errorRate'],
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'running', control: 1, metric: 'score:converted' });
    expect((await api.get(`${p(name)}/deployments/production`)).body.variants).toEqual(split);

    await traffic(api, name, 1, 150, 23);
    await traffic(api, name, 2, 150, 68);
    const results = (await api.get(`/api/v1/experiments/${started.body.id}/results`)).body;
    const [a, b] = results.variants;
    expect(a).toMatchObject({ version: 1, units: 150, n: 150, lift: null, chanceToBeatControl: null });
    expect(a.mean).toBeCloseTo(23 / 150, 12);
    expect(b).toMatchObject({ version: 2, units: 150, n: 150 });
    expect(b.mean).toBeCloseTo(68 / 150, 12);
    expect(a.ci[0]).toBeLessThan(a.mean);
    expect(a.ci[1]).toBeGreaterThan(a.mean);
    expect(b.lift.absolute).toBeCloseTo(45 / 150, 12);
    expect(b.lift.ci[0]).toBeGreaterThan(0);
    expect(b.lift.relative).toBeCloseTo(45 / 23, 9);
    // 0/1 per unit: the exact Beta-Binomial with a uniform prior.
    expect(b.chanceToBeatControl).toBeCloseTo(
      chanceToBeatRate({ successes: 23, trials: 150 }, { successes: 68, trials: 150 }),
      12,
    );
    expect(results.srm).toMatchObject({ ok: true, chiSquare: 0, pValue: 1 });
    expect(results.winner).toBe(2);
    // Secondary: errorRate, one error in ten units on both sides; lower is better.
    const errors = results.secondary[0];
    expect(errors.metric).toBe('errorRate');
    expect(errors.variants[1].mean).toBeCloseTo(15 / 150, 12);
    expect(errors.variants[1].chanceToBeatControl).toBeCloseTo(0.5, 6);

    await api.patch('/api/v1/environments/production', { policy: { requiredApprovals: 1 } });
    try {
      const gated = await api.post(`/api/v1/experiments/${started.body.id}/stop`, { ship: 'winner' });
      expect(gated.status).toBe(409);
      expect(gated.body.code).toBe('APPROVAL_REQUIRED');
      expect((await api.get(`/api/v1/experiments/${started.body.id}`)).body.status).toBe('running');
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
    const stopped = await api.post(`/api/v1/experiments/${started.body.id}/stop`, { ship: 'winner' });
    expect(stopped.body).toMatchObject({ status: 'stopped', shipped: 2 });
    expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(2);
    const entry = (await api.get(`${p(name)}/deployments/production/history`)).body.items[0];
    expect(entry.reason).toMatch(
      new RegExp(
        `^experiment ${started.body.id} stopped by .*: shipped v2 \\(score:converted 0\\.4533 vs 0\\.1533, lift 0\\.300 \\[`,
      ),
    );
    const twice = await api.post(`/api/v1/experiments/${started.body.id}/stop`, {});
    expect(twice.body.code).toBe('EXPERIMENT_STOPPED');
  }, 60_000);

  it('flags a sample-ratio mismatch: 300 units against 200 on a 50/50 split', async () => {
    const { api } = ctx();
    const name = 'ex/srm';
    await promptLive(api, name);
    const started = await api.post(`${p(name)}/experiments`, {
      env: 'production',
      variants: split,
      metric: 'errorRate',
    });
    const spans = [1, 2].flatMap((version) =>
      Array.from({ length: version === 1 ? 300 : 200 }, (_, i) =>
        testSpan({ prompt: { name, version, environment: 'production' }, unit: `u${version}-${i}` }, 0),
      ),
    );
    expect((await api.post('/api/v1/traces', { spans })).status).toBe(202);
    const { srm, variants } = (await api.get(`/api/v1/experiments/${started.body.id}/results`)).body;
    expect(variants.map((v: { units: number }) => v.units)).toEqual([300, 200]);
    expect(srm.chiSquare).toBeCloseTo(20, 12);
    expect(srm.pValue).toBeLessThan(0.001);
    expect(srm.ok).toBe(false);
  });
});
