import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { REDACTED, redactError, redactSecrets, secretsOf } from './redact.ts';

const KEY = 'sk-live-0123456789abcdef';

describe('secretsOf', () => {
  it('takes the key, secret header values (and a bearer token), and secrets in the base URL', () => {
    expect(
      secretsOf({
        apiKey: KEY,
        headers: {
          Authorization: 'Bearer tok-9876543210',
          'api-key': 'azure-key-abcdefgh',
          'anthropic-version': '2023-06-01',
          'HTTP-Referer': 'https://example.com/app',
        },
        baseUrl: 'https://user:pa55word-xyz@proxy.example.com/v1?api-key=query-secret-123',
      }).sort(),
    ).toEqual(
      [
        KEY,
        'Bearer tok-9876543210',
        'tok-9876543210',
        'azure-key-abcdefgh',
        'pa55word-xyz',
        'query-secret-123',
      ].sort(),
    );
  });

  it("adds the server's knownSecrets (the project's other credentials), short ones left out", () => {
    expect(secretsOf({ apiKey: KEY, knownSecrets: ['sk-other-provider-1', 'tiny'] }).sort()).toEqual(
      [KEY, 'sk-other-provider-1'].sort(),
    );
  });

  it('ignores values too short to be secrets and a malformed base URL', () => {
    expect(secretsOf({ apiKey: 'x', headers: { 'x-a': 'short' }, baseUrl: 'not a url' })).toEqual([]);
  });
});

describe('redactSecrets', () => {
  it('replaces the secret as sent, URL-encoded and JSON-escaped', () => {
    const secret = 'k3y/with+odd"chars==';
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret)}`;
    const out = redactSecrets(text, [secret]);
    expect(out).toBe(`a ${REDACTED} b ${REDACTED} c "${REDACTED}"`);
  });

  it('replaces a truncated echo of the key (a run of 8+ characters taken from it)', () => {
    expect(redactSecrets(`Incorrect API key provided: ${KEY.slice(0, 12)}…`, [KEY])).toBe(
      `Incorrect API key provided: ${REDACTED}…`,
    );
  });

  it('leaves ordinary text alone', () => {
    const text =
      'openai-compatible answered 401 Unauthorized: invalid_api_key. Check the provider credentials.';
    expect(redactSecrets(text, [KEY])).toBe(text);
    expect(redactSecrets(text, [])).toBe(text);
  });
});

describe('redactError', () => {
  it('keeps an AppError code, hint and details shape, redacting every string and the cause', () => {
    const cause = new Error(`socket closed for ${KEY}`);
    const error = new AppError('PROVIDER_ERROR', `openai answered 401: key ${KEY} is wrong.`, {
      hint: 'Check the provider credentials of this project.',
      details: { provider: 'openai', status: 401, echoed: [KEY] },
      cause,
    });
    const redacted = redactError(error, [KEY]) as AppError;
    expect(redacted).toBeInstanceOf(AppError);
    expect(redacted.code).toBe('PROVIDER_ERROR');
    expect(redacted.status).toBe(502);
    expect(redacted.hint).toBe('Check the provider credentials of this project.');
    expect(redacted.message).toBe(
      `openai answered 401: key ${REDACTED} is wrong. Check the provider credentials of this project.`,
    );
    expect(redacted.details).toEqual({ provider: 'openai', status: 401, echoed: [REDACTED] });
    expect((redacted.cause as Error).message).toBe(`socket closed for ${REDACTED}`);
    expect(redacted.stack).not.toContain(KEY);
  });

  it('returns abort reasons and errors without secrets unchanged', () => {
    const reason = new DOMException('aborted', 'AbortError');
    expect(redactError(reason, [KEY])).toBe(reason);
    const plain = new Error('nothing to hide');
    expect(redactError(plain, [KEY])).toBe(plain);
    expect(redactError('text', [KEY])).toBe('text');
  });
});
