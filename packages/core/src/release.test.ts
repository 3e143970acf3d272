import { describe, expect, it } from 'vitest';
import { bucketOf } from './bucketing.ts';
import { AppError } from './errors.ts';
import { chooseVariant, normalizeRelease, singleVersion } from './release.ts';
import type { DeployRequest } from './schemas.ts';

function invalid(request: DeployRequest): AppError {
  try {
    normalizeRelease(request);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected normalizeRelease to throw');
}

describe('normalizeRelease', () => {
  it('turns {version} into one variant with all the weight, enabled by default', () => {
    expect(normalizeRelease({ version: 3 })).toEqual({
      variants: [{ version: 3, weight: 10_000 }],
      enabled: true,
    });
    expect(normalizeRelease({ version: 3, enabled: false, reason: 'incident' })).toEqual({
      variants: [{ version: 3, weight: 10_000 }],
      enabled: false,
    });
  });

  it('keeps variants in the order given, zero weights included, without extra fields', () => {
    const request = {
      variants: [
        { version: 4, weight: 0 },
        { version: 3, weight: 10_000 },
      ],
      reason: 'start rollout',
    };
    expect(normalizeRelease(request)).toEqual({
      variants: [
        { version: 4, weight: 0 },
        { version: 3, weight: 10_000 },
      ],
      enabled: true,
    });
  });

  it('rejects weights that do not sum to 10 000, naming the sum', () => {
    const error = invalid({
      variants: [
        { version: 2, weight: 500 },
        { version: 1, weight: 9000 },
      ],
    });
    expect(error.code).toBe('INVALID_WEIGHTS');
    expect(error.status).toBe(422);
    expect(error.errors).toEqual([{ path: 'variants', message: expect.stringContaining('sum to 9500') }]);
  });

  it('rejects a repeated version at the repeating field', () => {
    const error = invalid({
      variants: [
        { version: 2, weight: 5000 },
        { version: 2, weight: 5000 },
      ],
    });
    expect(error.code).toBe('INVALID_WEIGHTS');
    expect(error.errors?.map((e) => e.path)).toEqual(['variants.1.version']);
  });

  it('rejects an empty list and out-of-range or fractional weights, per field', () => {
    expect(invalid({ variants: [] }).errors?.map((e) => e.path)).toEqual(['variants']);
    const error = invalid({
      variants: [
        { version: 1, weight: 10_500 },
        { version: 2, weight: -500 },
        { version: 3, weight: 0.5 },
      ],
    });
    expect(error.errors?.map((e) => e.path)).toEqual([
      'variants.0.weight',
      'variants.1.weight',
      'variants.2.weight',
    ]);
    expect(error.message).toContain('variants.1.weight');
  });
});

describe('chooseVariant', () => {
  const variants = [
    { version: 4, weight: 2500 },
    { version: 3, weight: 7500 },
  ];

  it('with a unit, picks by the bucket of "<prompt>:<unit>", the same every time', () => {
    for (let i = 0; i < 500; i++) {
      const unit = `user-${i}`;
      const expected = bucketOf('support/triage', unit) < 2500 ? 0 : 1;
      expect(chooseVariant('support/triage', variants, unit)).toBe(expected);
      expect(chooseVariant('support/triage', variants, unit, () => 0.99)).toBe(expected);
    }
  });

  it('without a unit, uses random() × 10 000 against the cumulative weights', () => {
    expect(chooseVariant('p', variants, undefined, () => 0)).toBe(0);
    expect(chooseVariant('p', variants, undefined, () => 0.2499)).toBe(0);
    expect(chooseVariant('p', variants, undefined, () => 0.25)).toBe(1);
    expect(chooseVariant('p', variants, undefined, () => 0.999_999_9)).toBe(1);
    // A random source that reaches 1 must not fall off the end.
    expect(chooseVariant('p', variants, undefined, () => 1)).toBe(1);
  });

  it('never picks a zero-weight variant, with or without a unit', () => {
    const rollout = [
      { version: 5, weight: 0 },
      { version: 4, weight: 10_000 },
    ];
    for (let i = 0; i < 2000; i++) {
      expect(chooseVariant('p', rollout, `u${i}`)).toBe(1);
      expect(chooseVariant('p', rollout, undefined, () => i / 2000)).toBe(1);
    }
  });

  it('spreads random picks by weight with the default Math.random', () => {
    let first = 0;
    for (let i = 0; i < 20_000; i++) if (chooseVariant('p', variants) === 0) first++;
    expect(first / 20_000).toBeGreaterThan(0.22);
    expect(first / 20_000).toBeLessThan(0.28);
  });
});

describe('singleVersion', () => {
  it('answers the version of a one-variant release and null otherwise', () => {
    expect(singleVersion([{ version: 7, weight: 10_000 }])).toBe(7);
    expect(
      singleVersion([
        { version: 7, weight: 5000 },
        { version: 6, weight: 5000 },
      ]),
    ).toBeNull();
    expect(singleVersion([])).toBeNull();
  });
});
