/** `promptline security-events list|verify`: the instance security log (instance admins). */
import { SECURITY_EVENT_TYPES } from '@promptline/core/security-events';
import { parsePositiveInt } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, paint } from '../output.ts';
import { parseSince } from './metrics.ts';

const MAX_PAGE = 500;

/** `--since`/`--until`: a duration before now (`30m`, `24h`, `7d`) or an ISO-8601 time. */
function instant(value: string, flag: string): string {
  try {
    return parseSince(value, Date.now());
  } catch {
    throw new UsageError(
      `${flag} expects a duration such as 30m, 24h or 7d, or an ISO-8601 time; got "${value}"`,
    );
  }
}

/** What an event says, in a few words: method, code, role, project. */
function detail(event: { project: string | null; data: Record<string, unknown> }): string {
  const d = event.data;
  const parts = [
    typeof d.method === 'string' ? d.method : '',
    typeof d.code === 'string' ? d.code : '',
    typeof d.role === 'string' ? `as ${d.role}` : '',
    event.project ? `in ${event.project}` : '',
    typeof d.address === 'string' ? `from ${d.address}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : '-';
}

/** The `security-events` command group. */
export const securityEventsCommand = defineGroup({
  name: 'security-events',
  summary: 'The instance security log: sign-ins, refusals, lockouts, sign-outs (instance admins)',
  commands: {
    list: {
      name: 'security-events list',
      usage:
        '[--type <type>] [--email <email>] [--since <24h|time>] [--until <time>] [--limit <n>] [--cursor <c> | --all] [options]',
      summary: 'List security events of every project, newest first',
      description:
        'Sign-ins, refused sign-ins, lockouts, sign-outs and instance-admin access to projects, of\n' +
        'every person of the instance. Only an instance admin may read it. When older events remain,\n' +
        'the last line names the --cursor of the next page; --all follows the cursors.',
      options: {
        type: {
          type: 'string',
          value: '<type>',
          description: `Only this type: ${SECURITY_EVENT_TYPES.join(', ')}`,
        },
        email: { type: 'string', value: '<email>', description: "Only this person's events" },
        since: {
          type: 'string',
          value: '<when>',
          description: 'From this time on: 30m, 24h, 7d or an ISO-8601 time',
        },
        until: {
          type: 'string',
          value: '<when>',
          description: 'Before this time: 30m, 24h, 7d ago or an ISO-8601 time',
        },
        limit: {
          type: 'string',
          value: '<n>',
          description: 'At most this many events per page (default 50, max 500; 500 with --all)',
        },
        cursor: { type: 'string', value: '<c>', description: 'The cursor printed by the previous page' },
        all: { type: 'boolean', description: 'Every page, following the cursors' },
      },
      positionals: { min: 0, max: 0 },
      examples: [
        'promptline security-events list --type session.sign_in_failed --since 24h',
        'promptline security-events list --email ada@example.com --all --json',
      ],
      async run(input, ctx) {
        const type = input.string('type');
        if (type !== undefined && !(SECURITY_EVENT_TYPES as readonly string[]).includes(type)) {
          throw new UsageError(`--type must be one of ${SECURITY_EVENT_TYPES.join(', ')}; got "${type}"`);
        }
        const cursor = input.string('cursor');
        if (cursor !== undefined && !/^\d+$/.test(cursor)) {
          throw new UsageError(`--cursor must be the number printed by the previous page, got "${cursor}"`);
        }
        const all = input.flag('all');
        const limitText = input.string('limit');
        const limit =
          limitText === undefined ? (all ? MAX_PAGE : undefined) : parsePositiveInt(limitText, '--limit');
        const since = input.string('since');
        const until = input.string('until');
        const filter = {
          type,
          email: input.string('email'),
          from: since === undefined ? undefined : instant(since, '--since'),
          to: until === undefined ? undefined : instant(until, '--until'),
          limit,
        };
        let page = await ctx.api.listSecurityEvents({ ...filter, cursor });
        const items = [...page.items];
        while (all && page.nextCursor !== null) {
          page = await ctx.api.listSecurityEvents({ ...filter, cursor: page.nextCursor });
          items.push(...page.items);
        }
        if (ctx.printJson({ items, nextCursor: page.nextCursor })) return;
        if (items.length === 0) {
          ctx.out('No security events match.\n');
          return;
        }
        const rows = items.map((e) => [String(e.id), e.at, e.type, e.email ?? '-', detail(e)]);
        ctx.out(formatTable(['ID', 'AT', 'TYPE', 'EMAIL', 'DETAIL'], rows, ctx.color));
        if (page.nextCursor !== null) {
          ctx.out(
            `\nMore events: add --cursor ${page.nextCursor} to the same command (or --all for every page)\n`,
          );
        }
      },
    },
    verify: {
      name: 'security-events verify',
      usage: '[options]',
      summary: "Recompute the security log's hash chain; exit 1 naming the first broken event",
      positionals: { min: 0, max: 0 },
      examples: ['promptline security-events verify'],
      async run(_input, ctx) {
        const result = await ctx.api.verifySecurityEvents();
        if (!ctx.printJson(result)) {
          if (result.ok) {
            ctx.out(
              `${paint('green', 'ok', ctx.color)}: security log intact (${result.checked} events checked)` +
                (result.head ? `; head ${result.head}\n` : '\n'),
            );
          } else {
            ctx.err(`error SECURITY_LOG_BROKEN: ${result.reason ?? `event ${result.brokenAt} is broken`}\n`);
          }
        }
        return result.ok ? EXIT.ok : EXIT.failure;
      },
    },
  },
});
