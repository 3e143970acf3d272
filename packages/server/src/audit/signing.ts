/**
 * The key that signs audit checkpoints: Ed25519 through node:crypto. A checkpoint is the chain's
 * head, signed, so a copy kept elsewhere proves later that no event up to that head was removed
 * or altered — even by someone who can rewrite the database but not read this key.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@promptline/core';

/** Signs checkpoint payloads and names the key that did. */
export interface CheckpointSigner {
  keyId: string;
  /** PEM (SPKI) of the public key. */
  publicKey: string;
  /** Base64 Ed25519 signature of `bytes`. */
  sign(bytes: Uint8Array): string;
}

/** A signer over an Ed25519 private key. */
export function createCheckpointSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AppError(
      'CONFIG_INVALID',
      `The audit signing key is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; it must be Ed25519 (openssl genpkey -algorithm ed25519).`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}

/** A key that lives as long as this process (tests, embedded uses); main.ts passes a stored one. */
export function createEphemeralSigner(): CheckpointSigner {
  return createCheckpointSigner(generateKeyPairSync('ed25519').privateKey);
}

function parseKey(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `${source} is not a PEM private key (${String(error)}). Generate one with: openssl genpkey -algorithm ed25519.`,
      { cause: error },
    );
  }
}

/**
 * The audit signing key: PROMPTLINE_AUDIT_SIGNING_KEY (a PEM PKCS#8 Ed25519 key) when set, else
 * `<dataDir>/audit-signing.pem`, generated on first start. Every instance must use the same key:
 * on PostgreSQL behind a load balancer, set the variable.
 *
 * @throws AppError CONFIG_INVALID for a key that is not a PEM Ed25519 private key.
 */
export function loadOrCreateSigningKey(options: {
  envValue?: string | undefined;
  dataDir: string;
}): KeyObject {
  if (options.envValue !== undefined && options.envValue.trim() !== '') {
    return parseKey(options.envValue.replaceAll('\\n', '\n'), 'PROMPTLINE_AUDIT_SIGNING_KEY');
  }
  const path = join(options.dataDir, 'audit-signing.pem');
  const existing = readPem(path);
  if (existing !== null) return parseKey(existing, `The key file ${path}`);
  mkdirSync(options.dataDir, { recursive: true });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Written whole, then linked into place: two instances starting at once end up with one key.
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, pem, { flag: 'wx', mode: 0o600 });
  try {
    chmodSync(temporary, 0o600);
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  return parseKey(readPem(path) ?? pem, `The key file ${path}`);
}

function readPem(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
