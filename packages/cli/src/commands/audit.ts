/** `promptline audit list|verify`: the hash-chained audit log. */
import { parsePositiveInt } from '../args.ts';
import { EXIT } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, paint } from '../output.ts';

/** The `audit` command group. */
export const auditCommand = defineGroup({
  name: 'audit',
  summary: 'List the audit log and verify its hash chain',
  commands: {
    list: {
      name: 'audit list',
      usage: '[--limit <n>] [--action <action>] [--target <target>] [options]',
      summary: 'List audit events, newest first',
      options: {
        limit: {
          type: 'string',
          value: '<n>',
          description: 'At most this many events (default 50, max 500)',
        },
        action: {
          type: 'string',
          value: '<action>',
          description: 'Only this action, e.g. deployment.deploy',
        },
        target: { type: 'string', value: '<target>', description: 'Only events about this target' },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline audit list --limit 20', 'promptline audit list --action deployment.deploy'],
      async run(input, ctx) {
        const limit = input.string('limit');
        const page = await ctx.api.listAudit({
          ...(limit === undefined ? {} : { limit: parsePositiveInt(limit, '--limit') }),
          action: input.string('action'),
          target: input.string('target'),
        });
        if (ctx.printJson(page)) return;
        const { items } = page;
        const rows = items.map((event) => [
          String(event.id),
          event.at,
          event.actor,
          event.action,
          `${event.targetType} ${event.target}`,
          event.hash.slice(0, 12),
        ]);
        ctx.out(formatTable(['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'HASH'], rows, ctx.color));
      },
    },
    verify: {
      name: 'audit verify',
      usage: '[options]',
      summary: 'Recompute the hash chain; exit 1 and name the first broken event if any row was altered',
      positionals: { min: 0, max: 0 },
      examples: ['promptline audit verify'],
      async run(_input, ctx) {
        const result = await ctx.api.verifyAudit();
        if (!ctx.printJson(result)) {
          if (result.ok) {
            ctx.out(
              `${paint('green', 'ok', ctx.color)}: audit chain intact (${result.checked} events checked)\n`,
            );
          } else {
            ctx.err(
              `${paint('red', 'error AUDIT_CHAIN_BROKEN', ctx.color)}: the chain breaks at event #${result.brokenAt ?? '?'}` +
                `${result.reason ? ` (${result.reason})` : ''}; that row or one before it was altered after it was written\n`,
            );
          }
        }
        return result.ok ? EXIT.ok : EXIT.failure;
      },
    },
  },
});
