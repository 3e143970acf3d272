import { describe, expect, it } from 'vitest';
import { toPlaygroundEvent } from './playground.ts';

describe('toPlaygroundEvent', () => {
  it('types the playground stream events', () => {
    expect(toPlaygroundEvent('delta', '{"model":1,"row":2,"text":"hi"}')).toEqual({
      type: 'delta',
      model: 1,
      row: 2,
      text: 'hi',
    });
    expect(toPlaygroundEvent('error', '{"model":0,"row":0,"code":"PROVIDER_ERROR","detail":"boom"}')).toEqual(
      {
        type: 'error',
        model: 0,
        row: 0,
        code: 'PROVIDER_ERROR',
        detail: 'boom',
      },
    );
    expect(toPlaygroundEvent('end', '')).toEqual({ type: 'end' });
    expect(toPlaygroundEvent('delta', 'not json')).toBeNull();
    expect(toPlaygroundEvent('other', '{}')).toBeNull();
  });
});
