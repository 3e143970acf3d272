import { describe, expect, it } from 'vitest';
import { type ChainedEventContent, chainHash, GENESIS_HASH, verifyChain } from './audit-chain.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';

type StoredEvent = ChainedEventContent & { prevHash: string; hash: string };

function buildChain(count: number, startPrev = GENESIS_HASH): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prevHash = startPrev;
  for (let i = 1; i <= count; i++) {
    const content: ChainedEventContent = {
      id: i,
      actor: i % 2 ? 'alice' : 'bob',
      action: 'deployment.update',
      targetType: 'deployment',
      target: `support/triage@production`,
      data: { before: { version: i }, after: { version: i + 1 } },
      at: new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString(),
    };
    const hash = chainHash(prevHash, content);
    events.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe('chainHash', () => {
  it('is sha256Hex(prevHash + canonicalJson(content)) and ignores the stored hash fields', () => {
    const content: ChainedEventContent = {
      id: 1,
      actor: 'alice',
      action: 'prompt.create',
      targetType: 'prompt',
      target: 'support/triage',
      data: { b: 1, a: 2 },
      at: '2026-03-01T10:00:00.000Z',
    };
    const expected = sha256Hex(GENESIS_HASH + canonicalJson(content));
    expect(chainHash(GENESIS_HASH, content)).toBe(expected);
    expect(chainHash(GENESIS_HASH, { ...content, prevHash: 'x', hash: 'y' } as ChainedEventContent)).toBe(
      expected,
    );
    expect(chainHash('1'.repeat(64), content)).not.toBe(expected);
  });

  it('starts from 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and counts its events', () => {
    expect(verifyChain(buildChain(20))).toEqual({ ok: true, checked: 20, brokenAt: null, reason: null });
    expect(verifyChain([])).toEqual({ ok: true, checked: 0, brokenAt: null, reason: null });
  });

  it('names the altered event when one row’s data was changed', () => {
    const events = buildChain(10);
    const row = events[4];
    if (!row) throw new Error('fixture');
    row.data = { ...row.data, after: { version: 99 } };
    const result = verifyChain(events);
    expect(result).toMatchObject({ ok: false, checked: 5, brokenAt: 5 });
    expect(result.reason).toMatch(/altered/);
  });

  it('names the next event when an altered row’s hash was recomputed too', () => {
    const events = buildChain(10);
    const row = events[4];
    if (!row) throw new Error('fixture');
    row.actor = 'mallory';
    row.hash = chainHash(row.prevHash, row);
    expect(verifyChain(events)).toMatchObject({ ok: false, brokenAt: 6 });
  });

  it('detects a deleted row at the event after the gap', () => {
    const events = buildChain(10);
    events.splice(3, 1); // removes id 4
    const result = verifyChain(events);
    expect(result).toMatchObject({ ok: false, brokenAt: 5 });
    expect(result.reason).toMatch(/deleted/);
  });

  it('detects deletion of the first row', () => {
    expect(verifyChain(buildChain(5).slice(1))).toMatchObject({ ok: false, brokenAt: 2, checked: 1 });
  });

  it('detects reordered rows (ids out of order)', () => {
    const events = buildChain(6);
    const [a, b] = [events[2], events[3]];
    if (!a || !b) throw new Error('fixture');
    events[2] = b;
    events[3] = a;
    const result = verifyChain(events);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toBe(4);
  });

  it('detects rows whose ids were swapped to put them back in order', () => {
    const events = buildChain(6);
    const [a, b] = [events[2], events[3]];
    if (!a || !b) throw new Error('fixture');
    events[2] = { ...b, id: 3 };
    events[3] = { ...a, id: 4 };
    expect(verifyChain(events)).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('detects a changed timestamp or target, not just data', () => {
    const at = buildChain(4);
    const target = buildChain(4);
    if (!at[1] || !target[2]) throw new Error('fixture');
    at[1].at = '2020-01-01T00:00:00.000Z';
    target[2].target = 'support/other@production';
    expect(verifyChain(at).brokenAt).toBe(2);
    expect(verifyChain(target).brokenAt).toBe(3);
  });

  it('verifies a later segment from a given start hash, and reads any iterable', () => {
    const events = buildChain(10);
    const start = events[4]?.hash ?? '';
    const segment = events.slice(5);
    expect(verifyChain(segment)).toMatchObject({ ok: false, brokenAt: 6 });
    function* rows() {
      yield* segment;
    }
    expect(verifyChain(rows(), start)).toEqual({ ok: true, checked: 5, brokenAt: null, reason: null });
  });
});
