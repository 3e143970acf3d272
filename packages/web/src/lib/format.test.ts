import { describe, expect, it } from 'vitest';
import { formatTime } from './format.ts';

describe('formatTime', () => {
  it('writes the same text as toLocaleString with the short date-time options, call after call', () => {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    };
    for (const iso of ['2026-03-01T10:00:00.000Z', '2026-12-31T23:59:59.999Z', '1999-07-04T00:05:00Z']) {
      expect(formatTime(iso)).toBe(new Date(iso).toLocaleString(undefined, options));
    }
  });

  it('gives back what is not a date as it came', () => {
    expect(formatTime('not a date')).toBe('not a date');
  });
});
