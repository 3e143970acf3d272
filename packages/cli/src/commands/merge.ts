/**
 * `promptline merge <prompt> <branch>`: a three-way merge; conflicts go to a file with markers.
 * Apart from branches.ts because only it needs the .prompt format and the merge markers (yaml, zod).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ChatMessage, MergePreview, MergeTextPart } from '@promptline/core';
import { hasConflictMarkers, withConflictMarkers } from '@promptline/core/merge';
import { parsePromptFile, serializePromptFile } from '@promptline/core/prompt-file';
import { parsePositiveInt } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { defineCommand } from '../kit.ts';

const block = (m: ChatMessage): string =>
  'type' in m
    ? `{{placeholder "${m.name}"}}\n`
    : `{{role "${m.role}"}}\n${m.content}${m.content.endsWith('\n') ? '' : '\n'}`;

/** The body of the conflict file: the template, or the messages as `{{role}}` blocks, with markers. */
export function conflictBody(preview: MergePreview, ours: string, theirs: string): string {
  const marked = (parts: readonly MergeTextPart[]) => withConflictMarkers(parts, ours, theirs);
  if (preview.template) return marked(preview.template);
  if (preview.messages) {
    return preview.messages
      .map((part) => {
        if (part.op === 'clean') return part.messages.map(block).join('');
        if (part.op === 'text') return `{{role "${part.role}"}}\n${marked(part.parts)}`;
        const side = (list: ChatMessage[]) => list.map(block).join('');
        return marked([
          { op: 'conflict', base: side(part.base), ours: side(part.ours), theirs: side(part.theirs) },
        ]);
      })
      .join('');
  }
  const content = preview.content;
  const whole = (c: NonNullable<typeof content>['ours']) =>
    c.type === 'text' ? c.template : c.messages.map(block).join('');
  return content
    ? marked([{ op: 'conflict', base: '', ours: whole(content.ours), theirs: whole(content.theirs) }])
    : '';
}

export const mergeCommand = defineCommand({
  name: 'merge',
  usage:
    '<prompt> <branch> [--into <main|branch>] [-o <file>] [--resolved <file> --parents <ours>,<theirs>] [options]',
  summary: 'Three-way merge a branch into main (or another branch); conflicts go to a file with markers',
  description:
    'A clean merge saves a merge version with two parents on the target line. On conflicts nothing is\n' +
    'saved: the merged prompt is written to a .prompt file (-o, default <last name segment>.merge.prompt)\n' +
    'with git-style markers (<<<<<<< main / ======= / >>>>>>> <branch>) around each conflict, config\n' +
    'conflicts keep the target’s value and are listed; exit 1. Edit the file, then run the printed\n' +
    '`promptline merge … --resolved <file> --parents <ours>,<theirs>` to save it.',
  options: {
    into: { type: 'string', value: '<line>', description: 'Target: main (default) or a branch' },
    output: { type: 'string', short: 'o', value: '<file>', description: 'Where to write conflicts' },
    resolved: {
      type: 'string',
      value: '<file>',
      description: 'Save this resolved .prompt file as the merge',
    },
    parents: {
      type: 'string',
      value: '<o>,<t>',
      description: 'The two heads the resolution was made against',
    },
    message: { type: 'string', short: 'm', value: '<text>', description: 'Commit message of the merge' },
  },
  positionals: { min: 2, max: 2 },
  examples: [
    'promptline merge support/triage experiment/shorter',
    'promptline merge support/triage experiment/shorter --resolved triage.merge.prompt --parents 5,4',
  ],
  async run(input, ctx) {
    const [name = '', branch = ''] = input.positionals;
    const into = input.string('into') ?? 'main';
    const message = input.string('message');
    const resolvedFile = input.string('resolved');
    const base = { branch, into, ...(message === undefined ? {} : { message }) };
    if (resolvedFile !== undefined) {
      const parentsText = input.string('parents');
      const match = parentsText === undefined ? null : /^(\d+),(\d+)$/.exec(parentsText);
      if (!match)
        throw new UsageError(
          '--resolved needs --parents <ours>,<theirs> (printed when the conflict was written)',
        );
      const text = await readFile(resolvedFile, 'utf8');
      if (hasConflictMarkers(text)) {
        throw new UsageError(
          `${resolvedFile} still has conflict markers (<<<<<<<, =======, >>>>>>>): resolve them first`,
        );
      }
      const file = parsePromptFile(text);
      const result = await ctx.api.merge(name, {
        ...base,
        resolved: { ...file.content, config: file.config },
        parents: {
          ours: parsePositiveInt(match[1] ?? '', '--parents'),
          theirs: parsePositiveInt(match[2] ?? '', '--parents'),
        },
      });
      if (!ctx.printJson(result))
        ctx.out(
          `Merged ${branch} into ${into}: ${name} v${result.version.number} (${result.version.semver})\n`,
        );
      return EXIT.ok;
    }
    const preview = await ctx.api.previewMerge(name, branch, into);
    if (preview.conflicts === 0) {
      const result = await ctx.api.merge(name, {
        ...base,
        parents: { ours: preview.ours, theirs: preview.theirs },
      });
      if (!ctx.printJson(result))
        ctx.out(
          `Merged ${branch} into ${into}: ${name} v${result.version.number} (${result.version.semver})\n`,
        );
      return EXIT.ok;
    }
    const out = input.string('output') ?? `${name.split('/').at(-1) ?? name}.merge.prompt`;
    const prompt = await ctx.api.getPrompt(name);
    const head = await ctx.api.getVersion(name, preview.ours);
    const front = serializePromptFile({
      description: prompt.description,
      owner: prompt.owner,
      tags: prompt.tags,
      content: { type: 'text', template: '' },
      config: preview.config,
      variables: [],
      base: { version: head.number, semver: head.semver, hash: head.hash },
    });
    // The serialised empty template is one "\n" after the front matter; the body takes its place.
    await writeFile(out, `${front.slice(0, -1)}${conflictBody(preview, into, branch)}\n`);
    if (!ctx.printJson(preview)) {
      const keys = preview.configConflicts.map(
        (c) =>
          `  config ${c.key}: ${into}=${JSON.stringify(c.ours)} ${branch}=${JSON.stringify(c.theirs)} (kept ${into}'s)\n`,
      );
      ctx.err(
        `error MERGE_CONFLICT: ${preview.conflicts} conflict(s) merging ${branch} into ${into} of ${name}; nothing saved.\n` +
          keys.join('') +
          `Wrote ${out}. Resolve the markers, then run:\n` +
          `  promptline merge ${name} ${branch}${into === 'main' ? '' : ` --into ${into}`} --resolved ${out} --parents ${preview.ours},${preview.theirs}\n`,
      );
    }
    return EXIT.failure;
  },
});
