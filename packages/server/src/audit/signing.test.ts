import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCheckpointSigner, loadOrCreateSigningKey } from './signing.ts';

describe('the audit signing key', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'promptline-signing-'));
    dirs.push(dir);
    return dir;
  };

  it('is generated once into the data dir (mode 600) and the same key is loaded after a restart', () => {
    const dir = dataDir();
    const first = createCheckpointSigner(loadOrCreateSigningKey({ dataDir: dir }));
    expect(statSync(join(dir, 'audit-signing.pem')).mode & 0o777).toBe(0o600);
    const again = createCheckpointSigner(loadOrCreateSigningKey({ dataDir: dir }));
    expect(again.keyId).toBe(first.keyId);
    const bytes = new TextEncoder().encode('head');
    expect(verify(null, bytes, first.publicKey, Buffer.from(again.sign(bytes), 'base64'))).toBe(true);
  });

  it('takes PROMPTLINE_AUDIT_SIGNING_KEY (with \\n escapes) over the file, and refuses a non-Ed25519 key', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const fromEnv = createCheckpointSigner(
      loadOrCreateSigningKey({ envValue: pem.replaceAll('\n', '\\n'), dataDir: dataDir() }),
    );
    expect(fromEnv.publicKey).toContain('BEGIN PUBLIC KEY');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() =>
      createCheckpointSigner(loadOrCreateSigningKey({ envValue: rsa.toString(), dataDir: '.' })),
    ).toThrow(/must be Ed25519/);
    expect(() => loadOrCreateSigningKey({ envValue: 'not a key', dataDir: '.' })).toThrow(
      /PROMPTLINE_AUDIT_SIGNING_KEY is not a PEM private key/,
    );
  });
});
