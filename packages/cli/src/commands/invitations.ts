/** `promptline invitations create|list|revoke`: one-time links that bring people into the project. */
import type { Role } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { type Context, defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

const ROLES: readonly Role[] = ['admin', 'editor', 'reviewer', 'viewer'];

/**
 * `--project <name>`: invitations go to the project of the key, so the flag is a guard against
 * inviting someone into the wrong project with the wrong key.
 */
async function checkProject(ctx: Context, wanted: string | undefined): Promise<void> {
  if (wanted === undefined) return;
  const { items } = await ctx.api.listProjects();
  const current = items.find((p) => p.current);
  if (current?.name === wanted) return;
  throw new UsageError(
    `--project ${wanted}: this key belongs to project "${current?.name ?? '?'}", and a key's requests stay in its project. ` +
      `Use a key of ${wanted} (an instance admin gets one with \`promptline projects enter ${wanted}\`).`,
  );
}

/** The `invitations` command group. */
export const invitationsCommand = defineGroup({
  name: 'invitations',
  summary: "Invite people to the key's project, list and revoke invitations (admins)",
  commands: {
    create: {
      name: 'invitations create',
      usage: '<email> [--role <role>] [--expires-in <hours>] [--project <name>] [options]',
      summary: 'Invite an email with a role; prints the one-time link once',
      options: {
        role: { type: 'string', value: '<role>', description: 'admin, editor, reviewer or viewer (default)' },
        'expires-in': {
          type: 'string',
          value: '<hours>',
          description: 'How long the link works, in hours (default 168 = 7 days, at most 720)',
        },
        project: {
          type: 'string',
          value: '<name>',
          description: "Refuse unless the key's project is this one",
        },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        'promptline invitations create ada@example.com --role reviewer',
        'promptline invitations create bob@example.com --role editor --expires-in 72 --project support-bot',
      ],
      async run(input, ctx) {
        const role = input.string('role');
        if (role !== undefined && !ROLES.includes(role as Role)) {
          throw new UsageError(`--role must be admin, editor, reviewer or viewer, got "${role}"`);
        }
        const hours = input.string('expires-in');
        const expiresInHours = hours === undefined ? undefined : parsePositiveInt(hours, '--expires-in');
        await checkProject(ctx, input.string('project'));
        const created = await ctx.api.createInvitation({
          email: input.positionals[0] ?? '',
          ...(role === undefined ? {} : { role: role as Role }),
          ...(expiresInHours === undefined ? {} : { expiresInHours }),
        });
        if (ctx.printJson({ ...created, link: `${ctx.api.url}${created.path}` })) return;
        ctx.out(
          `Invited ${created.email} as ${created.role} (invitation #${created.id}, until ${created.expiresAt}).\n` +
            `Send them this one-time link; it is not shown again:\n${ctx.api.url}${created.path}\n`,
        );
      },
    },
    list: {
      name: 'invitations list',
      usage: '[--project <name>] [options]',
      summary: "The project's invitations, newest first, with their status (links are never listed)",
      options: {
        project: {
          type: 'string',
          value: '<name>',
          description: "Refuse unless the key's project is this one",
        },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline invitations list'],
      async run(input, ctx) {
        await checkProject(ctx, input.string('project'));
        const { items } = await ctx.api.listInvitations();
        if (ctx.printJson({ items })) return;
        const rows = items.map((i) => [String(i.id), i.email, i.role, i.status, i.createdBy, i.expiresAt]);
        ctx.out(formatTable(['ID', 'EMAIL', 'ROLE', 'STATUS', 'BY', 'EXPIRES'], rows, ctx.color));
      },
    },
    revoke: {
      name: 'invitations revoke',
      usage: '<id> [options]',
      summary: 'Revoke a pending invitation: its link stops working',
      positionals: { min: 1, max: 1 },
      examples: ['promptline invitations revoke 4'],
      async run(input, ctx) {
        const id = parsePositiveInt(input.positionals[0] ?? '', 'invitation id');
        const revoked = await ctx.api.revokeInvitation(id);
        if (ctx.printJson(revoked)) return;
        ctx.out(`Revoked invitation #${id} (${revoked.email}); its link no longer works.\n`);
      },
    },
  },
});
