import type { Prompt } from '@promptline/core';
import { describe, expect, it } from 'vitest';
import {
  collectOwners,
  describeRelease,
  filterPrompts,
  formatFilter,
  indexPrompts,
  parseFilter,
} from './registry-filter.ts';

function prompt(name: string, extra: Partial<Prompt> = {}): Prompt {
  return {
    name,
    description: '',
    owner: '',
    tags: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    latestVersion: 1,
    ...extra,
  };
}

const prompts = indexPrompts([
  prompt('support/triage', {
    tags: ['support'],
    description: 'Routes tickets',
    deployments: { production: { variants: [{ version: 2, weight: 10_000 }], enabled: true } },
  }),
  prompt('support/billing/refund', {
    owner: 'payments',
    deployments: { production: { variants: [{ version: 1, weight: 10_000 }], enabled: false } },
  }),
  prompt('marketing/tagline', { tags: ['copy'] }),
]);
const none = { q: '', tag: '', owner: '', env: '', folder: '' };
const names = (f: Partial<typeof none>) => filterPrompts(prompts, { ...none, ...f }).map((p) => p.name);

describe('filterPrompts', () => {
  it('matches every word of the search against name, description, owner and tags', () => {
    expect(names({ q: 'TICKETS' })).toEqual(['support/triage']);
    expect(names({ q: 'support payments' })).toEqual(['support/billing/refund']);
    expect(names({ q: 'copy' })).toEqual(['marketing/tagline']);
  });

  it('keeps a folder and everything below it', () => {
    expect(names({ folder: 'support/' })).toEqual(['support/triage', 'support/billing/refund']);
    expect(names({ folder: 'support/billing/' })).toEqual(['support/billing/refund']);
  });

  it('filters by exact tag and by an enabled release in an environment', () => {
    expect(names({ tag: 'support' })).toEqual(['support/triage']);
    expect(names({ env: 'production' })).toEqual(['support/triage']);
    expect(names({ env: 'staging' })).toEqual([]);
  });

  it('filters by exact owner, and lists the owners named', () => {
    expect(names({ owner: 'payments' })).toEqual(['support/billing/refund']);
    expect(names({ owner: 'pay' })).toEqual([]);
    expect(collectOwners(prompts.map((x) => x.prompt))).toEqual(['payments']);
  });
});

describe('filter in the URL', () => {
  it('round-trips through the query string and leaves out empty fields', () => {
    const f = { q: 'a b', tag: '', owner: 'growth team', env: 'production', folder: 'support/' };
    expect(formatFilter(f)).toBe('?q=a+b&owner=growth+team&env=production&folder=support%2F');
    expect(parseFilter(formatFilter(f))).toEqual(f);
    expect(formatFilter(none)).toBe('');
  });
});

describe('describeRelease', () => {
  it('writes one version, weighted variants, or off', () => {
    expect(describeRelease({ variants: [{ version: 3, weight: 10_000 }], enabled: true })).toBe('v3');
    expect(
      describeRelease({
        variants: [
          { version: 3, weight: 9000 },
          { version: 4, weight: 1000 },
        ],
        enabled: true,
      }),
    ).toBe('v3 90% · v4 10%');
    expect(describeRelease({ variants: [{ version: 3, weight: 10_000 }], enabled: false })).toBe('off');
  });
});
