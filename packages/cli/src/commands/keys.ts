/** `promptline keys create|list|revoke`: API keys of the project. */
import type { Role } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

const ROLES: readonly Role[] = ['admin', 'editor', 'reviewer', 'viewer'];

/** The `keys` command group. */
export const keysCommand = defineGroup({
  name: 'keys',
  summary: 'Create, list and revoke API keys',
  commands: {
    create: {
      name: 'keys create',
      usage: '<name> [--role admin|editor|reviewer|viewer] [options]',
      summary: 'Create an API key; the secret is printed once',
      options: {
        role: { type: 'string', value: '<role>', description: 'admin, editor (default) or viewer' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline keys create ci --role editor'],
      async run(input, ctx) {
        const role = input.string('role');
        if (role !== undefined && !ROLES.includes(role as Role)) {
          throw new UsageError(`--role must be admin, editor or viewer, got "${role}"`);
        }
        const key = await ctx.api.createApiKey({
          name: input.positionals[0] ?? '',
          ...(role === undefined ? {} : { role: role as Role }),
        });
        if (ctx.printJson(key)) return;
        ctx.out(
          `Created ${key.role} key #${key.id} "${key.name}". Store it now, it is not shown again:\n${key.key}\n`,
        );
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
        ]);
        ctx.out(
          formatTable(['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'STATE'], rows, ctx.color),
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
