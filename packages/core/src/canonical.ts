/**
 * Canonical JSON and hashing. Content hashes and the audit chain are compared across processes,
 * databases and runtimes (server, SDK in a browser, CLI), so the bytes hashed must not depend on
 * key insertion order or on the platform: everything here is pure and uses @noble/hashes rather
 * than node:crypto.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { AppError } from './errors.ts';
import type { ModelConfig, VersionContent } from './schemas.ts';

/**
 * JSON with object keys sorted recursively (by UTF-16 code units, as RFC 8785 does), no whitespace;
 * `undefined` members dropped and `undefined` array items written as `null`, as `JSON.stringify`
 * does. Values with a `toJSON` method (e.g. `Date`) are serialised through it.
 *
 * @throws AppError `VALIDATION_FAILED` for a cyclic value or a `bigint`.
 * @example
 * canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] }); // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, new Set());
  // Only a top-level undefined/function/symbol has no JSON form; JSON.stringify returns undefined there.
  return out ?? 'null';
}

function write(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new AppError(
        'VALIDATION_FAILED',
        'Cannot serialise a bigint as JSON; convert it to a number or string.',
      );
  }
  const object = value as object;
  const withToJson = object as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function') {
    return write((withToJson.toJSON as () => unknown).call(object), seen);
  }
  if (seen.has(object)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'Cannot serialise a value that contains itself (a cycle) as JSON.',
    );
  }
  seen.add(object);
  let out: string;
  if (Array.isArray(object)) {
    const items: string[] = [];
    for (const item of object) items.push(write(item, seen) ?? 'null');
    out = `[${items.join(',')}]`;
  } else {
    const record = object as Record<string, unknown>;
    // Sorting explicitly: JS objects list integer-like keys first, so insertion order is not enough.
    const keys = Object.keys(record).sort();
    const members: string[] = [];
    for (const key of keys) {
      const member = write(record[key], seen);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    out = `{${members.join(',')}}`;
  }
  seen.delete(object);
  return out;
}

/** SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex digits. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/**
 * Content hash of a version: `sha256Hex(canonicalJson({type, template|messages, config}))`. Only
 * what renders is hashed (not message, author or parent), so identical content is recognised
 * whatever request carried it. A missing config and a config with no keys hash the same.
 */
export function contentHash(content: VersionContent, config: ModelConfig | undefined): string {
  // Built field by field: `content` may be a whole request object carrying message/parent/bump.
  const hashed =
    content.type === 'text'
      ? { type: 'text', template: content.template, config: config ?? {} }
      : { type: 'chat', messages: content.messages, config: config ?? {} };
  return sha256Hex(canonicalJson(hashed));
}
