/** `promptline segments list|show|set|delete`: reusable targeting segments (docs/targeting.md). */
import type { PutSegmentRequest } from '@promptline/core';
import { UsageError } from '../errors.ts';
import { defineGroup } from '../kit.ts';
import { formatTable, oneLine } from '../output.ts';

/** The `segments` command group. */
export const segmentsCommand = defineGroup({
  name: 'segments',
  summary: 'List, show, set and delete targeting segments',
  commands: {
    list: {
      name: 'segments list',
      usage: '[options]',
      summary: "List the project's segments",
      positionals: { min: 0, max: 0 },
      examples: ['promptline segments list'],
      async run(_input, ctx) {
        const { items } = await ctx.api.listSegments();
        if (ctx.printJson({ items })) return;
        const rows = items.map((s) => [
          s.name,
          String(s.units.length),
          s.when === null ? '-' : oneLine(JSON.stringify(s.when), 60),
          oneLine(s.description, 40),
        ]);
        ctx.out(formatTable(['NAME', 'UNITS', 'WHEN', 'DESCRIPTION'], rows, ctx.color));
      },
    },
    show: {
      name: 'segments show',
      usage: '<name> [options]',
      summary: 'Show one segment (as JSON)',
      positionals: { min: 1, max: 1 },
      examples: ['promptline segments show internal'],
      async run(input, ctx) {
        const segment = await ctx.api.getSegment(input.positionals[0] ?? '');
        if (ctx.printJson(segment)) return;
        ctx.out(`${JSON.stringify(segment, null, 2)}\n`);
      },
    },
    set: {
      name: 'segments set',
      usage: '<name> [--when <json>] [--units <u1,u2,…>] [--description <text>] [options]',
      summary: 'Create or replace a segment',
      options: {
        when: {
          type: 'string',
          value: '<json>',
          description: 'A condition, e.g. {"attribute":"email","op":"endsWith","value":"@acme.com"}',
        },
        units: { type: 'string', value: '<u1,u2,…>', description: 'Units the segment lists' },
        description: { type: 'string', value: '<text>', description: 'What it is' },
      },
      positionals: { min: 1, max: 1 },
      examples: [
        `promptline segments set internal --when '{"attribute":"email","op":"endsWith","value":"@acme.com"}' --units user-7`,
      ],
      async run(input, ctx) {
        const name = input.positionals[0] ?? '';
        const body: PutSegmentRequest = {};
        const when = input.string('when');
        if (when !== undefined) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(when);
          } catch {
            throw new UsageError(
              `--when is not JSON: give e.g. --when '{"attribute":"plan","op":"eq","value":"pro"}'`,
            );
          }
          const { Condition } = await import('@promptline/core/targeting-schema');
          const checked = Condition.safeParse(parsed);
          if (!checked.success)
            throw new UsageError('--when is not a condition (see docs/targeting.md, "Conditions")');
          body.when = checked.data;
        }
        const units = input.string('units');
        if (units !== undefined) body.units = units.split(',').filter((u) => u !== '');
        const description = input.string('description');
        if (description !== undefined) body.description = description;
        if (body.when === undefined && body.units === undefined)
          throw new UsageError('give --when <json> and/or --units <u1,u2,…>');
        const segment = await ctx.api.putSegment(name, body);
        if (ctx.printJson(segment)) return;
        ctx.out(
          `Segment ${segment.name}: ${segment.units.length} unit(s)${segment.when ? ' and a condition' : ''}\n`,
        );
      },
    },
    delete: {
      name: 'segments delete',
      usage: '<name> [options]',
      summary: 'Delete a segment no live release uses',
      positionals: { min: 1, max: 1 },
      examples: ['promptline segments delete internal'],
      async run(input, ctx) {
        const name = input.positionals[0] ?? '';
        await ctx.api.deleteSegment(name);
        if (!ctx.printJson({ deleted: name })) ctx.out(`Deleted segment ${name}\n`);
      },
    },
  },
});
