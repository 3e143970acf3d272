/**
 * Online evaluations, in one process (the app through `inject`, its job runner polling every 20 ms):
 *
 * - `ingestCpuUsPerSpan`: CPU µs per span of `POST /api/v1/traces` (batches of `--batch` spans
 *   naming a prompt) with no rule in the project, with a rule that matches none of the spans (the
 *   cached lookup), and with a rule sampling every span (queue rows, counters and a job written in
 *   the ingest transaction). Measured side by side, alternating, `--rounds` times each.
 * - `grading`: spans graded per second by the job runner, from the first batch sent until every
 *   sampled span is evaluated, for `--spans` spans with a deterministic rule (contains + is-json +
 *   regex) and with an `llm-rubric` rule judged by the mock provider, and for `--judged-spans`
 *   with an OpenAI-compatible judge over HTTP answering after `--judge-ms`; and the process's CPU
 *   µs per graded span over that window (ingestion included).
 *
 * Prints { <dialect>: { ingestCpuUsPerSpan, grading } }. Figures from a loaded machine are
 * indicative; compare the ratios of one run.
 *   node --conditions=source bench/online-evals.bench.ts --dialect both --spans 1000
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startWireServer } from '../packages/core/src/providers/test-helpers/wire-server.ts';
import type { Dialect } from '../packages/server/src/db/database.ts';
import { createTestClient, startTestServer } from '../packages/server/src/test-helpers/index.ts';

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    spans: { type: 'string', default: '600' },
    'judge-ms': { type: 'string', default: '200' },
    'judged-spans': { type: 'string', default: '100' },
    batch: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
  },
});
const DIALECTS: Dialect[] = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect as Dialect];
const ALL_SPANS = Number(args.spans);
const BATCH = Number(args.batch);
const ROUNDS = Number(args.rounds);
const JUDGE_MS = Number(args['judge-ms']);
const JUDGED_SPANS = Number(args['judged-spans']);
const PROMPT = 'bench/online';

function batch(size: number, environment = 'production') {
  const now = Date.now();
  return {
    spans: Array.from({ length: size }, (_, i) => ({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      name: 'chat',
      startTime: now - 5_000 + i,
      endTime: now - 4_600 + i,
      status: 'ok',
      prompt: { name: PROMPT, version: 1, environment },
      provider: 'openai',
      model: 'gpt-4o-mini',
      usage: { input: 120, output: 30 },
      input: [{ role: 'user', content: 'Where is my order 1234?' }],
      output: '{"answer": "It left the warehouse this morning.", "order": 1234}',
      variables: { question: 'Where is my order 1234?' },
    })),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function benchOne(dialect: Dialect) {
  const server = await startTestServer({ dialect, listen: false, jobs: { pollMs: 20 } });
  const api = createTestClient(server.app, server.apiKey);
  // An OpenAI-compatible judge over real HTTP that answers after JUDGE_MS.
  const judge = await startWireServer(async (_request, response) => {
    await new Promise((resolve) => setTimeout(resolve, JUDGE_MS));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        model: 'judge',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '{"pass":true,"score":1,"reason":"ok"}' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
      }),
    );
  });
  try {
    await api.put('/api/v1/providers/benchjudge', {
      kind: 'openai-compatible',
      baseUrl: `${judge.url}/v1`,
      apiKey: 'sk-bench',
    });
    await api.post('/api/v1/prompts', {
      name: PROMPT,
      version: { type: 'text', template: 'Q: {{question}}' },
    });
    const url = `/api/v1/prompts/${encodeURIComponent(PROMPT)}/online-evals`;
    const ingest = async (body: unknown) => {
      const r = await api.post('/api/v1/traces', body);
      if (r.status !== 202) throw new Error(`ingest: ${r.status} ${r.text}`);
    };
    const ingestCost = async () => {
      const before = cpuUs();
      await ingest(batch(BATCH));
      return (cpuUs() - before) / BATCH;
    };
    const create = async (body: Record<string, unknown>) => {
      const r = await api.post(url, body);
      if (r.status !== 201) throw new Error(`rule: ${r.status} ${r.text}`);
      return r.body.id as number;
    };
    const setEnabled = (id: number, enabled: boolean) => api.patch(`/api/v1/online-evals/${id}`, { enabled });

    // Warm up the ingest path (JIT, prepared statements).
    for (let i = 0; i < 3; i++) await ingest(batch(BATCH));

    // Ingest cost: no rule / a rule matching nothing / a rule sampling everything, alternated.
    const miss = await create({
      name: 'miss',
      environment: 'staging',
      samplingRate: 1,
      assertions: [{ type: 'is-json' }],
      enabled: false,
    });
    const all = await create({
      name: 'all',
      environment: 'production',
      samplingRate: 1,
      assertions: [{ type: 'is-json' }],
      enabled: false,
    });
    const cost = {
      noRule: [] as number[],
      ruleMatchingNone: [] as number[],
      ruleSamplingAll: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      cost.noRule.push(await ingestCost());
      await setEnabled(miss, true);
      cost.ruleMatchingNone.push(await ingestCost());
      await setEnabled(miss, false);
      await setEnabled(all, true);
      cost.ruleSamplingAll.push(await ingestCost());
      await setEnabled(all, false);
    }
    // Let the sampled spans above be graded before the throughput runs.
    await waitIdle(api, all);

    const grading: Record<string, unknown> = {};
    const kinds = {
      deterministic: {
        assertions: [
          { type: 'contains', value: 'warehouse' },
          { type: 'is-json' },
          { type: 'regex', value: '"order":\\s*\\d+' },
        ],
      },
      mockJudge: {
        assertions: [{ type: 'llm-rubric', value: 'Answers where the order is' }],
        judge: { provider: 'mock', model: 'judge' },
        dailyBudgetUsd: 1_000,
      },
      [`httpJudge${JUDGE_MS}ms`]: {
        assertions: [{ type: 'llm-rubric', value: 'Answers where the order is' }],
        judge: { provider: 'benchjudge', model: 'judge' },
        dailyBudgetUsd: 1_000,
      },
    };
    for (const [kind, rule] of Object.entries(kinds)) {
      const SPANS = kind.startsWith('httpJudge') ? JUDGED_SPANS : ALL_SPANS;
      const id = await create({ name: kind, environment: 'production', samplingRate: 1, ...rule });
      const started = performance.now();
      const cpu0 = cpuUs();
      for (let sent = 0; sent < SPANS; sent += BATCH) await ingest(batch(Math.min(BATCH, SPANS - sent)));
      const ingestedMs = performance.now() - started;
      await waitIdle(api, id, SPANS);
      const ms = performance.now() - started;
      const cpu = cpuUs() - cpu0;
      await setEnabled(id, false);
      grading[kind] = {
        spans: SPANS,
        ingestMs: Math.round(ingestedMs),
        totalMs: Math.round(ms),
        spansPerSecond: Math.round((SPANS / ms) * 1000),
        cpuUsPerSpan: Math.round(cpu / SPANS),
      };
    }
    return {
      ingestCpuUsPerSpan: {
        batch: BATCH,
        noRule: Math.round(median(cost.noRule) * 10) / 10,
        ruleMatchingNone: Math.round(median(cost.ruleMatchingNone) * 10) / 10,
        ruleSamplingAll: Math.round(median(cost.ruleSamplingAll) * 10) / 10,
      },
      grading,
    };
  } finally {
    await server.close();
    await judge.close();
  }
}

/** Until the rule has nothing pending (and, when given, `evaluated` reached `count`). */
async function waitIdle(api: ReturnType<typeof createTestClient>, id: number, count?: number) {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { body } = await api.get(`/api/v1/online-evals/${id}`);
    if (body.pending === 0 && (count === undefined || body.today.evaluated >= count)) return;
    if (Date.now() > deadline) throw new Error(`rule ${id} not done: ${JSON.stringify(body.today)}`);
    // Not faster: each look costs CPU in this process, which the figures count.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const results: Record<string, unknown> = { loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) };
for (const dialect of DIALECTS) results[dialect] = await benchOne(dialect);
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
