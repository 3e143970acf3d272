/**
 * W3C trace context ids (trace id: 16 random bytes, span id: 8) as lowercase hex, from
 * `crypto.getRandomValues` — available on Node, Bun, Deno, edge runtimes and browsers.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// One call to getRandomValues fills ids for a while: it is the expensive part of an id.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL_BYTES) {
      globalThis.crypto.getRandomValues(pool);
      offset = 0;
    }
    let hex = '';
    let zero = true;
    for (let i = 0; i < bytes; i++) {
      const byte = pool[offset + i] ?? 0;
      if (byte !== 0) zero = false;
      hex += HEX[byte];
    }
    offset += bytes;
    // An all-zero id is invalid in W3C trace context (and refused by the server).
    if (!zero) return hex;
  }
}

/** A new random trace id: 32 lowercase hex digits, never all zero. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A new random span id: 16 lowercase hex digits, never all zero. */
export function newSpanId(): string {
  return randomHex(8);
}

const TRACE_ID = /^(?!0+$)[0-9a-f]{32}$/;
const SPAN_ID = /^(?!0+$)[0-9a-f]{16}$/;

export function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID.test(value);
}

export function isSpanId(value: unknown): value is string {
  return typeof value === 'string' && SPAN_ID.test(value);
}
