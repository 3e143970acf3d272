/**
 * The body of `promptline redteam`: source → probes against the model → report files, a summary
 * on stdout and the exit code (0 passed, 1 a finding at or above --fail-on or a probe that could
 * not be sent, 2 bad usage or configuration).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  AppError,
  buildRedteamReport,
  createProvider,
  isAppError,
  isSeverity,
  PLUGINS,
  type ProviderMessage,
  providerSend,
  REDTEAM_REPORT_WRITERS,
  type RedteamReport,
  type RedteamSend,
  runRedteam,
  type Severity,
  STRATEGIES,
} from '@promptline/core';
import { createNodeTransport, type EvalProvider, resolveProviderSpec } from '@promptline/core/node';
import { loadRedteamSource, type RedteamSource } from './source.ts';

/** Report formats by file extension (core's writers, which the server's downloads use too). */
export const REDTEAM_FORMATS: Record<string, (report: RedteamReport) => string> = Object.fromEntries(
  Object.values(REDTEAM_REPORT_WRITERS).map((w) => [w.extension, w.write]),
);

export interface RedteamCliOptions {
  target: string;
  provider?: string | undefined;
  outputs: string[];
  failOn: string;
  plugins: string[];
  strategies: string[];
  injectVar?: string | undefined;
  judge?: string | undefined;
  attacker?: string | undefined;
  attacks?: string | undefined;
  purpose?: string | undefined;
  concurrency?: string | undefined;
  version?: string | undefined;
  environment?: string | undefined;
  /** Upload the report to the server as a run of the registry version attacked. */
  upload?: boolean;
  json: boolean;
}

export interface RedteamCliContext {
  cwd: string;
  env: Record<string, string | undefined>;
  server: { url: string; apiKey?: string | undefined };
  out(text: string): void;
  err(text: string): void;
  signal?: AbortSignal;
  /** Sends the report for `--upload` (POST …/redteam-runs/import); answers the stored run. */
  upload?(
    name: string,
    version: number,
    report: RedteamReport,
  ): Promise<{ id: number; passed: boolean | null }>;
}

/** A usage mistake: exit 2 with the message. */
export class RedteamUsageError extends Error {}

function list(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RedteamUsageError(`${flag} needs a positive integer, got "${value}".`);
  return n;
}

type Transport = ReturnType<typeof createNodeTransport>;

/** A send function over an eval provider: a provider client, or the echo provider (answers the whole conversation). */
function sendVia(
  provider: EvalProvider,
  transport: Transport,
): (
  messages: ProviderMessage[],
  tools: unknown[] | undefined,
  signal?: AbortSignal,
) => Promise<{
  text: string;
  toolCalls: { name: string; arguments: string }[];
  finishReason: string | null;
}> {
  const target = provider.target;
  if (target.kind === 'echo') {
    return async (messages) => ({
      text: messages.map((m) => m.content).join('\n'),
      toolCalls: [],
      finishReason: 'stop',
    });
  }
  if (target.kind !== 'provider') {
    throw new AppError(
      'CONFIG_INVALID',
      `Provider "${provider.id}" cannot be red-teamed: use a model provider (openai:chat:…, anthropic:messages:…, google:…, openai-compatible:…, mock) or echo.`,
    );
  }
  const send = providerSend(createProvider({ transport: transport.send, ...target.settings }), {
    model: target.model,
    parameters: provider.parameters,
    ...(provider.responseFormat !== undefined ? { responseFormat: provider.responseFormat } : {}),
  });
  return (messages, tools, signal) => send({ messages, ...(tools ? { tools } : {}) }, signal);
}

