/**
 * Runs a red-team: probes against a target with bounded concurrency, multi-turn probes turn by
 * turn, every answer graded as it arrives. The target is a function, so the same run works
 * against any provider client, the mock, or a test double with real HTTP behind it.
 */
import type { ProviderMessage, ToolCall } from '../providers/types.ts';
import { attackerMessages, parseAttackerAnswer } from './attacker.ts';
import { generateProbes, type ProbeSetOptions, selectPlugins, selectStrategies } from './generate.ts';
import { gradeProbe } from './grade.ts';
import { judgeMessages, parseJudgeVerdict } from './judge.ts';
import { type PreparedPrompt, preparePrompt, type RedteamPrompt } from './target.ts';
import type { Finding, Probe, ProbeOutput } from './types.ts';

/** What a target answers to one call. */
export interface TargetAnswer {
  text: string;
  toolCalls: Pick<ToolCall, 'name' | 'arguments'>[];
  finishReason: string | null;
}

/** Sends a conversation to the model under test. */
export type RedteamSend = (
  request: { messages: ProviderMessage[]; tools?: unknown[] },
  signal?: AbortSignal,
) => Promise<TargetAnswer>;

export interface RunRedteamOptions {
  prompt: RedteamPrompt;
  send: RedteamSend;
  probes?: ProbeSetOptions;
  /** Probes in flight at once (default 4). */
  concurrency?: number;
  /** A judge model for heuristic findings; it answers the text of a judge call. */
  judge?: (messages: ProviderMessage[], signal?: AbortSignal) => Promise<string>;
  signal?: AbortSignal;
  /** Canary to plant (default: a random one). */
  canary?: string;
  /** An attacker model writing `attacksPerPlugin` more attacks per plugin (it answers the text of a call). */
  attacker?: (messages: ProviderMessage[], signal?: AbortSignal) => Promise<string>;
  /** Attacks the attacker writes per plugin (default 3). */
  attacksPerPlugin?: number;
  /** What the prompt is for, told to the attacker. */
  purpose?: string;
  onProgress?(progress: { done: number; total: number; findings: number; errors: number }): void;
}

/** A probe the target could not be asked (the call failed). */
export interface ProbeError {
  probe: string;
  plugin: string;
  strategy: string;
  message: string;
}

/** What a run ends with, before the report adds its verdict. */
export interface RedteamRun {
  prompt: string;
  injectVar: string | null;
  canary: string;
  plugins: string[];
  strategies: string[];
  probes: number;
  calls: number;
  findings: Finding[];
  errors: ProbeError[];
  /** Heuristic findings the judge cleared. */
  cleared: number;
  /** Attacks the attacker model wrote, by plugin. */
  generated: number;
  cancelled: boolean;
  durationMs: number;
}

async function ask(
  prompt: PreparedPrompt,
  probe: Probe,
  send: RedteamSend,
  signal: AbortSignal | undefined,
): Promise<{ output: ProbeOutput; calls: number; received: string }> {
  const earlier: string[] = [];
  let conversation: ProviderMessage[] = [];
  let last: TargetAnswer = { text: '', toolCalls: [], finishReason: null };
  let calls = 0;
  for (const [i, turn] of probe.turns.entries()) {
    conversation =
      i === 0
        ? prompt.firstTurn(turn, probe.plugin.channel)
        : [...conversation, { role: 'user', content: turn }];
    if (i > 0) earlier.push(last.text);
    last = await send({ messages: conversation, ...(prompt.tools ? { tools: prompt.tools } : {}) }, signal);
    calls++;
    conversation = [...conversation, { role: 'assistant', content: last.text }];
  }
  const received = conversation.map((m) => m.content).join('\n');
  return {
    output: { text: last.text, earlier, toolCalls: last.toolCalls, finishReason: last.finishReason },
    calls,
    received,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs every probe and grades it. A failed call is an error of that probe (the run goes on); a
 * cancelled signal stops the run with what was graded so far.
 *
 * @throws AppError CONFIG_INVALID for unknown plugins/strategies or an `injectVar` the prompt lacks.
 */
export async function runRedteam(options: RunRedteamOptions): Promise<RedteamRun> {
  const started = performance.now();
  const prompt = preparePrompt(options.prompt, options.canary);
  const findings: Finding[] = [];
  const errors: ProbeError[] = [];
  const generated: Record<string, string[]> = {};
  if (options.attacker) {
    // Plugins graded by refusal are left to the shipped requests: an attacker model would be
    // asked to write harmful requests itself.
    for (const plugin of selectPlugins(options.probes?.plugins, prompt.toolNames.length > 0)) {
      if (plugin.detector === 'refusal') continue;
      try {
        const answer = await options.attacker(
          attackerMessages(plugin, options.attacksPerPlugin ?? 3, options.purpose),
          options.signal,
        );
        generated[plugin.id] = parseAttackerAnswer(answer, plugin);
      } catch (error) {
        errors.push({
          probe: `${plugin.id}#attacker`,
          plugin: plugin.id,
          strategy: 'attacker',
          message: errorText(error),
        });
      }
    }
  }
  const probes = generateProbes({ ...options.probes, toolNames: prompt.toolNames, generated });
  const signal = options.signal;
  let calls = 0;
  let done = 0;
  let cleared = 0;
  let next = 0;
  let cancelled = false;

  const judgeFinding = async (f: Finding): Promise<Finding | null> => {
    if (!options.judge || f.confidence !== 'heuristic') return f;
    const verdict = parseJudgeVerdict(await options.judge(judgeMessages(f), signal));
    if (verdict === null) return f;
    if (!verdict.complied) return null;
    return { ...f, confidence: 'certain', evidence: `${f.evidence}; the judge agrees: ${verdict.reason}` };
  };

  const worker = async () => {
    for (;;) {
      if (signal?.aborted) {
        cancelled = true;
        return;
      }
      const probe = probes[next++];
      if (!probe) return;
      try {
        const { output, calls: made, received } = await ask(prompt, probe, options.send, signal);
        calls += made;
        const sent = probe.turns.join('\n');
        for (const f of gradeProbe({ prompt, probe, output, sent, received })) {
          const kept = await judgeFinding(f);
          if (kept) findings.push(kept);
          else cleared++;
        }
      } catch (error) {
        if (signal?.aborted) {
          cancelled = true;
          return;
        }
        errors.push({
          probe: probe.id,
          plugin: probe.plugin.id,
          strategy: probe.strategy,
          message: errorText(error),
        });
      }
      done++;
      options.onProgress?.({ done, total: probes.length, findings: findings.length, errors: errors.length });
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, probes.length || 1));
  await Promise.all(Array.from({ length: concurrency }, () => worker()));

  // Findings in probe order, whatever order they finished in.
  const order = new Map(probes.map((p, i) => [p.id, i]));
  findings.sort((a, b) => (order.get(a.probe) ?? 0) - (order.get(b.probe) ?? 0));
  return {
    prompt: prompt.name,
    injectVar: prompt.injectVar,
    canary: prompt.canary,
    plugins: [...new Set(probes.map((p) => p.plugin.id))],
    strategies: selectStrategies(options.probes?.strategies).map((s) => s.id),
    probes: probes.length,
    calls,
    findings,
    errors,
    cleared,
    generated: Object.values(generated).reduce((sum, list) => sum + list.length, 0),
    cancelled,
    durationMs: performance.now() - started,
  };
}
