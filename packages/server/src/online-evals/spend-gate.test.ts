import { expect, it } from 'vitest';
import { createSpendGate } from './spend-gate.ts';

const rule = { id: 1, dailyBudgetUsd: 1 };

it('runs one call until a cost is known, then as many as fit under the budget, and refuses once it is spent', async () => {
  const gate = createSpendGate(async () => 0.1);
  expect(await gate.acquire(rule)).toBe(true);
  // The first call's cost is unknown: the second waits for it.
  let second = false;
  const waiting = gate.acquire(rule).then((ok) => {
    second = ok;
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(second).toBe(false);
  gate.release(1, 0.3);
  await waiting;
  expect(second).toBe(true);
  // Spent 0.4 with one call of 0.3 in flight: a third fits (0.4 + 0.3 < 1), a fourth does not yet.
  expect(await gate.acquire(rule)).toBe(true);
  let fourth: boolean | null = null;
  const fourthWaits = gate.acquire(rule).then((ok) => {
    fourth = ok;
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(fourth).toBe(null);
  gate.release(1, 0.3);
  gate.release(1, 0.3);
  // Spent 1.0: the budget is reached, the waiting call is refused.
  await fourthWaits;
  expect(fourth).toBe(false);
  expect(await gate.acquire(rule)).toBe(false);
});
