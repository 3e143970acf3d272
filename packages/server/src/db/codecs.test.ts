import { AppError, Variant } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeJsonAs } from './codecs.ts';

const Variants = z.array(Variant);

describe('decodeJsonAs', () => {
  it('returns the parsed value when the stored JSON matches the schema', () => {
    expect(decodeJsonAs(Variants, '[{"version":2,"weight":10000}]', 'variants')).toEqual([
      { version: 2, weight: 10_000 },
    ]);
  });

  it('refuses a stored value of the wrong shape with INTERNAL, naming the column and the field', () => {
    const error = (() => {
      try {
        decodeJsonAs(Variants, '[{"version":"2","weight":10000}]', 'deployment variants');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INTERNAL');
    expect((error as AppError).message).toContain('deployment variants');
    expect((error as AppError).message).toContain('0.version');
  });

  it('refuses text that is not JSON', () => {
    expect(() => decodeJsonAs(Variants, '[{', 'variants')).toThrow(/stored variants is not valid JSON/);
  });

  it('decodes SQL NULL as null only where the schema allows it', () => {
    expect(decodeJsonAs(Variants.nullable(), null, 'previous')).toBeNull();
    expect(() => decodeJsonAs(Variants, null, 'variants')).toThrow(/does not match its schema/);
  });
});
