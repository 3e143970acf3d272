import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox, loadOrCreateSecretKey } from './index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-secrets-'));
  dirs.push(dir);
  return dir;
}

describe('secret box', () => {
  const key = new Uint8Array(randomBytes(32));

  it('round-trips a secret, with a fresh IV each time', () => {
    const box = createSecretBox(key);
    const a = box.encrypt('sk-live-123 ünïcode');
    const b = box.encrypt('sk-live-123 ünïcode');
    expect(a).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-live');
    expect(box.decrypt(a)).toBe('sk-live-123 ünïcode');
    expect(box.decrypt(b)).toBe('sk-live-123 ünïcode');
  });

  it('detects tampering, a wrong key and a token moved to another place', () => {
    const box = createSecretBox(key);
    const token = box.encrypt('secret', 'project-1/openai');
    const bytes = Buffer.from(token.slice(3), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    const tampered = `v1:${bytes.toString('base64')}`;
    expect(() => box.decrypt(tampered, 'project-1/openai')).toThrow(/could not be decrypted: it was altered/);
    expect(() => createSecretBox(new Uint8Array(randomBytes(32))).decrypt(token, 'project-1/openai')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNDECRYPTABLE', status: 500 }),
    );
    expect(() => box.decrypt(token, 'project-2/openai')).toThrow(/could not be decrypted/);
    expect(() => box.decrypt('v2:abcd')).toThrow(/not a v1 secret token/);
    expect(box.decrypt(token, 'project-1/openai')).toBe('secret');
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createSecretBox(new Uint8Array(16))).toThrow(/must be 32 bytes, not 16/);
  });
});

describe('loadOrCreateSecretKey', () => {
  it('creates <dataDir>/secret.key once, mode 0600, and reads the same key afterwards', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadOrCreateSecretKey({ dataDir });
    const path = join(dataDir, 'secret.key');
    expect(first.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const contents = readFileSync(path, 'utf8');
    const second = loadOrCreateSecretKey({ dataDir });
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(contents);
    // No temporary file is left behind.
    expect(readdirSync(dataDir)).toEqual(['secret.key']);
    expect(createSecretBox(second).decrypt(createSecretBox(first).encrypt('x'))).toBe('x');
  });

  it('prefers PROMPTLINE_SECRET_KEY, as base64 or hex, and writes no file', () => {
    const dataDir = tempDir();
    const raw = randomBytes(32);
    const fromBase64 = loadOrCreateSecretKey({ envValue: raw.toString('base64'), dataDir });
    const fromHex = loadOrCreateSecretKey({ envValue: raw.toString('hex'), dataDir });
    expect(Buffer.from(fromBase64).equals(raw)).toBe(true);
    expect(Buffer.from(fromHex).equals(raw)).toBe(true);
    expect(() => statSync(join(dataDir, 'secret.key'))).toThrow();
  });

  it('refuses a key of the wrong size, from the env or from the file', () => {
    const dataDir = tempDir();
    expect(() => loadOrCreateSecretKey({ envValue: 'too-short', dataDir })).toThrow(
      /PROMPTLINE_SECRET_KEY must be 32 random bytes/,
    );
    writeFileSync(join(dataDir, 'secret.key'), randomBytes(8).toString('base64'));
    expect(() => loadOrCreateSecretKey({ dataDir })).toThrow(
      /key file .*secret\.key must be 32 random bytes/,
    );
  });
});
