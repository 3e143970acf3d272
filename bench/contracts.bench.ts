/**
 * What checking output contracts at ingest costs. Two prompts on one SQLite server: `bench/contract`
 * (a JSON output contract with a schema) and `bench/plain` (none). Batches of spans naming one or
 * the other, with the same outputs (half breaking the contract), go through the whole route
 * (`POST /api/v1/traces` by `app.inject()`), alternating, and each batch's CPU is read with
 * `process.cpuUsage()`: the difference per span is the contract check (cached lookup + JSON parse
 * + schema check + the two columns and rollup counts). Also the checker alone, per span.
 *
 *   npm exec -- node --conditions=source bench/contracts.bench.ts
 *   BENCH_CONTRACT_BATCHES=40 BENCH_CONTRACT_SPANS=500 npm exec -- node --conditions=source bench/contracts.bench.ts
 *
 * Prints one JSON object: µs of CPU per span for each kind, their ratio, and the load average.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import type { SpanInputDraft } from '@promptline/core';
import { startTestServer } from '../packages/server/src/test-helpers/server.ts';
import { createSpanContractChecker } from '../packages/server/src/traces/contracts.ts';

const BATCHES = Number(process.env.BENCH_CONTRACT_BATCHES ?? 20);
const SPANS = Number(process.env.BENCH_CONTRACT_SPANS ?? 500);
const WARMUP = 4;
const hex = (n: number) => randomBytes(n).toString('hex');
const CONTRACT = {
  format: 'json' as const,
  schema: { queue: 'string', 'urgent?': 'boolean', 'tags?(array)': 'string' },
};

function batch(prompt: string): SpanInputDraft[] {
  const now = Date.now();
  return Array.from({ length: SPANS }, (_, i) => ({
    traceId: hex(16),
    spanId: hex(8),
    name: 'llm',
    startTime: now - 5_000,
    endTime: now - 4_000,
    status: 'ok',
    prompt: { name: prompt, version: 1, environment: 'production' },
    model: 'gpt-4o-mini',
    usage: { input: 200, output: 40 },
    output:
      i % 2 === 0
        ? { role: 'assistant', content: '{"queue":"billing","urgent":false,"tags":["refund","card"]}' }
        : { role: 'assistant', content: '{"queue":7}' },
  }));
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function main() {
  const server = await startTestServer({ dialect: 'sqlite', listen: false, metrics: false });
  const post = async (url: string, body: unknown) => {
    const res = await server.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  };
  try {
    for (const [name, config] of [
      ['bench/contract', { output: CONTRACT }],
      ['bench/plain', {}],
    ] as const) {
      await post('/api/v1/prompts', { name, version: { type: 'text', template: '{{q}}', config } });
    }
    const perSpan: Record<'contract' | 'plain', number[]> = { contract: [], plain: [] };
    for (let i = 0; i < WARMUP + BATCHES; i++) {
      // Alternating, so both kinds see the same machine state.
      for (const kind of i % 2 === 0 ? (['contract', 'plain'] as const) : (['plain', 'contract'] as const)) {
        const spans = batch(`bench/${kind}`);
        const body = { spans };
        const before = cpuMicros();
        await post('/api/v1/traces', body);
        const used = cpuMicros() - before;
        if (i >= WARMUP) perSpan[kind].push(used / SPANS);
      }
    }

    // The checker alone, its contract cached after the first span.
    const checker = createSpanContractChecker(async () => CONTRACT);
    const spans = batch('bench/contract') as Parameters<typeof checker.verdicts>[1];
    await checker.verdicts(1, spans);
    const rounds = 20;
    const before = cpuMicros();
    for (let r = 0; r < rounds; r++) await checker.verdicts(1, spans);
    const checkerPerSpan = (cpuMicros() - before) / (rounds * SPANS);

    const contract = median(perSpan.contract);
    const plain = median(perSpan.plain);
    console.log(
      JSON.stringify({
        database: 'sqlite',
        spansPerBatch: SPANS,
        batchesPerKind: BATCHES,
        ingestCpuMicrosPerSpan: { withContract: contract, withoutContract: plain },
        ratio: contract / plain,
        checkerAloneCpuMicrosPerSpan: checkerPerSpan,
        loadAverage: loadavg(),
      }),
    );
  } finally {
    await server.close();
  }
}

await main();
