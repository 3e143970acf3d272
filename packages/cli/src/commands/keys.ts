/** `promptline keys create|list|rotate|revoke`: API keys of the project. */
import type { ApiKey, CreatedApiKey, Role } from '@promptline/core';
import { parseInteger, parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

const ROLES: readonly Role[] = ['admin', 'editor', 'reviewer', 'viewer'];
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--expires`: an ISO 8601 instant, or a duration from now (`90d`, `12h`, `30m`). */
export function parseExpiry(value: string, now = Date.now()): string {
  const duration = /^(\d+)([mhd])$/.exec(value.trim());
  if (duration?.[1] && duration[2]) {
    return new Date(now + Number(duration[1]) * (UNIT_MS[duration[2]] ?? 0)).toISOString();
  }
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at)) {
    throw new UsageError(
      `--expires must be an ISO 8601 time (2027-01-31T00:00:00Z) or a duration like 90d, 12h or 30m, got "${value}"`,
    );
  }
  return new Date(at).toISOString();
}

/** The limits of a key, for lists: `read-only`, `env production`, `prompts support/*`, `expires …`. */
function limitsOf(key: ApiKey): string {
  const parts = [
    key.readOnly ? 'read-only' : '',
    key.environments ? `env ${key.environments.join(',')}` : '',
    key.promptPrefix ? `prompts ${key.promptPrefix}` : '',
    key.expiresAt ? `expires ${key.expiresAt}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : '-';
}

function printCreated(key: CreatedApiKey, verb: string, out: (text: string) => void): void {
  const limits = limitsOf(key);
  out(
    `${verb} ${key.role} key #${key.id} "${key.name}"${limits === '-' ? '' : ` (${limits})`}. Store it now, it is not shown again:\n${key.key}\n`,
  );
}

/** The `keys` command group. */
export const keysCommand = defineGroup({
  name: 'keys',
  summary: 'Create, list, rotate and revoke API keys',
  commands: {
    create: {
      name: 'keys create',
      usage:
        '<name> [--role admin|editor|reviewer|viewer] [--env <env>]… [--prefix <prompts>] [--read-only] [--expires <when>] [options]',
      summary: 'Create an API key; the secret is printed once',
      options: {
        role: {
          type: 'string',
          value: '<role>',
          description: 'admin, editor (default), reviewer or viewer',
        },
        env: {
          type: 'string',
          multiple: true,
          value: '<env>',
          description: 'Limit the key to this environment (repeat, or comma-separate, for several)',
        },
        prefix: {
          type: 'string',
          value: '<prompts>',
          description: 'Limit the key to these prompts: support/* (every name under support/) or one name',
        },
        'read-only': {
          type: 'boolean',
          description:
            'An application key: reads snapshots and streams, resolves and renders, sends traces and scores — nothing else',
        },
        expires: {
          type: 'string',
          value: '<when>',
          description: 'When the key stops working: an ISO 8601 time or a duration (90d, 12h, 30m)',
        },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline keys create ci --role editor',
        'promptline keys create web-app --read-only --env production --expires 90d',
        "promptline keys create support-bot --role editor --prefix 'support/*' --env staging",
      ],
      async run(input, ctx) {
        const role = input.string('role');
        if (role !== undefined && !ROLES.includes(role as Role)) {
          throw new UsageError(`--role must be admin, editor, reviewer or viewer, got "${role}"`);
        }
        const environments = input
          .list('env')
          .flatMap((env) => env.split(','))
          .map((env) => env.trim())
          .filter(Boolean);
        const prefix = input.string('prefix');
        const expires = input.string('expires');
        const readOnly = input.flag('read-only');
        if (readOnly && role !== undefined && role !== 'viewer') {
          throw new UsageError('--read-only keys are viewers: leave out --role, or pass --role viewer');
        }
        const key = await ctx.api.createApiKey({
          name: input.positionals[0] ?? '',
          ...(role === undefined ? {} : { role: role as Role }),
          ...(environments.length > 0 ? { environments } : {}),
          ...(prefix === undefined ? {} : { promptPrefix: prefix }),
          ...(readOnly ? { readOnly } : {}),
          ...(expires === undefined ? {} : { expiresAt: parseExpiry(expires) }),
        });
        if (ctx.printJson(key)) return;
        printCreated(key, 'Created', ctx.out);
      },
    },
    rotate: {
      name: 'keys rotate',
      usage: '<id> [--grace <seconds>] [options]',
      summary: 'Rotate an API key: prints the new secret once; the old one works for the grace period',
      options: {
        grace: {
          type: 'string',
          value: '<seconds>',
          description: 'How long the old secret keeps working (default 3600; 0 stops it at once)',
        },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline keys rotate 3 --grace 600'],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'key id');
        const grace = input.string('grace');
        const seconds = grace === undefined ? undefined : parseInteger(grace, '--grace');
        if (seconds !== undefined && seconds < 0) throw new UsageError('--grace must be 0 or more seconds');
        const key = await ctx.api.rotateApiKey(id, seconds);
        if (ctx.printJson(key)) return;
        printCreated(key, `Rotated key #${id} into`, ctx.out);
        ctx.out(`The old secret stops working in ${seconds ?? 3600} s.\n`);
      },
    },
    list: {
      name: 'keys list',
      usage: '[options]',
      summary: 'List API keys (without their secrets)',
      positionals: { min: 0, max: 0 },
      examples: ['promptline keys list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listApiKeys();
        if (ctx.printJson({ items })) return;
        const rows = items.map((key) => [
          String(key.id),
          key.name,
          key.role,
          `${key.prefix}…`,
          key.createdAt,
          key.lastUsedAt ?? '-',
          key.revokedAt ? `revoked ${key.revokedAt}` : 'active',
          limitsOf(key),
        ]);
        ctx.out(
          formatTable(
            ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'STATE', 'LIMITS'],
            rows,
            ctx.color,
          ),
        );
      },
    },
    revoke: {
      name: 'keys revoke',
      usage: '<id> [options]',
      summary: 'Revoke an API key; requests with it get 401 from then on',
      positionals: { min: 1, max: 1 },
      examples: ['promptline keys revoke 3'],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'key id');
        const key = await ctx.api.revokeApiKey(id);
        if (ctx.printJson(key ?? { id, revoked: true })) return;
        ctx.out(`Revoked key #${id}\n`);
      },
    },
  },
});
