/**
 * The shared targeting vectors (targeting-vectors.json): the TypeScript SDK's and the Python SDK's
 * tests read the same file, so the server, both SDKs put every context on the same version.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseServed, matchTargeting, type TargetingContext, type TargetMatch } from './targeting.ts';
import type { SegmentDefinition, Targeting } from './targeting-schema.ts';
import { type Condition, Targeting as TargetingSchema } from './targeting-schema.ts';

interface Vectors {
  match: {
    description: string;
    targeting: Targeting;
    segments: Record<string, SegmentDefinition>;
    context: TargetingContext;
    match: TargetMatch | null;
  }[];
  served: {
    description: string;
    prompt: string;
    release: { variants: { version: number; weight: number }[]; targeting?: Targeting };
    segments: Record<string, SegmentDefinition>;
    context: TargetingContext;
    index: number;
  }[];
}

export const targetingVectors = JSON.parse(
  readFileSync(new URL('./targeting-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

describe('shared targeting vectors', () => {
  it('are valid targeting and cover every operator, both outcomes, segments and pins', () => {
    const ops = new Set<string>();
    const walk = (c: Condition): void => {
      if ('all' in c) c.all.forEach(walk);
      else if ('any' in c) c.any.forEach(walk);
      else if ('not' in c) walk(c.not);
      else if ('op' in c) ops.add(c.op);
    };
    for (const v of targetingVectors.match) {
      expect(TargetingSchema.safeParse(v.targeting).success, v.description).toBe(true);
      for (const rule of v.targeting.rules ?? []) walk(rule.when);
    }
    expect(ops.size).toBe(12);
    expect(targetingVectors.match.some((v) => v.match === null)).toBe(true);
    expect(targetingVectors.match.some((v) => v.match?.kind === 'pin')).toBe(true);
    expect(targetingVectors.match.some((v) => Object.keys(v.segments).length > 0)).toBe(true);
  });

  it('matchTargeting reproduces every match', () => {
    for (const v of targetingVectors.match) {
      expect(matchTargeting(v.targeting, v.segments, v.context) ?? null, v.description).toEqual(v.match);
    }
  });

  it('chooseServed reproduces every served index', () => {
    for (const v of targetingVectors.served) {
      expect(chooseServed(v.prompt, v.release, v.segments, v.context), v.description).toBe(v.index);
    }
  });
});
