import { describe, expect, it } from 'vitest';
import { isAppError } from './errors.ts';
import { attributesFromQuery, normalizeTargeting, segmentsOf, targetedVersions } from './targeting.ts';
import { AttributeCondition, Targeting } from './targeting-schema.ts';

describe('targeting contract', () => {
  it('refuses a leaf whose value does not fit its operator', () => {
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'gt', value: '3' }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'in', value: 'fr' }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'exists', value: 1 }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'endsWith', value: 1 }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'eq' }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'regex', value: '.*' }).success).toBe(false);
    expect(AttributeCondition.safeParse({ attribute: 'a', op: 'in', value: ['fr', 2, true] }).success).toBe(
      true,
    );
  });

  it('normalizeTargeting drops empty targeting and refuses deep nesting and double pins', () => {
    expect(normalizeTargeting({ rules: [], pins: [] })).toBeUndefined();
    expect(normalizeTargeting(undefined)).toBeUndefined();
    let deep: unknown = { attribute: 'a', op: 'exists' };
    for (let i = 0; i < 9; i++) deep = { not: deep };
    const parsed = Targeting.parse({ rules: [{ when: deep, version: 1 }], pins: [] });
    try {
      normalizeTargeting({
        ...parsed,
        pins: [
          { unit: 'u', version: 1 },
          { unit: 'u', version: 2 },
        ],
      });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && error.code).toBe('INVALID_TARGETING');
      expect(isAppError(error) && error.errors?.map((e) => e.path)).toEqual([
        'targeting.rules.0.when',
        'targeting.pins.1.unit',
      ]);
    }
  });

  it('lists targeted versions, segments and query attributes', () => {
    const t = {
      rules: [
        { when: { all: [{ segment: 'b' }, { not: { segment: 'a' } }] }, version: 5 },
        { when: { segment: 'b' }, version: 3 },
      ],
      pins: [{ unit: 'u', version: 8 }],
    };
    expect(targetedVersions([{ version: 3 }], t)).toEqual([5, 8]);
    expect(segmentsOf(t)).toEqual(['a', 'b']);
    expect(attributesFromQuery({ env: 'production', 'attr.plan': 'pro', 'attr.': 'x', unit: 'u' })).toEqual({
      plan: 'pro',
    });
    expect(attributesFromQuery({ env: 'production' })).toBeUndefined();
  });
});