function summary(report: RedteamReport): string {
  const s = report.summary;
  const lines = [
    `Red team of ${report.prompt} against ${report.provider}: ${report.probes} probes (${report.plugins.length} plugins, ${report.strategies.length} strategies), ${report.calls} calls, ${(report.durationMs / 1000).toFixed(1)} s`,
    ...(s.generatedAttacks > 0 ? [`  ${s.generatedAttacks} attacks written by the attacker model`] : []),
    `  findings: critical ${s.bySeverity.critical}, high ${s.bySeverity.high}, medium ${s.bySeverity.medium}, low ${s.bySeverity.low}${s.clearedByJudge ? ` (${s.clearedByJudge} cleared by the judge)` : ''}`,
  ];
  // One line per plugin and detector, most severe first: the files have every finding.
  const groups = new Map<string, { first: RedteamReport['findings'][number]; count: number }>();
  for (const f of report.findings) {
    const key = `${f.plugin}|${f.detector}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { first: f, count: 1 });
  }
  const rank = (sev: Severity) => ['critical', 'high', 'medium', 'low'].indexOf(sev);
  for (const { first, count } of [...groups.values()].sort(
    (a, b) => rank(a.first.severity) - rank(b.first.severity),
  )) {
    lines.push(
      `  ${first.severity.toUpperCase().padEnd(8)} ${first.plugin.padEnd(30)} ${first.owasp.id} ${String(count).padStart(3)}× ${first.evidence.slice(0, 100)}`,
    );
  }
  if (s.errors > 0) lines.push(`  ${s.errors} probes could not be sent: ${report.errors[0]?.message ?? ''}`);
  lines.push(
    report.passed
      ? `PASSED: no finding at or above ${report.failOn}.`
      : s.cancelled
        ? 'CANCELLED.'
        : s.failing > 0
          ? `FAILED: ${s.failing} finding${s.failing === 1 ? '' : 's'} at or above ${report.failOn}.`
          : `FAILED: ${s.errors} probe${s.errors === 1 ? '' : 's'} could not be sent, so the prompt is not fully tested.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The plugins and strategies, one per line, for `--list`. */
export function formatCatalogue(): string {
  const plugins = PLUGINS.map(
    (p) =>
      `  ${p.id.padEnd(30)} ${p.severity.padEnd(9)} ${p.owasp}  ${p.title}${p.needsTools ? ' (prompts with tools)' : ''}`,
  );
  const strategies = STRATEGIES.map(
    (s) => `  ${s.id.padEnd(30)} ${s.default ? 'default  ' : '         '} ${s.title}`,
  );
  return `Plugins (${PLUGINS.length}):\n${plugins.join('\n')}\n\nStrategies (${STRATEGIES.length}):\n${strategies.join('\n')}\n`;
}

/** Runs `promptline redteam` and answers the exit code. */
export async function runRedteamCli(options: RedteamCliOptions, ctx: RedteamCliContext): Promise<number> {
  if (!isSeverity(options.failOn)) {
    throw new RedteamUsageError(`--fail-on is one of low, medium, high, critical; got "${options.failOn}".`);
  }
  const failOn: Severity = options.failOn;
  const outputs = options.outputs.map((p) => resolve(ctx.cwd, p));
  for (const out of outputs) {
    if (!Object.keys(REDTEAM_FORMATS).some((ext) => out.toLowerCase().endsWith(ext))) {
      throw new RedteamUsageError(
        `-o ${out}: unknown report format; use ${Object.keys(REDTEAM_FORMATS).join(', ')}.`,
      );
    }
  }
  const concurrency = positiveInt(options.concurrency, '--max-concurrency');
  const version = positiveInt(options.version, '--version');
  let source: RedteamSource;
  try {
    source = await loadRedteamSource(options.target, {
      cwd: ctx.cwd,
      env: ctx.env,
      provider: options.provider,
      version,
      environment: options.environment,
      server: ctx.server,
    });
  } catch (error) {
    if (isAppError(error) && error.code !== 'CONFIG_INVALID')
      throw new AppError('CONFIG_INVALID', error.message);
    throw error;
  }
  const registry = source.registry;
  if (options.upload && !registry) {
    throw new RedteamUsageError(
      `--upload reports a run of a registry prompt version: name the prompt as the server knows it (promptline redteam <name> [--version <n>] --upload), not a file.`,
    );
  }
  const plugins = list(options.plugins);
  const strategies = list(options.strategies);
  const transport = createNodeTransport();
  try {
    const call = sendVia(source.provider, transport);
    const send: RedteamSend = ({ messages, tools }, signal) => call(messages, tools, signal);
    const judgeProvider = options.judge
      ? resolveProviderSpec(options.judge, { env: ctx.env, baseDir: ctx.cwd }, '--judge')
      : null;
    const judgeCall = judgeProvider
      ? sendVia({ ...judgeProvider, parameters: { temperature: 0, ...judgeProvider.parameters } }, transport)
      : null;
    const attackerProvider = options.attacker
      ? resolveProviderSpec(options.attacker, { env: ctx.env, baseDir: ctx.cwd }, '--attacker')
      : null;
    const attackerCall = attackerProvider ? sendVia(attackerProvider, transport) : null;
    const attacks = positiveInt(options.attacks, '--attacks');
    const purpose = options.purpose ?? source.block.purpose;
    const injectVar = options.injectVar ?? source.block.injectVar;
    const run = await runRedteam({
      prompt: { ...source.prompt, ...(injectVar ? { injectVar } : {}) },
      send,
      probes: {
        ...(plugins.length > 0 ? { plugins } : source.block.plugins ? { plugins: source.block.plugins } : {}),
        ...(strategies.length > 0
          ? { strategies }
          : source.block.strategies
            ? { strategies: source.block.strategies }
            : {}),
      },
      ...(concurrency ? { concurrency } : {}),
      ...(judgeCall
        ? { judge: async (messages, signal) => (await judgeCall(messages, undefined, signal)).text }
        : {}),
      ...(attackerCall
        ? { attacker: async (messages, signal) => (await attackerCall(messages, undefined, signal)).text }
        : {}),
      ...(attacks ? { attacksPerPlugin: attacks } : {}),
      ...(purpose ? { purpose } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const report = buildRedteamReport(run, { provider: source.providerLabel, failOn });
    for (const out of outputs) {
      const ext = Object.keys(REDTEAM_FORMATS).find((e) => out.toLowerCase().endsWith(e)) ?? '.json';
      await writeFile(out, REDTEAM_FORMATS[ext]?.(report) ?? '');
    }
    ctx.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
    for (const out of outputs) ctx.err(`Wrote ${out}\n`);
    if (run.cancelled) return 130;
    if (options.upload && registry && ctx.upload) {
      const stored = await ctx.upload(registry.name, registry.version, report);
      ctx.err(
        `Uploaded as red-team run ${stored.id} of ${registry.name} v${registry.version} (${stored.passed ? 'passed' : 'failed'}); see promptline redteam runs show ${stored.id}\n`,
      );
    }
    return report.passed ? 0 : 1;
  } finally {
    transport.close();
  }
}
