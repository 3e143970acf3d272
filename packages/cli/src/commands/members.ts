/** `promptline members list|set|remove`: the people of the key's project and their roles. */
import type { Role } from '@promptline/core';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

const ROLES: readonly Role[] = ['admin', 'editor', 'reviewer', 'viewer'];

/** The `members` command group. */
export const membersCommand = defineGroup({
  name: 'members',
  summary: "The people of the key's project and their roles",
  commands: {
    list: {
      name: 'members list',
      usage: '[options]',
      summary: 'Every member with role, status and since when',
      positionals: { min: 0, max: 0 },
      examples: ['promptline members list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listMembers();
        if (ctx.printJson({ items })) return;
        const rows = items.map((m) => [
          String(m.user.id),
          m.user.email,
          m.user.name,
          m.role,
          m.user.status,
          m.since,
        ]);
        ctx.out(formatTable(['ID', 'EMAIL', 'NAME', 'ROLE', 'STATUS', 'SINCE'], rows, ctx.color));
      },
    },
    set: {
      name: 'members set',
      usage: '<email> --role <role> [--name <name>] [options]',
      summary: 'Add someone (an invited account when new) or change their role (admins)',
      options: {
        role: { type: 'string', value: '<role>', description: 'admin, editor, reviewer or viewer' },
        name: { type: 'string', value: '<name>', description: 'Display name of someone not known yet' },
      },
      positionals: { min: 1, max: 1 },
      examples: ['promptline members set ada@example.com --role reviewer'],
      async run(input, ctx) {
        const role = input.required('role');
        if (!ROLES.includes(role as Role)) {
          throw new UsageError(`--role must be admin, editor, reviewer or viewer, got "${role}"`);
        }
        const name = input.string('name');
        const member = await ctx.api.putMember({
          email: input.positionals[0] ?? '',
          role: role as Role,
          ...(name === undefined ? {} : { name }),
        });
        if (ctx.printJson(member)) return;
        ctx.out(`${member.user.email} (#${member.user.id}, ${member.user.status}) is ${member.role}\n`);
      },
    },
    remove: {
      name: 'members remove',
      usage: '<email|id> [options]',
      summary: 'Remove someone from the project; their keys here stop working (admins)',
      positionals: { min: 1, max: 1 },
      examples: ['promptline members remove ada@example.com'],
      async run(input, ctx) {
        const who = (input.positionals[0] ?? '').trim().toLowerCase();
        const { items } = await ctx.api.listMembers();
        const member = /^\d+$/.test(who)
          ? items.find((m) => m.user.id === Number(who))
          : items.find((m) => m.user.email === who);
        if (!member) {
          throw new UsageError(`"${who}" is not a member of this project; see \`promptline members list\``);
        }
        await ctx.api.removeMember(member.user.id);
        if (ctx.printJson({ removed: member.user.email, id: member.user.id })) return;
        ctx.out(`Removed ${member.user.email} from the project\n`);
      },
    },
  },
});
