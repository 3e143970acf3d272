/**
 * Hostile-input fuzzing at scale (issue 8): the generator of `http/fuzz.test.ts`, thousands of cases
 * per database (BENCH_FUZZ_CASES, default 3000) from BENCH_FUZZ_SEED (default 8), through
 * `app.inject()`. Prints {seed, <dialect>: {cases, statuses, fiveXX, violations, healthy}}.
 */
import {
  DIALECTS,
  fuzzViolation,
  generateFuzzCases,
  operationsOf,
  sendFuzzCase,
  startTestServer,
} from '@promptline/server/test-helpers';

const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 8);
const CASES = Number(process.env.BENCH_FUZZ_CASES ?? 3000);

const out: Record<string, unknown> = { seed: SEED };
for (const dialect of DIALECTS) {
  const server = await startTestServer({ dialect, listen: false });
  try {
    const cases = generateFuzzCases(operationsOf(server.app), SEED, CASES, server.apiKey);
    const statuses: Record<string, number> = {};
    const violations: string[] = [];
    let fiveXX = 0;
    for (const fuzzCase of cases) {
      const result = await sendFuzzCase(server.app, fuzzCase);
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.status >= 500) fiveXX++;
      const violation = fuzzViolation(result);
      if (violation) violations.push(violation);
    }
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    out[dialect] = {
      cases: cases.length,
      statuses,
      fiveXX,
      violations: violations.length,
      firstViolations: violations.slice(0, 10),
      healthy: health.statusCode === 200,
    };
  } finally {
    await server.close();
  }
}
console.log(JSON.stringify(out));
