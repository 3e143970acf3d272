/** `promptline queues list|show|create|add`: annotation queues for human review (docs/annotation.md). */
import type { AnnotationProgress } from '@promptline/core';
import type { ApiClient } from '../api-client.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, oneLine } from '../output.ts';
import { TRACE_SELECTION_OPTIONS, traceSelection } from './traces.ts';

const progressCell = (p: AnnotationProgress) =>
  `${p.completed + p.skipped}/${p.total} done (${p.completed} completed, ${p.skipped} skipped, ${p.claimed} claimed, ${p.pending} pending)`;

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** A queue named by id or by name. @throws UsageError when no queue has that name */
async function queueId(api: ApiClient, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const { items } = await api.listQueues();
  const found = items.find((q) => q.name === ref);
  if (!found) {
    throw new UsageError(
      `no annotation queue named "${ref}"; list them with promptline queues list, or create it with promptline queues create`,
    );
  }
  return found.id;
}

/** The `queues` command group. */
export const queuesCommand = defineGroup({
  name: 'queues',
  summary: 'Annotation queues: traces put in front of reviewers, scored in the web app',
  commands: {
    list: {
      name: 'queues list',
      usage: '[options]',
      summary: "List the project's annotation queues with their progress",
      positionals: { min: 0, max: 0 },
      examples: ['promptline queues list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listQueues();
        if (ctx.printJson({ items })) return;
        if (items.length === 0) {
          ctx.out(
            'No annotation queues yet. Create one with promptline queues create <name> --scores <a,b>.\n',
          );
          return;
        }
        const rows = items.map((q) => [
          String(q.id),
          q.name,
          q.scoreDefinitions.join(','),
          progressCell(q.progress),
          oneLine(q.description, 40),
        ]);
        ctx.out(formatTable(['ID', 'NAME', 'SCORES', 'PROGRESS', 'DESCRIPTION'], rows, ctx.color));
      },
    },
    show: {
      name: 'queues show',
      usage: '<queue> [--status pending|claimed|completed|skipped] [options]',
      summary: 'Show a queue (by id or name): its score definitions, progress and items',
      options: {
        status: { type: 'string', value: '<status>', description: 'Only items of this status' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline queues show weekly-review', 'promptline queues show 3 --status completed'],
      async run(input, ctx) {
        const status = input.string('status');
        if (status !== undefined && !['pending', 'claimed', 'completed', 'skipped'].includes(status)) {
          throw new UsageError(`--status must be pending, claimed, completed or skipped, got "${status}"`);
        }
        const id = await queueId(ctx.api, input.positionals[0] ?? '');
        const [queue, page] = await Promise.all([
          ctx.api.getQueue(id),
          ctx.api.listQueueItems(id, { status, limit: 100 }),
        ]);
        if (ctx.printJson({ ...queue, items: page.items })) return;
        ctx.out(`${queue.name} (#${queue.id})${queue.description ? ` — ${queue.description}` : ''}\n`);
        ctx.out(`Progress: ${progressCell(queue.progress)}\n`);
        if (queue.assignees.length > 0) ctx.out(`Assignees: ${queue.assignees.join(', ')}\n`);
        if (queue.sampling) {
          ctx.out(
            `Sampling: ${queue.sampling.rate * 100}% of new traces of ${queue.sampling.prompt}${queue.sampling.env ? ` in ${queue.sampling.env}` : ''}\n`,
          );
        }
        ctx.out('Scores:\n');
        for (const d of queue.definitions) {
          const range =
            d.dataType === 'numeric'
              ? ` ${d.min ?? '-∞'}..${d.max ?? '∞'}`
              : d.dataType === 'categorical'
                ? ` ${d.categories.join(' | ')}`
                : '';
          ctx.out(`  ${d.name}: ${d.dataType}${range}${d.description ? ` — ${d.description}` : ''}\n`);
        }
        if (page.items.length === 0) {
          ctx.out('\nNo items. Add traces with promptline queues add.\n');
          return;
        }
        ctx.out('\n');
        const rows = page.items.map((i) => [
          String(i.id),
          i.traceId,
          i.status,
          i.reviewer ?? '-',
          i.scores.map((s) => `${s.name}=${String(s.value)}`).join(' ') || '-',
          oneLine(i.comment ?? '', 40),
        ]);
        ctx.out(formatTable(['ITEM', 'TRACE', 'STATUS', 'REVIEWER', 'SCORES', 'COMMENT'], rows, ctx.color));
      },
    },
    create: {
      name: 'queues create',
      usage:
        '<name> --scores <def1,def2,…> [--description <text>] [--assignees <email,…>] [--sample-prompt <name> --sample-rate <r> [--sample-env <env>]] [options]',
      summary: 'Create a queue whose reviewers fill in these score definitions',
      description:
        'The score definitions must exist (POST /api/v1/score-definitions, or the web app).\n' +
        'With --assignees only those people may claim items; without, any reviewer of the project.\n' +
        'With --sample-prompt and --sample-rate (above 0, at most 1) the queue also takes that share of\n' +
        "the prompt's new traces as they arrive (--sample-env: one environment's only).",
      options: {
        scores: { type: 'string', value: '<a,b,…>', description: 'Score definition names, in display order' },
        description: { type: 'string', value: '<text>', description: 'What reviewers look for' },
        assignees: { type: 'string', value: '<email,…>', description: 'Who may review (default anyone)' },
        'sample-prompt': { type: 'string', value: '<name>', description: 'Sample new traces of this prompt' },
        'sample-env': { type: 'string', value: '<env>', description: 'Only in this environment' },
        'sample-rate': { type: 'string', value: '<r>', description: 'The share sampled, e.g. 0.05' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline queues create weekly-review --scores correctness,tone --description "Refund answers"',
      ],
      async run(input, ctx) {
        const scores = list(input.string('scores'));
        if (scores.length === 0) {
          throw new UsageError('name the score definitions reviewers fill in: --scores correctness,tone');
        }
        const samplePrompt = input.string('sample-prompt');
        const rateText = input.string('sample-rate');
        if ((samplePrompt === undefined) !== (rateText === undefined)) {
          throw new UsageError(
            'sampling takes both --sample-prompt <name> and --sample-rate <r> (e.g. 0.05)',
          );
        }
        const rate = rateText === undefined ? undefined : Number(rateText);
        if (rate !== undefined && !(rate > 0 && rate <= 1)) {
          throw new UsageError(
            `--sample-rate is a share above 0 and at most 1 (e.g. 0.05), got "${rateText}"`,
          );
        }
        const sampleEnv = input.string('sample-env');
        if (sampleEnv !== undefined && samplePrompt === undefined) {
          throw new UsageError('--sample-env goes with --sample-prompt and --sample-rate');
        }
        const queue = await ctx.api.createQueue({
          name: input.positionals[0] ?? '',
          scoreDefinitions: scores,
          description: input.string('description') ?? '',
          assignees: list(input.string('assignees')),
          ...(samplePrompt !== undefined && rate !== undefined
            ? {
                sampling: {
                  prompt: samplePrompt,
                  rate,
                  ...(sampleEnv === undefined ? {} : { env: sampleEnv }),
                },
              }
            : {}),
        });
        if (ctx.printJson(queue)) return;
        ctx.out(
          `Created annotation queue ${queue.name} (#${queue.id}). Add traces with promptline queues add ${queue.id}.\n`,
        );
      },
    },
    add: {
      name: 'queues add',
      usage: '<queue> [traceId…] [--filter <k=v,…>] [--since <24h>] [--limit <n>] [options]',
      summary: 'Add traces to a queue: by id, or every trace a filter matches',
      description:
        'Name traces by id, or pick them as `promptline traces list` would with --filter (keys: prompt,\n' +
        'version, env, status, userId, sessionId, model, q) and --since; --limit caps them (default 100,\n' +
        'max 1000). A trace already in the queue is not added twice.',
      options: {
        ...TRACE_SELECTION_OPTIONS,
      },
      positionals: { min: 1, max: 1001 },
      examples: [
        'promptline queues add weekly-review --filter prompt=support/triage,env=production --since 7d --limit 200',
        'promptline queues add 3 4bf92f3577b34da6a3ce929d0e0e4736',
      ],
      async run(input, ctx) {
        const [ref = '', ...traceIds] = input.positionals;
        const selection = traceSelection(traceIds, {
          filter: input.string('filter'),
          since: input.string('since'),
          limit: input.string('limit'),
        });
        const id = await queueId(ctx.api, ref);
        const result = await ctx.api.addQueueItems(id, {
          ...selection,
        });
        if (ctx.printJson(result)) return;
        ctx.out(
          `Added ${result.added} trace(s)${result.alreadyQueued > 0 ? ` (${result.alreadyQueued} already queued)` : ''}. Progress: ${progressCell(result.progress)}\n`,
        );
        for (const m of result.missing) ctx.out(`not found: ${m}\n`);
      },
    },
  },
});
