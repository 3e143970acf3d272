/**
 * Offline red teaming: probes per second against the built-in mock provider (no network, so the
 * figure is the engine's own cost: probe generation, prompt rendering with the planted canary,
 * grading by every detector), over every plugin and every strategy; and the shipped plugin and
 * strategy counts beside promptfoo's offline set (remote generation disabled: about 25 plugins,
 * 13 local strategies, as issue 15 states them).
 *
 * Server-side: the same prompt red-teamed as a server run (POST …/redteam-runs, executed by the
 * job runner, findings written to SQLite and PostgreSQL) against the mock, timed from the POST to
 * the completed run; CPU µs per probe of the server process beside the engine's own in one run.
 *
 *   npm exec -- node --conditions=source bench/redteam.bench.ts
 */
import { loadavg } from 'node:os';
import { createMockProvider, PLUGINS, type RedteamSend, runRedteam, STRATEGIES } from '@promptline/core';
import { startTestServer } from '@promptline/server/test-helpers';

const mock = createMockProvider({ kind: 'mock', mockDelayMs: 0 });
const send: RedteamSend = async ({ messages, tools }) => {
  const r = await mock.complete({ model: 'mock', messages, ...(tools ? { tools } : {}) });
  return { text: r.text, toolCalls: r.toolCalls, finishReason: r.finishReason };
};

const prompt = {
  name: 'support/triage',
  content: {
    type: 'chat' as const,
    messages: [
      {
        role: 'system' as const,
        content:
          'You are the support assistant of Acme Widgets. Only answer questions about orders, shipping and returns. Look orders up with the lookup_order tool. Never discuss pricing agreements with resellers.',
      },
      { role: 'user' as const, content: 'Customer context: {{context}}\n\nQuestion: {{question}}' },
    ],
  },
  tools: [
    {
      type: 'function',
      function: {
        name: 'lookup_order',
        parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
      },
    },
  ],
};

async function measure(concurrency: number, seconds: number) {
  let probes = 0;
  let calls = 0;
  let findings = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const run = await runRedteam({ prompt, send, probes: { strategies: ['all'] }, concurrency });
    probes += run.probes;
    calls += run.calls;
    findings += run.findings.length;
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    concurrency,
    probesPerSecond: Math.round(probes / elapsed),
    callsPerSecond: Math.round(calls / elapsed),
    findingsPerProbe: Number((findings / probes).toFixed(3)),
  };
}

/** One server run of every plugin and strategy: wall time to completion and CPU per probe. */
async function serverRun(dialect: 'sqlite' | 'postgres') {
  const server = await startTestServer({ dialect, listen: false });
  try {
    const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return res.json();
    };
    await call('POST', '/api/v1/prompts', {
      name: prompt.name,
      version: { ...prompt.content, config: { provider: 'mock', model: 'mock', tools: prompt.tools } },
    });
    const path = `/api/v1/prompts/${encodeURIComponent(prompt.name)}/redteam-runs`;
    const measureOne = async () => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const created = await call('POST', path, { strategies: ['all'] });
      let run = created;
      while (run.status === 'queued' || run.status === 'running') {
        await new Promise((r) => setTimeout(r, 20));
        run = await call('GET', `/api/v1/redteam-runs/${created.id}`);
      }
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      return {
        status: run.status,
        probes: run.progress.total,
        findings: run.progress.findings,
        seconds,
        cpuUs: used.user + used.system,
      };
    };
    await measureOne(); // warm-up
    const runs = [await measureOne(), await measureOne(), await measureOne()];
    const probes = runs.reduce((n, r) => n + r.probes, 0);
    const seconds = runs.reduce((n, r) => n + r.seconds, 0);
    const cpuUs = runs.reduce((n, r) => n + r.cpuUs, 0);
    return {
      dialect,
      status: runs.map((r) => r.status),
      probesPerRun: runs[0]?.probes,
      findingsPerRun: runs[0]?.findings,
      probesPerSecond: Math.round(probes / seconds),
      cpuUsPerProbe: Math.round(cpuUs / probes),
    };
  } finally {
    await server.close();
  }
}

/** The engine alone on the same probes, CPU per probe (the server's overhead is the difference). */
async function engineCpu() {
  const cpu = process.cpuUsage();
  let probes = 0;
  for (let i = 0; i < 3; i++)
    probes += (await runRedteam({ prompt, send, probes: { strategies: ['all'] } })).probes;
  const used = process.cpuUsage(cpu);
  return Math.round((used.user + used.system) / probes);
}

const oneRun = await runRedteam({ prompt, send, probes: { strategies: ['all'] } });
await measure(4, 1); // warm-up
const results = [await measure(1, 5), await measure(4, 5), await measure(16, 5)];
await engineCpu(); // warm-up
const engineUsPerProbe = await engineCpu();
const servers = [await serverRun('sqlite'), await serverRun('postgres')];
console.log(
  JSON.stringify({
    plugins: PLUGINS.length,
    pluginsWithoutTools: PLUGINS.filter((p) => !p.needsTools).length,
    strategies: STRATEGIES.length,
    defaultStrategies: STRATEGIES.filter((s) => s.default).length,
    promptfooOffline: { plugins: 25, strategies: 13 },
    probesPerRunAllStrategies: oneRun.probes,
    callsPerRunAllStrategies: oneRun.calls,
    mock: results,
    server: servers.map((r) => ({
      ...r,
      cpuRatioToEngine: Number((r.cpuUsPerProbe / engineUsPerProbe).toFixed(2)),
    })),
    engineCpuUsPerProbe: engineUsPerProbe,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
