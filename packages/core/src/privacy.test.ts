import { describe, expect, it } from 'vitest';
import { createRedactor, PII_DETECTORS } from './privacy.ts';

const all = createRedactor({ enabled: true, detectors: [...PII_DETECTORS], customPatterns: [] });

describe('createRedactor', () => {
  it('redacts each built-in kind and leaves ordinary text alone', () => {
    const r = all?.text.bind(all) ?? ((x: string) => x);
    expect(r('write to jane.doe+x@example.co.uk now')).toBe('write to [REDACTED:email] now');
    expect(r('call +44 20 7946 0958 or 555-123-4567')).toBe('call [REDACTED:phone] or [REDACTED:phone]');
    expect(r('card 4111 1111 1111 1111 exp')).toBe('card [REDACTED:card] exp');
    expect(r('iban DE89 3704 0044 0532 0130 00.')).toBe('iban [REDACTED:iban].');
    expect(r('from 192.168.10.254 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toBe(
      'from [REDACTED:ip] and [REDACTED:ip]',
    );
    expect(r('key sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE')).toBe(
      'key [REDACTED:secret] and [REDACTED:secret]',
    );
    expect(r('in 2026 we sold 42 items, order #12345')).toBe('in 2026 we sold 42 items, order #12345');
  });

  it('keeps numbers that fail the checksums: a 16-digit id that is not a card, a malformed IBAN', () => {
    const r = createRedactor({ enabled: true, detectors: ['card', 'iban'], customPatterns: [] });
    expect(r?.text('id 4111 1111 1111 1112')).toBe('id 4111 1111 1111 1112');
    expect(r?.text('DE00 3704 0044 0532 0130 00')).toBe('DE00 3704 0044 0532 0130 00');
  });

  it('walks JSON values, applies custom patterns first, and is off when disabled', () => {
    const r = createRedactor({
      enabled: true,
      detectors: ['email'],
      customPatterns: [{ name: 'ticket', pattern: 'TCK-\\d{6}' }],
    });
    expect(
      r?.value({
        messages: [{ role: 'user', content: 'TCK-123456 from a@b.io' }],
        n: 3,
        ok: true,
        none: null,
      }),
    ).toEqual({
      messages: [{ role: 'user', content: '[REDACTED:ticket] from [REDACTED:email]' }],
      n: 3,
      ok: true,
      none: null,
    });
    expect(createRedactor({ enabled: false, detectors: ['email'], customPatterns: [] })).toBeNull();
  });
});
