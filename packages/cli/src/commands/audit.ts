/** `promptline audit list|verify|head|checkpoint|lineage|served`: the hash-chained audit log. */
import { parsePositiveInt } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, paint } from '../output.ts';
import { lineageCommand, servedCommand } from './audit-proof.ts';

/** The `audit` command group. */
export const auditCommand = defineGroup({
  name: 'audit',
  summary: 'List the audit log and verify its hash chain',
  commands: {
    list: {
      name: 'audit list',
      usage: '[--limit <n>] [--action <action>] [--target <target>] [--cursor <c> | --all] [options]',
      summary: 'List audit events, newest first',
      description:
        'Lists one page of events, newest first. When older events remain, the last line names the\n' +
        '--cursor that fetches the next page; --all follows the cursors to the first event.',
      options: {
        limit: {
          type: 'string',
          value: '<n>',
          description: 'At most this many events per page (default 50, max 500; 500 with --all)',
        },
        action: {
          type: 'string',
          value: '<action>',
          description: 'Only this action, e.g. deployment.deploy',
        },
        target: { type: 'string', value: '<target>', description: 'Only events about this target' },
        cursor: {
          type: 'string',
          value: '<c>',
          description: 'Start after this event: the cursor printed by the previous page',
        },
        all: { type: 'boolean', description: 'Every page, following the cursors' },
      },
      positionals: { min: 0, max: 0 },
      examples: [
        'promptline audit list --limit 20',
        'promptline audit list --limit 20 --cursor 180',
        'promptline audit list --action deployment.deploy --all --json',
      ],
      async run(input, ctx) {
        const limitText = input.string('limit');
        const all = input.flag('all');
        const cursor = input.string('cursor');
        if (cursor !== undefined && !/^\d+$/.test(cursor)) {
          throw new UsageError(`--cursor must be the number printed by the previous page, got "${cursor}"`);
        }
        // --all fetches whole pages: fewer round trips for the same events.
        const limit =
          limitText === undefined ? (all ? MAX_PAGE : undefined) : parsePositiveInt(limitText, '--limit');
        const filter = { action: input.string('action'), target: input.string('target') };
        let page = await ctx.api.listAudit({ ...(limit === undefined ? {} : { limit }), ...filter, cursor });
        const items = [...page.items];
        while (all && page.nextCursor !== null) {
          page = await ctx.api.listAudit({
            ...(limit === undefined ? {} : { limit }),
            ...filter,
            cursor: page.nextCursor,
          });
          items.push(...page.items);
        }
        if (ctx.printJson({ items, nextCursor: page.nextCursor })) return;
        const rows = items.map((event) => [
          String(event.id),
          event.at,
          event.actor,
          event.action,
          `${event.targetType} ${event.target}`,
          event.hash.slice(0, 12),
        ]);
        ctx.out(formatTable(['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'HASH'], rows, ctx.color));
        if (page.nextCursor !== null) {
          const again = [
            'promptline audit list',
            ...(limitText === undefined ? [] : ['--limit', limitText]),
            ...(filter.action === undefined ? [] : ['--action', shellQuote(filter.action)]),
            ...(filter.target === undefined ? [] : ['--target', shellQuote(filter.target)]),
            '--cursor',
            page.nextCursor,
          ].join(' ');
          ctx.out(`\nMore events: ${again}  (or --all for every page)\n`);
        }
      },
    },
    verify: {
      name: 'audit verify',
      usage: '[--head <hash>] [options]',
      summary:
        'Recompute the hash chain and every row it seals; exit 1 naming the broken event or each altered row',
      description:
        'Recomputes each event of the chain, then every version and deployment history row against the\n' +
        'hash the chain recorded for it, and each live release against its history entry. With --head\n' +
        '(a hash printed earlier by `promptline audit head`), also fails when that event is gone: the\n' +
        'newest events were removed.',
      options: {
        head: {
          type: 'string',
          value: '<hash>',
          description: 'A head recorded earlier (`promptline audit head`): detect removal of newer events',
        },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline audit verify', 'promptline audit verify --head 3f1c…(64 hex digits)'],
      async run(input, ctx) {
        const head = input.string('head');
        if (head !== undefined && !/^[0-9a-f]{64}$/.test(head)) {
          throw new UsageError(
            `--head must be the 64 hex digits printed by \`promptline audit head\`, got "${head}"`,
          );
        }
        const result = await ctx.api.verifyAudit({ head });
        if (!ctx.printJson(result)) {
          const rows = result.rowsChecked === undefined ? '' : `, ${result.rowsChecked} sealed rows`;
          if (result.ok) {
            ctx.out(
              `${paint('green', 'ok', ctx.color)}: audit chain intact (${result.checked} events checked${rows})` +
                `${head === undefined ? '' : '; the recorded head is in the chain'}\n`,
            );
          } else if (result.brokenAt !== null) {
            ctx.err(
              `${paint('red', 'error AUDIT_CHAIN_BROKEN', ctx.color)}: the chain breaks at event #${result.brokenAt}` +
                `${result.reason ? ` (${result.reason})` : ''}; that row or one before it was altered after it was written\n`,
            );
          } else if ((result.tampered ?? []).length === 0) {
            ctx.err(
              `${paint('red', 'error AUDIT_CHAIN_BROKEN', ctx.color)}: ${result.reason ?? 'verification failed'}\n`,
            );
          }
          for (const row of result.tampered ?? []) {
            ctx.err(`${paint('red', 'error AUDIT_ROW_TAMPERED', ctx.color)}: ${row.reason}\n`);
          }
        }
        return result.ok ? EXIT.ok : EXIT.failure;
      },
    },
    head: {
      name: 'audit head',
      usage: '[options]',
      summary: 'Print the newest event of the chain: keep its hash to detect truncation later',
      positionals: { min: 0, max: 0 },
      examples: ['promptline audit head', 'promptline audit head --json > head.json'],
      async run(_input, ctx) {
        const head = await ctx.api.auditHead();
        if (!ctx.printJson(head)) {
          ctx.out(`${head.hash}\n`);
          ctx.err(
            `event #${head.id ?? '-'} at ${head.at ?? '-'}, ${head.count} events; later: promptline audit verify --head ${head.hash}\n`,
          );
        }
        return EXIT.ok;
      },
    },
    checkpoint: {
      name: 'audit checkpoint',
      usage: '[options]',
      summary: 'Print the head of the chain signed with the server key (Ed25519), as JSON',
      description:
        'Store the output somewhere the database administrators cannot write. The signature covers\n' +
        'the canonical JSON of `payload`; docs/governance.md shows how to verify it.',
      positionals: { min: 0, max: 0 },
      examples: ['promptline audit checkpoint > checkpoint-2026-03-01.json'],
      async run(_input, ctx) {
        const checkpoint = await ctx.api.auditCheckpoint();
        ctx.out(`${JSON.stringify(checkpoint, null, 2)}\n`);
        return EXIT.ok;
      },
    },
    lineage: lineageCommand,
    served: servedCommand,
  },
});

/** The largest page the server answers (AuditQuery's `limit` maximum). */
const MAX_PAGE = 500;

/** Quotes a value for the copy-pasteable hint when the shell would split or expand it. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
