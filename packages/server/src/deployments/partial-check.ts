/**
 * The deploy-time check of an environment's partial graph: a change of what an environment serves
 * (deploy, variants, kill switch, rollback) is refused when, after it, some served prompt's render
 * would fail on a partial — one the environment does not serve, a cycle, or too deep a chain.
 */
import {
  AppError,
  type ErrorCode,
  extractPartials,
  type PartialProblem,
  type PartialUnavailable,
  partialGraphProblems,
  type Release,
  type ServedForGraph,
  targetedVersions,
  type VersionContent,
} from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { PromptStore } from '../prompts/store.ts';

/** What a refused (or forced) change would have broken, as the problem document's members. */
export interface PartialBreakage {
  code: ErrorCode;
  message: string;
  details: {
    environment: string;
    prompt: string;
    missing: { partial: string; reason: PartialUnavailable; includedBy: string[] }[];
    cycles: string[][];
    tooDeep: { path: string[]; maxDepth: number }[];
  };
}

/** The releases an environment serves, with each variant's content, as the graph check reads them. */
async function graphOf(
  db: Db,
  prompts: PromptStore,
  releases: readonly { promptId: number; prompt: string; release: Release }[],
): Promise<Map<string, ServedForGraph>> {
  // Versions only targeting serves are served too: their partials must resolve as well.
  const picked = (r: Release) => [
    ...r.variants.filter((v) => v.weight > 0).map((v) => v.version),
    ...targetedVersions(r.variants, r.targeting),
  ];
  const versions = await prompts.findVersions(
    db,
    releases
      .filter((r) => r.release.enabled)
      .map((r) => ({ promptId: r.promptId, name: r.prompt, numbers: picked(r.release) })),
  );
  const contents = new Map<string, VersionContent>();
  for (const v of versions) {
    contents.set(
      `${v.promptId}:${v.number}`,
      v.type === 'text' ? { type: 'text', template: v.template } : { type: 'chat', messages: v.messages },
    );
  }
  const graph = new Map<string, ServedForGraph>();
  for (const { promptId, prompt, release } of releases) {
    graph.set(prompt, {
      enabled: release.enabled,
      contents: picked(release).flatMap((n) => contents.get(`${promptId}:${n}`) ?? []),
    });
  }
  return graph;
}

/**
 * True when the problem breaks a served prompt other than `name` (the prompt being changed): it
 * involves another prompt, or another served prompt includes `name` and so meets its problems.
 */
function breaksAnother(problem: PartialProblem, name: string, included: boolean): boolean {
  if (included) return true;
  if (problem.kind === 'missing') return problem.includedBy !== name;
  if (problem.kind === 'cycle') return problem.cycle.some((n) => n !== name);
  return problem.path[0] !== name;
}

const REASON: Record<PartialUnavailable, string> = {
  'not-deployed': 'not deployed there',
  disabled: 'switched off',
  chat: 'a chat prompt, which cannot be included',
};

const quoteAll = (names: readonly string[]) => {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
};

/**
 * Compares the environment's partial graph before and after a change of `name`'s release and
 * returns what the change would newly break, or undefined when nothing. Problems already present
 * before the change never block it (deploying the missing partial must stay possible). With
 * `onlyOthers` (rollback and kill switch, which must stay usable in an emergency) only problems of
 * other served prompts count.
 */
export async function partialBreakage(
  db: Db,
  prompts: PromptStore,
  change: {
    environment: string;
    promptId: number;
    prompt: string;
    /** Every release the environment serves now (the changed prompt's included when deployed). */
    current: readonly { promptId: number; prompt: string; release: Release }[];
    next: Release;
    onlyOthers: boolean;
  },
): Promise<PartialBreakage | undefined> {
  const before = change.current;
  const after = [
    ...before.filter((r) => r.promptId !== change.promptId),
    { promptId: change.promptId, prompt: change.prompt, release: change.next },
  ];
  const [beforeGraph, afterGraph] = [await graphOf(db, prompts, before), await graphOf(db, prompts, after)];
  const known = new Set(partialGraphProblems(beforeGraph).map((p) => p.key));
  const afterProblems = partialGraphProblems(afterGraph);
  const included = [...afterGraph].some(
    ([other, served]) =>
      other !== change.prompt &&
      served.enabled &&
      served.contents.some((c) => extractPartials(c).includes(change.prompt)),
  );
  const added = afterProblems.filter(
    (p) => !known.has(p.key) && (!change.onlyOthers || breaksAnother(p, change.prompt, included)),
  );
  if (added.length === 0) return undefined;

  const env = change.environment;
  const missing = new Map<string, { partial: string; reason: PartialUnavailable; includedBy: string[] }>();
  const cycles: string[][] = [];
  const tooDeep: { path: string[]; maxDepth: number }[] = [];
  for (const p of added) {
    if (p.kind === 'cycle') cycles.push(p.cycle);
    else if (p.kind === 'too-deep') tooDeep.push({ path: p.path, maxDepth: p.maxDepth });
    else if (!missing.has(p.partial)) {
      // Every served prompt that includes it depends on it, not only the ones this change broke.
      const includedBy = afterProblems
        .filter((q) => q.kind === 'missing' && q.partial === p.partial)
        .map((q) => (q.kind === 'missing' ? q.includedBy : ''));
      missing.set(p.partial, { partial: p.partial, reason: p.reason, includedBy: [...new Set(includedBy)] });
    }
  }

  const sentences: string[] = [];
  const advice: string[] = [];
  for (const m of missing.values()) {
    const users = m.includedBy;
    sentences.push(
      `${quoteAll(users)} include${users.length === 1 ? 's' : ''} {{> ${m.partial}}}, which ${env} would not serve after this change (${REASON[m.reason]}), so ${users.length === 1 ? 'its' : 'their'} renders would fail with TEMPLATE_PARTIAL_NOT_FOUND.`,
    );
    advice.push(
      m.partial === change.prompt
        ? `Deploy versions of ${quoteAll(users)} without {{> ${m.partial}}} first.`
        : `Deploy "${m.partial}" to ${env} first (as a text prompt), or remove the include.`,
    );
  }
  for (const cycle of cycles) {
    sentences.push(
      `The partials would include each other in a cycle: ${cycle.join(' → ')}, so their renders would fail with TEMPLATE_PARTIAL_CYCLE.`,
    );
    advice.push('Remove one of these includes.');
  }
  for (const deep of tooDeep) {
    sentences.push(
      `Partials would nest deeper than ${deep.maxDepth} levels (${deep.path.join(' → ')}), so renders of "${deep.path[0]}" would fail with TEMPLATE_PARTIAL_TOO_DEEP.`,
    );
    advice.push('Flatten the includes.');
  }
  const code: ErrorCode =
    missing.size > 0
      ? 'DEPLOY_PARTIAL_MISSING'
      : cycles.length > 0
        ? 'DEPLOY_PARTIAL_CYCLE'
        : 'DEPLOY_PARTIAL_TOO_DEEP';
  return {
    code,
    message: `Refused to change what ${env} serves for "${change.prompt}": ${sentences.join(' ')} ${[...new Set(advice)].join(' ')}`,
    details: { environment: env, prompt: change.prompt, missing: [...missing.values()], cycles, tooDeep },
  };
}

/** The refusal of a change that would break the partial graph; `force: true` is the way through. */
export function partialBreakageError(breakage: PartialBreakage): AppError {
  return new AppError(breakage.code, breakage.message, {
    details: breakage.details,
    hint: 'Send "force": true to make the change anyway (recorded in the history).',
  });
}
