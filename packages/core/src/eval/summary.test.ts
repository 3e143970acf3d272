import { describe, expect, it } from 'vitest';
import { createSummaryAccumulator } from './summary.ts';
import type { EvalResult } from './types.ts';

function result(promptId: string, providerId: string): EvalResult {
  return {
    key: `${promptId}|${providerId}|0|0`,
    promptId,
    promptLabel: promptId,
    providerId,
    providerLabel: providerId,
    caseIndex: 0,
    repeatIndex: 0,
    description: null,
    vars: {},
    prompt: '',
    output: '',
    toolCalls: [],
    error: null,
    pass: true,
    score: 1,
    reason: '',
    assertions: [],
    namedScores: {},
    latencyMs: 1,
    usage: null,
    costUsd: null,
    cached: false,
  };
}

const rows = (order?: { promptId: string; providerId: string }[]) => {
  const accumulator = createSummaryAccumulator(order);
  // Cells finish in any order under concurrency.
  for (const [p, m] of [
    ['v2', 'mock'],
    ['v1', 'openai'],
    ['v2', 'openai'],
    ['v1', 'mock'],
  ] as const)
    accumulator.add(result(p, m));
  return accumulator.summary().groups.map((g) => `${g.promptId}/${g.providerId}`);
};

describe('summary rows', () => {
  it('come in the given order (the suite’s prompts × providers), whatever order results arrive in', () => {
    const order = ['v1', 'v2'].flatMap((promptId) =>
      ['openai', 'mock'].map((providerId) => ({ promptId, providerId })),
    );
    expect(rows(order)).toEqual(['v1/openai', 'v1/mock', 'v2/openai', 'v2/mock']);
  });

  it('without an order, are sorted by prompt then provider', () => {
    expect(rows()).toEqual(['v1/mock', 'v1/openai', 'v2/mock', 'v2/openai']);
  });
});
