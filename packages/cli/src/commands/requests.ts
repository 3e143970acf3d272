/** `promptline requests list|show|approve|reject|cancel`: deployment requests under an environment policy. */
import type { DeploymentRequest } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { EXIT } from '../errors.ts';
import { type CommandSpec, defineGroup } from '../kit.ts';
import { formatTable } from '../output.ts';

function serves(request: DeploymentRequest): string {
  return request.variants
    .map((v) => (request.variants.length === 1 ? `v${v.version}` : `v${v.version}:${v.weight}`))
    .join(',');
}

function describe(request: DeploymentRequest): string {
  const lines = [
    `request #${request.id}: ${request.prompt} → ${request.environment} (${serves(request)}${request.enabled ? '' : ', disabled'})`,
    `status:    ${request.status}${request.staleReason ? ` (${request.staleReason})` : ''}`,
    `author:    ${request.author}`,
    `reason:    ${request.reason}`,
    `approvals: ${request.approvals} of ${request.requiredApprovals}`,
    ...request.decisions.map(
      (d) =>
        `  ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.user} at ${d.at}${d.comment ? `: ${d.comment}` : ''}`,
    ),
    ...(request.historyId === null ? [] : [`deployed:  history entry ${request.historyId}`]),
  ];
  return `${lines.join('\n')}\n`;
}

function decide(action: 'approve' | 'reject' | 'cancel', summary: string): CommandSpec {
  return {
    name: `requests ${action}`,
    usage: '<id> [--comment <text>] [options]',
    summary,
    options: { comment: { type: 'string', value: '<text>', description: 'Why (kept with the decision)' } },
    positionals: { min: 1, max: 1 },
    examples: [`promptline requests ${action} 7 --comment "checked the eval run"`],
    async run(input, ctx) {
      const id = parsePositiveInt(input.positionals[0] ?? '', 'request id');
      const request = await ctx.api.decideRequest(id, action, input.string('comment'));
      if (!ctx.printJson(request)) ctx.out(describe(request));
      return EXIT.ok;
    },
  };
}

/** The `requests` command group. */
export const requestsCommand = defineGroup({
  name: 'requests',
  summary: 'List, show, approve, reject and cancel deployment requests',
  commands: {
    list: {
      name: 'requests list',
      usage: '[--status <status>] [--prompt <name>] [options]',
      summary: 'Deployment requests, newest first (pending ones: --status pending)',
      options: {
        status: {
          type: 'string',
          value: '<status>',
          description: 'pending, deployed, rejected, cancelled or stale',
        },
        prompt: { type: 'string', value: '<name>', description: 'Only requests for this prompt' },
      },
      positionals: { min: 0, max: 0 },
      examples: ['promptline requests list --status pending'],
      async run(input, ctx) {
        const { items } = await ctx.api.listRequests({
          status: input.string('status'),
          prompt: input.string('prompt'),
        });
        if (ctx.printJson({ items })) return EXIT.ok;
        const rows = items.map((r) => [
          String(r.id),
          r.prompt,
          r.environment,
          serves(r),
          r.status,
          `${r.approvals}/${r.requiredApprovals}`,
          r.author,
        ]);
        ctx.out(
          formatTable(['ID', 'PROMPT', 'ENV', 'SERVES', 'STATUS', 'APPROVALS', 'AUTHOR'], rows, ctx.color),
        );
        return EXIT.ok;
      },
    },
    show: {
      name: 'requests show',
      usage: '<id> [options]',
      summary: 'One request with its decisions',
      positionals: { min: 1, max: 1 },
      examples: ['promptline requests show 7'],
      async run(input, ctx) {
        const request = await ctx.api.getRequest(parsePositiveInt(input.positionals[0] ?? '', 'request id'));
        if (!ctx.printJson(request)) ctx.out(describe(request));
        return EXIT.ok;
      },
    },
    approve: decide(
      'approve',
      'Approve a request (not your own); the approval that meets the policy deploys',
    ),
    reject: decide('reject', 'Reject a pending request'),
    cancel: decide('cancel', 'Withdraw your own pending request'),
  },
});
