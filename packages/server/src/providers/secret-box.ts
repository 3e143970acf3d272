import { randomBytes } from 'node:crypto';
import { createSecretBox, type SecretBox } from '@promptline/core/node';

/**
 * A secret box over a random key that lives as long as this process: for tests and embedded uses
 * that pass no key. Credentials saved with it cannot be read after a restart, which is why
 * `main.ts` always passes the key from PROMPTLINE_SECRET_KEY or the data dir's key file.
 */
export function createEphemeralSecretBox(): SecretBox {
  return createSecretBox(new Uint8Array(randomBytes(32)));
}
