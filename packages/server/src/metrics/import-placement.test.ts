import { describe, expect, it } from 'vitest';
import { placeImportedRollup } from './import-placement.ts';

const H = 60;

describe('placeImportedRollup', () => {
  it('places nothing twice and loses nothing when both watermarks agree', () => {
    const w = { source: 10 * H, target: 10 * H };
    expect(placeImportedRollup('hour', 9 * H, w)).toEqual([{ grain: 'hour', bucket: 9 * H }]);
    // Rolled at the source and read from hours on the target: kept for 1-minute series only.
    expect(placeImportedRollup('minute', 9 * H + 5, w)).toEqual([{ grain: 'minute', bucket: 9 * H + 5 }]);
    expect(placeImportedRollup('minute', 10 * H + 5, w)).toEqual([{ grain: 'minute', bucket: 10 * H + 5 }]);
  });

  it('adds minutes the source had not rolled into hours the target already has', () => {
    const w = { source: 8 * H, target: 10 * H };
    expect(placeImportedRollup('minute', 9 * H + 5, w)).toEqual([
      { grain: 'minute', bucket: 9 * H + 5 },
      { grain: 'hour', bucket: 9 * H },
    ]);
    expect(placeImportedRollup('minute', 10 * H + 1, w)).toEqual([{ grain: 'minute', bucket: 10 * H + 1 }]);
  });

  it('leaves hours the target has not rolled yet to its roll-up, as one minute row per hour', () => {
    const w = { source: 10 * H, target: 0 };
    expect(placeImportedRollup('hour', 9 * H, w)).toEqual([{ grain: 'minute', bucket: 9 * H }]);
    // Its minutes are already in that hour row: the target's roll-up would count them again.
    expect(placeImportedRollup('minute', 9 * H + 5, w)).toEqual([]);
    expect(placeImportedRollup('minute', 10 * H + 5, w)).toEqual([{ grain: 'minute', bucket: 10 * H + 5 }]);
  });
});
