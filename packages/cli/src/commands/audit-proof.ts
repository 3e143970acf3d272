/**
 * `promptline audit lineage|served`: what production served, provably — a prompt's lineage (every
 * version live in an environment, who wrote and approved it, the eval run that gated it) and an
 * environment's releases at a past instant, both with the audit chain's proof.
 */
import { writeFile } from 'node:fs/promises';
import { EXIT, UsageError } from '../errors.ts';
import type { CommandSpec } from '../kit.ts';
import { formatTable, paint } from '../output.ts';

interface Period {
  from: string;
  until: string | null;
  weight: number;
  actor: string;
  approvedBy: string[];
  gate: { runId: number; dataset: string | null } | null;
  proof: { eventId: number } | null;
}
interface LineageBody {
  versions: Array<{ number: number; semver: string; author: string; hash: string; live: Period[] }>;
  chain: { ok: boolean; checked: number };
}
interface ServedBody {
  prompts: Array<{
    prompt: string;
    enabled: boolean;
    variants: Array<{ weight: number; version: { number: number; semver: string; hash: string } }>;
    entry: { id: number; actor: string; at: string };
    proof: { eventId: number } | null;
  }>;
  chain: { ok: boolean; checked: number };
}

const share = (weight: number) => `${weight / 100}%`;

function chainLine(chain: { ok: boolean; checked: number }, color: boolean): string {
  return chain.ok
    ? `${paint('green', 'ok', color)}: audit chain verified (${chain.checked} events)\n`
    : `${paint('red', 'error AUDIT_CHAIN_BROKEN', color)}: the audit chain does not verify; run \`promptline audit verify\` for the rows\n`;
}

export const lineageCommand: CommandSpec = {
  name: 'audit lineage',
  usage: '<prompt> [--env <env>] [--html <file>] [options]',
  summary: 'Every version live in an environment: author, approvers, gating eval run, when, proofs',
  description:
    'Oldest first, each period a version was live (from, until, share), who made it live, who\n' +
    'approved it, the eval run that let it through the gate and the audit event that sealed it.\n' +
    '--html writes the printable report to a file. Exits 1 when the audit chain does not verify.',
  options: {
    env: { type: 'string', value: '<env>', description: 'The environment (default production)' },
    html: { type: 'string', value: '<file>', description: 'Write the printable HTML report to this file' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'promptline audit lineage support/triage',
    'promptline audit lineage support/triage --env staging --html lineage.html',
  ],
  async run(input, ctx) {
    const [name = ''] = input.positionals;
    const env = input.string('env') ?? 'production';
    const html = input.string('html');
    if (html !== undefined) {
      await writeFile(html, await ctx.api.lineageHtml(name, env));
      ctx.err(`Wrote the lineage of ${name} in ${env} to ${html}.\n`);
    }
    const body = (await ctx.api.lineage(name, env)) as unknown as LineageBody;
    if (!ctx.printJson(body)) {
      const rows = body.versions.flatMap((v) =>
        v.live.map((l) => [
          `v${v.number} ${v.semver}`,
          v.author,
          l.from,
          l.until ?? 'live',
          share(l.weight),
          l.actor,
          l.approvedBy.join(', ') || '-',
          l.gate ? `run ${l.gate.runId}` : '-',
          l.proof ? `#${l.proof.eventId}` : '-',
        ]),
      );
      ctx.out(
        rows.length === 0
          ? `Nothing of ${name} has been live in ${env}.\n`
          : formatTable(
              ['VERSION', 'AUTHOR', 'FROM', 'UNTIL', 'SHARE', 'BY', 'APPROVED BY', 'GATE', 'SEALED'],
              rows,
              ctx.color,
            ),
      );
      ctx.err(chainLine(body.chain, ctx.color));
    }
    return body.chain.ok ? EXIT.ok : EXIT.failure;
  },
};

export const servedCommand: CommandSpec = {
  name: 'audit served',
  usage: '<env> --at <time> [options]',
  summary: 'What an environment served at a past instant, with the audit chain proof',
  description:
    'Every prompt the environment served at <time> (ISO 8601, e.g. 2026-03-01T09:30:00Z): its\n' +
    'versions and shares, the history entry that made it live and the audit event that sealed it.\n' +
    'Exits 1 when the audit chain does not verify.',
  options: { at: { type: 'string', value: '<time>', description: 'The instant, ISO 8601 with a zone' } },
  positionals: { min: 1, max: 1 },
  examples: ['promptline audit served production --at 2026-03-01T09:30:00Z --json > served.json'],
  async run(input, ctx) {
    const [env = ''] = input.positionals;
    const at = input.string('at');
    if (at === undefined || Number.isNaN(Date.parse(at))) {
      throw new UsageError('--at needs an instant in ISO 8601, e.g. --at 2026-03-01T09:30:00Z');
    }
    const body = (await ctx.api.snapshotAt(env, at)) as unknown as ServedBody;
    if (!ctx.printJson(body)) {
      const rows = body.prompts.map((p) => [
        p.prompt,
        p.variants.map((v) => `v${v.version.number} ${share(v.weight)}`).join(' · ') +
          (p.enabled ? '' : ' (off)'),
        p.variants.map((v) => v.version.hash.slice(0, 12)).join(' '),
        `${p.entry.actor} at ${p.entry.at}`,
        p.proof ? `#${p.proof.eventId}` : '-',
      ]);
      ctx.out(
        rows.length === 0
          ? `${env} served nothing at ${at}.\n`
          : formatTable(['PROMPT', 'RELEASE', 'HASH', 'MADE LIVE BY', 'SEALED'], rows, ctx.color),
      );
      ctx.err(chainLine(body.chain, ctx.color));
    }
    return body.chain.ok ? EXIT.ok : EXIT.failure;
  },
};
