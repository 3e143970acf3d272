/** `promptline replay <name> --env production --version 4 --last 100`: a candidate on real production inputs. */
import type { EvalRun, Replay } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';

/** `openai/gpt-4o-mini` → `{provider, model}`. */
export function parseModel(value: string): { provider: string; model: string } {
  const at = value.indexOf('/');
  if (at <= 0 || at === value.length - 1) {
    throw new UsageError(`--model: "${value}" is not <provider>/<model> (e.g. --model openai/gpt-4o-mini)`);
  }
  return { provider: value.slice(0, at), model: value.slice(at + 1) };
}

function summary(replay: Replay, run: EvalRun): string {
  const rows = (run.summary ?? []).map((g) => {
    const who = g.version === replay.candidate ? 'candidate' : g.version === replay.live ? 'live' : '';
    return `  v${g.version ?? '?'} ${who.padEnd(9)} ${g.model}: pass ${(g.passRate * 100).toFixed(1)}%, mean score ${g.meanScore.toFixed(2)}, p50 ${Math.round(g.latencyP50Ms)} ms, p95 ${Math.round(g.latencyP95Ms)} ms, cost $${g.costUsd.toFixed(4)}, errors ${g.errors}`;
  });
  return `Eval run #${run.id} ${run.status}\n${rows.join('\n')}\n`;
}

export const replayCommand = defineCommand({
  name: 'replay',
  usage: '<name> --env <env> --version <n> [--last <n>] [--model <provider>/<model>] [--wait] [options]',
  summary: 'Run a candidate version on the last production calls of the live version, side by side',
  description:
    'The last --last calls (default 100) of the version --env serves become a dataset snapshot\n' +
    '(their variables; the recorded output in metadata), and one eval run evaluates the live version\n' +
    'and the candidate on it: outputs side by side, scores, latency and cost (web: /evals/<run>).\n' +
    "The model is the candidate's own config unless --model says otherwise. With --wait, waits for\n" +
    'the run and prints each version’s figures; exit 1 if the run failed.',
  options: {
    env: {
      type: 'string',
      value: '<env>',
      description: 'Environment whose traffic to replay, e.g. production',
    },
    version: { type: 'string', value: '<n>', description: 'The candidate version' },
    last: {
      type: 'string',
      value: '<n>',
      description: 'How many of the latest calls (default 100, at most 1000)',
    },
    model: { type: 'string', value: '<provider>/<model>', description: 'Model to run both versions on' },
    wait: { type: 'boolean', description: 'Wait for the run and print its figures' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline replay support/triage --env production --version 4 --last 100',
    'promptline replay support/triage --env production --version 4 --model openai/gpt-4o-mini --wait',
  ],
  async run(input, ctx) {
    const name = input.positionals[0] ?? '';
    const last = input.string('last');
    const model = input.string('model');
    const replay = await ctx.api.replay(name, {
      env: input.required('env'),
      version: parsePositiveInt(input.required('version'), '--version'),
      ...(last === undefined ? {} : { last: parsePositiveInt(last, '--last') }),
      ...(model === undefined ? {} : { models: [parseModel(model)] }),
    });
    let run = replay.run;
    if (input.flag('wait')) {
      while (run.status === 'queued' || run.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 250));
        run = await ctx.api.evalRun(run.id);
      }
    }
    if (ctx.printJson({ ...replay, run })) return run.status === 'failed' ? EXIT.failure : EXIT.ok;
    ctx.out(
      `Replaying ${replay.calls} call(s) of v${replay.live} in ${replay.env} with v${replay.candidate}: eval run #${run.id} (dataset ${replay.dataset.name} r${replay.dataset.revision}).\n`,
    );
    if (input.flag('wait')) ctx.out(summary(replay, run));
    else ctx.out(`Follow it at /evals/${run.id} in the web app (or GET /api/v1/eval-runs/${run.id}).\n`);
    return run.status === 'failed' ? EXIT.failure : EXIT.ok;
  },
});
