/**
 * Encryption at rest for provider credentials (Node only): AES-256-GCM with a 32-byte key from
 * `PROMPTLINE_SECRET_KEY` or from a key file generated in the data dir on first start.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Encrypts and decrypts short secrets (API keys) with one key; built by {@link createSecretBox}. */
export interface SecretBox {
  /**
   * Encrypts `plaintext` into `v1:<base64 of iv|tag|ciphertext>`, with a fresh random IV each time.
   * `associatedData` (e.g. `project-id/provider`) binds the token to where it is stored, so a token
   * copied into another row does not decrypt.
   */
  encrypt(plaintext: string, associatedData?: string): string;
  /** @throws AppError `SECRET_UNDECRYPTABLE` when the token was altered or made with another key. */
  decrypt(token: string, associatedData?: string): string;
}

/**
 * Creates a secret box over a 32-byte key.
 *
 * @throws AppError `CONFIG_INVALID` when the key is not 32 bytes.
 * @example
 * const box = createSecretBox(loadOrCreateSecretKey({ envValue: config.secretKey, dataDir }));
 * const stored = box.encrypt(apiKey, `${projectId}/openai`);
 */
export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== KEY_BYTES) {
    throw new AppError(
      'CONFIG_INVALID',
      `The secret key must be ${KEY_BYTES} bytes, not ${key.length}. Generate one with \`openssl rand -base64 32\`.`,
    );
  }
  const secret = Buffer.from(key);

  return {
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
    },
    decrypt(token, associatedData) {
      const [version, payload, extra] = token.split(':');
      const bytes = payload === undefined ? Buffer.alloc(0) : Buffer.from(payload, 'base64');
      if (version !== VERSION || extra !== undefined || bytes.length < IV_BYTES + TAG_BYTES) {
        throw undecryptable('it is not a v1 secret token');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', secret, bytes.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        const plaintext = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
        return plaintext.toString('utf8');
      } catch (error) {
        throw undecryptable('it was altered, or encrypted with another key', error);
      }
    },
  };
}

function undecryptable(why: string, cause?: unknown): AppError {
  return new AppError(
    'SECRET_UNDECRYPTABLE',
    `A stored secret could not be decrypted: ${why}. Check that PROMPTLINE_SECRET_KEY (or secret.key in the data dir) is the key the secret was saved with, or save the credential again.`,
    { cause, details: { reason: 'secret-undecryptable' } },
  );
}

/** Reads a 32-byte key written as 64 hex digits or as base64 (standard or URL-safe). */
export function parseSecretKey(text: string, source: string): Uint8Array {
  const value = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value, 'base64');
  if (key === null || key.length !== KEY_BYTES) {
    throw new AppError(
      'CONFIG_INVALID',
      `${source} must be ${KEY_BYTES} random bytes written as base64 or hex. Generate one with \`openssl rand -base64 32\`.`,
    );
  }
  return new Uint8Array(key);
}

/**
 * The key that encrypts stored secrets: `envValue` (PROMPTLINE_SECRET_KEY) when given, else the
 * contents of `<dataDir>/secret.key`, which is generated (mode 0600) on first start. Losing the
 * key makes stored credentials unreadable, so the file is never overwritten.
 *
 * @throws AppError `CONFIG_INVALID` when the env value or the key file is not a 32-byte key.
 */
export function loadOrCreateSecretKey(options: {
  envValue?: string | undefined;
  dataDir: string;
}): Uint8Array {
  if (options.envValue !== undefined && options.envValue.trim() !== '') {
    return parseSecretKey(options.envValue, 'PROMPTLINE_SECRET_KEY');
  }
  const path = join(options.dataDir, 'secret.key');
  const existing = readKeyFile(path);
  if (existing !== null) return existing;
  mkdirSync(options.dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  // Written whole to a temporary file, then linked into place: link fails when the key file exists,
  // so two instances starting at once both end up with the first one's key, never a half-written one.
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${key.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    chmodSync(temporary, 0o600);
    linkSync(temporary, path);
    return new Uint8Array(key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  return readKeyFile(path) ?? parseSecretKey('', `The key file ${path}`);
}

function readKeyFile(path: string): Uint8Array | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseSecretKey(text, `The key file ${path}`);
}
